import { LAMP_KINDS, LAMP_TRAITS, parseConfig } from '../../lib/config';
import { renderConfigPy } from '../../firmware/generate';

const car = (kind: string) => ({
  cars: { rps13: { wifi: { ssid: 'garage-2g' }, lamps: { fog: { pin: 'GP6', kind, currentMa: 5, defaultBrightness: 40 } } } },
});

describe('lamp traits', () => {
  test('the schema takes exactly the kinds of the traits table', () => {
    expect([...LAMP_KINDS]).toEqual(Object.keys(LAMP_TRAITS));
    expect(() => parseConfig(car('neon'))).toThrow(`must be one of ${LAMP_KINDS.map((kind) => `"${kind}"`).join(', ')}`);
  });

  test.each(LAMP_KINDS)('a "%s" lamp takes a default brightness exactly when its kind dims', (kind) => {
    if (LAMP_TRAITS[kind].dims) expect(parseConfig(car(kind)).cars.rps13.lamps.fog.defaultBrightness).toBe(40);
    else expect(() => parseConfig(car(kind))).toThrow(`has no effect on a "${kind}" lamp`);
  });

  test.each(LAMP_KINDS)('the firmware drives a "%s" lamp as PWM at its frequency exactly when its kind dims', (kind) => {
    const config = parseConfig({ cars: { rps13: { wifi: { ssid: 'g' }, lamps: { fog: { pin: 'GP6', kind, currentMa: 5 } } } } });
    const row = renderConfigPy(config, 'rps13', { mqttHost: 'broker.local' })
      .split('\n')
      .find((line) => line.includes('("fog"'));
    const { dims, pwmHz } = LAMP_TRAITS[kind];
    if (dims) expect(pwmHz).toBeGreaterThan(0);
    expect(row).toBe(`    ("fog", 6, ${dims ? pwmHz : 'None'}, 100, None, 0),`);
  });
});
