import { assumedLedColour, loadConfig, parseConfig } from '../../lib/config';
import { carWiring, e12AtLeast, wiringMarkdown } from '../../lib/device/wiring';

const car = (lamps: Record<string, unknown>) => parseConfig({ cars: { test: { wifi: { ssid: 'x' }, lamps } } }).cars.test;

test('picks the smallest E12 resistor at or above the exact value', () => {
  expect(e12AtLeast(162.5)).toBe(180);
  expect(e12AtLeast(200)).toBe(220);
  expect(e12AtLeast(30)).toBe(33);
  expect(e12AtLeast(1000)).toBe(1000);
  expect(e12AtLeast(8.3)).toBe(10);
});

test('assumes amber for turn signals, red for brake and tail lamps, white otherwise', () => {
  const { lamps } = car({
    turnLeft: { pin: 'GP3', kind: 'switch', currentMa: 5 },
    indicator: { pin: 'GP4', kind: 'blinker', currentMa: 5 },
    brake: { pin: 'GP5', kind: 'pwm', currentMa: 5 },
    tailLamps: { pin: 'GP6', kind: 'switch', currentMa: 5 },
    headlights: { pin: 'GP2', kind: 'pwm', currentMa: 5 },
  });
  expect(Object.entries(lamps).map(([name, lamp]) => assumedLedColour(name, lamp))).toEqual(['amber', 'amber', 'red', 'red', 'white']);
});

test("a lamp's configured colour wins over the guess from its name", () => {
  const [turnLeft, fog] = carWiring(
    car({ turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 5, colour: 'white' }, fog: { pin: 'GP4', kind: 'switch', currentMa: 5 } }),
  );
  // (3.3 V − 3.0 V) / 5 mA = 60 Ω → 68 Ω, where an assumed amber LED would get (3.3 − 2.1) / 5 mA → 240 Ω → 270 Ω
  expect(turnLeft).toMatchObject({ colour: 'white', colourAssumed: false, resistorOhms: 68 });
  expect(fog).toMatchObject({ colour: 'white', colourAssumed: true });
  expect(wiringMarkdown(car({ turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 5, colour: 'green' } }))).toContain(
    '| green, Vf ≈ 3.0 V |',
  );
});

test('computes resistor and resulting current from currentMa and the 3.3 V GPIO supply', () => {
  const [brake] = carWiring(car({ brake: { pin: 'GP5', kind: 'pwm', currentMa: 8 } }));
  // (3.3 V − 2.0 V) / 8 mA = 162.5 Ω → 180 Ω → 7.2 mA
  expect(brake).toMatchObject({ gpio: 'GP5', physicalPin: 7, colour: 'red', resistorOhms: 180, currentMa: 7.2, supplyVoltage: 3.3 });
});

test('warns when a white LED leaves little voltage across its resistor', () => {
  const [headlights] = carWiring(car({ headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } }));
  expect(headlights).toMatchObject({ resistorOhms: 33, currentMa: 9.1 });
  expect(headlights.note).toBe('only 0.3 V across the resistor: brightness varies from LED to LED; for more, use driver: "transistor"');
});

test('a transistor-driven lamp runs from 5 V', () => {
  const [fog] = carWiring(car({ fog: { pin: 'GP26', kind: 'switch', currentMa: 60, driver: 'transistor' } }));
  // (5 V − 0.2 V − 3.0 V) / 60 mA = 30 Ω → 33 Ω
  expect(fog).toMatchObject({ physicalPin: 31, supplyVoltage: 5, resistorOhms: 33, currentMa: 54.5, note: undefined });
});

test('README shows the wiring table computed from plamo.config.ts', () => {
  const readme = require('node:fs').readFileSync('README.md', 'utf8') as string;
  expect(readme).toContain(wiringMarkdown(loadConfig().cars.rps13));
});
