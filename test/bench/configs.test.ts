import { join } from 'node:path';
import { promptLamp } from '../../bench/configs';
import { loadConfig, parseConfig } from '../../lib/config';

const carWith = (lamps: Record<string, object>, servos: Record<string, object> = {}) =>
  parseConfig({ cars: { car: { wifi: { ssid: 'garage-2g' }, lamps, servos } } }).cars.car;

test("the latency benches switch the example car's brake: its headlights wait for the pods, its turn signals blink", () => {
  const config = loadConfig(join(__dirname, '../../plamo.config.ts'));
  expect(promptLamp(config.cars.rps13)).toBe('brake');
});

test('a lamp that fades is passed over, and a car with no lamp that switches at once is refused with the reason', () => {
  expect(
    promptLamp(
      carWith({
        fading: { pin: 'GP2', kind: 'pwm', currentMa: 5, transitionMs: 300 },
        plain: { pin: 'GP3', kind: 'pwm', currentMa: 5 },
      }),
    ),
  ).toBe('plain');
  const podsOnly = carWith(
    { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 5 } },
    { pods: { pin: 'GP6', carries: ['headlights'], upUs: 2000, downUs: 1000, travelMs: 500 } },
  );
  expect(() => promptLamp(podsOnly)).toThrow('one not on a servo, without transitionMs, not a blinker');
});
