import { ConfigError, type PlamoConfigInput, parseConfig } from '../../lib/config';
import { MAX_LAMPS_PER_CAR } from '../../lib/contract';

type CarInput = PlamoConfigInput['cars'][string];

/** A valid car; each test breaks one thing in it. */
function car(overrides: Partial<CarInput> = {}): CarInput {
  return {
    wifi: { ssid: 'garage' },
    lamps: {
      headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 },
      turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 6 },
      turnRight: { pin: 'GP4', kind: 'blinker', currentMa: 6 },
    },
    groups: { hazard: ['turnLeft', 'turnRight'] },
    ...overrides,
  };
}

function problemsOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('a valid config', () => {
  test('gets every default filled in', () => {
    const config = parseConfig({ cars: { rps13: car() } });
    expect(config.topicRoot).toBe('cars');
    expect(config.keepaliveS).toBe(60);
    expect(config.api).toEqual({ rateLimit: 10, burstLimit: 20 });
    const rps13 = config.cars.rps13;
    expect(rps13.powerOn).toBe('restore');
    expect(rps13.blinkPerMin).toBe(85);
    expect(rps13.certificate).toEqual({ generation: 1, mode: 'aws' });
    expect(rps13.wifi.country).toBe('JP');
    expect(rps13.lamps.headlights).toMatchObject({ driver: 'gpio', defaultBrightness: 100 });
    expect(rps13.scenes).toEqual({});
  });

  test('the example plamo.config.ts is valid and has the worked example car', () => {
    const { loadConfig } = require('../../lib/config');
    const config = loadConfig('plamo.config.ts');
    expect(Object.keys(config.cars.rps13.lamps)).toEqual(['headlights', 'turnLeft', 'turnRight', 'brake']);
    expect(config.cars.rps13.groups.hazard).toEqual(['turnLeft', 'turnRight']);
    expect(Object.keys(config.cars.rps13.scenes)).toHaveLength(2);
  });
});

describe('each rule names the key and the fix', () => {
  test('car ids must be valid thing names', () => {
    expect(problemsOf({ cars: { 'my car!': car() } })).toEqual([
      'cars.my car!: not a valid car id; use 1–64 letters, digits, _ or - (it becomes the IoT thing name)',
    ]);
    expect(problemsOf({ cars: { ['x'.repeat(65)]: car() } })[0]).toMatch(/^cars\.x{65}: not a valid car id/);
  });

  test('at least one car', () => {
    expect(problemsOf({ cars: {} })).toEqual(['cars: add at least one car']);
  });

  test('lamp names must be identifiers', () => {
    const lamps = { 'turn-left': { pin: 'GP3', kind: 'switch' as const, currentMa: 5 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      "cars.rps13.lamps.turn-left: not a valid lamp name; use a letter, then letters or digits (≤ 32), like 'turnLeft'",
    ]);
  });

  test('pins on the Wi-Fi chip are refused', () => {
    for (const pin of ['GP23', 'GP24', 'GP25', 'GP29']) {
      const lamps = { headlights: { pin, kind: 'pwm' as const, currentMa: 10 } };
      expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
        `cars.rps13.lamps.headlights.pin: ${pin} is used by the Wi-Fi chip on Pico W; use GP0–GP22 or GP26–GP28`,
      ]);
    }
  });

  test('pins that do not exist or are misspelt are refused', () => {
    const lamps = (pin: string) => ({ headlights: { pin, kind: 'pwm' as const, currentMa: 10 } });
    expect(problemsOf({ cars: { rps13: car({ lamps: lamps('GP30'), groups: {} }) } })).toEqual([
      'cars.rps13.lamps.headlights.pin: GP30 does not exist on the Pico W; use GP0–GP22 or GP26–GP28',
    ]);
    expect(problemsOf({ cars: { rps13: car({ lamps: lamps('D4'), groups: {} }) } })).toEqual([
      "cars.rps13.lamps.headlights.pin: 'D4' is not a pin name; write it like 'GP2' (use GP0–GP22 or GP26–GP28)",
    ]);
  });

  test('every usable pin is accepted', () => {
    const usable = [...Array.from({ length: 23 }, (_, i) => i), 26, 27, 28];
    for (const gpio of usable) {
      const lamps = { headlights: { pin: `GP${gpio}`, kind: 'pwm' as const, currentMa: 10 } };
      expect(() => parseConfig({ cars: { rps13: car({ lamps, groups: {} }) } })).not.toThrow();
    }
  });

  test('two lamps may not share a pin', () => {
    const lamps = {
      headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 10 },
      fogLamps: { pin: 'GP2', kind: 'switch' as const, currentMa: 5 },
    };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      "cars.rps13.lamps.fogLamps.pin: GP2 is already used by lamp 'headlights'; give each lamp its own pin",
    ]);
  });

  test('a pin written with a leading zero is the same pin', () => {
    const lamps = {
      headlights: { pin: 'GP5', kind: 'pwm' as const, currentMa: 10 },
      fogLamps: { pin: 'GP05', kind: 'switch' as const, currentMa: 5 },
    };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      "cars.rps13.lamps.fogLamps.pin: GP05 is already used by lamp 'headlights'; give each lamp its own pin",
    ]);
  });

  test('lamp kinds are switch, pwm or blinker', () => {
    const lamps = { headlights: { pin: 'GP2', kind: 'neon', currentMa: 10 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} } as never) } })).toEqual([
      'cars.rps13.lamps.headlights.kind: must be one of "switch", "pwm", "blinker"',
    ]);
  });

  test('group members must be lamps of the car', () => {
    expect(problemsOf({ cars: { rps13: car({ groups: { hazard: ['turnLeft', 'turnRigth'] } }) } })).toEqual([
      "cars.rps13.groups.hazard.1: 'turnRigth' is not a lamp of this car; known lamps: headlights, turnLeft, turnRight",
    ]);
  });

  test('a group may not take a lamp name', () => {
    expect(problemsOf({ cars: { rps13: car({ groups: { headlights: ['turnLeft'] } }) } })).toEqual([
      "cars.rps13.groups.headlights: 'headlights' is already a lamp name; give the group another name",
    ]);
  });

  test('scene members must be lamps or groups of the car', () => {
    expect(problemsOf({ cars: { rps13: car({ scenes: { night: { headlight: 'on' } } }) } })).toEqual([
      "cars.rps13.scenes.night.headlight: 'headlight' is not a lamp or group of this car; known: headlights, turnLeft, turnRight, hazard",
    ]);
  });

  test('a scene may dim only pwm lamps', () => {
    expect(problemsOf({ cars: { rps13: car({ scenes: { dim: { hazard: { mode: 'on', brightness: 30 } } } }) } })).toEqual([
      'cars.rps13.scenes.dim.hazard.brightness: turnLeft, turnRight cannot dim; remove brightness or make the lamp kind: "pwm"',
    ]);
  });

  test('brightness is 0–100', () => {
    expect(problemsOf({ cars: { rps13: car({ scenes: { night: { headlights: { mode: 'on', brightness: 120 } } } }) } })).toEqual([
      'cars.rps13.scenes.night.headlights.brightness: must be at most 100',
    ]);
    const lamps = { headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 10, defaultBrightness: -1 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps.headlights.defaultBrightness: must be at least 0',
    ]);
  });

  test('blink rate is 60–120 flashes per minute', () => {
    expect(problemsOf({ cars: { rps13: car({ blinkPerMin: 150 }) } })).toEqual(['cars.rps13.blinkPerMin: must be at most 120']);
    expect(problemsOf({ cars: { rps13: car({ blinkPerMin: 30 }) } })).toEqual(['cars.rps13.blinkPerMin: must be at least 60']);
  });

  test('an LED current of 0 mA is refused: it must be more than 0, not "at least 0"', () => {
    const lamps = { headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 0 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps.headlights.currentMa: must be more than 0',
    ]);
  });

  test('a scene command that is neither a mode nor { mode, brightness } names both forms', () => {
    expect(problemsOf({ cars: { rps13: car({ scenes: { night: { headlights: 'dim' } } } as never) } })).toEqual([
      'cars.rps13.scenes.night.headlights: use one of "on", "off", "blink", or { mode, brightness, transitionMs }',
    ]);
  });

  test('a fractional certificate generation is refused as not a whole number', () => {
    expect(problemsOf({ cars: { rps13: car({ certificate: { generation: 1.5 } }) } })).toEqual([
      'cars.rps13.certificate.generation: must be a whole number, got 1.5',
    ]);
  });

  test('an LED colour is one the wiring table knows', () => {
    const lamps = { headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 10, colour: 'purple' } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} } as never) } })).toEqual([
      'cars.rps13.lamps.headlights.colour: must be one of "white", "red", "amber", "green", "blue"',
    ]);
  });

  test('a lamp position is one the phone page can draw', () => {
    const lamps = { headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 10, position: 'bonnet' } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} } as never) } })).toEqual([
      'cars.rps13.lamps.headlights.position: must be one of "front", "rear", "left", "right", "frontLeft", "frontRight", "rearLeft", "rearRight", "roof"',
    ]);
  });

  test('a label names a group or scene of the car', () => {
    expect(problemsOf({ cars: { rps13: car({ labels: { hazzard: 'Hazard lights' } }) } })).toEqual([
      "cars.rps13.labels.hazzard: 'hazzard' is not a group, scene or effect of this car; known: hazard",
    ]);
  });

  test("a lamp's label is refused among the group and scene labels, with where it goes", () => {
    expect(problemsOf({ cars: { rps13: car({ labels: { headlights: 'Lights' } }) } })).toEqual([
      "cars.rps13.labels.headlights: 'headlights' is not a group, scene or effect of this car; a lamp's label goes in lamps.headlights.label",
    ]);
  });

  test("a scene's fade is for lamps that dim", () => {
    const scenes = {
      night: { headlights: { mode: 'on' as const, transitionMs: 800 }, hazard: { mode: 'on' as const, transitionMs: 800 } },
    };
    expect(problemsOf({ cars: { rps13: car({ scenes }) } })).toEqual([
      'cars.rps13.scenes.night.hazard.transitionMs: turnLeft, turnRight cannot fade; remove transitionMs or make the lamp kind: "pwm"',
    ]);
  });

  test('a fade has no effect on a lamp that cannot dim, and none is longer than 5 s', () => {
    const lamps = {
      headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 10, transitionMs: 6000 },
      turnLeft: { pin: 'GP3', kind: 'blinker' as const, currentMa: 6, transitionMs: 300 },
    };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps.headlights.transitionMs: must be at most 5000',
      'cars.rps13.lamps.turnLeft.transitionMs: has no effect on a "blinker" lamp, which switches at once; remove transitionMs or set kind: "pwm"',
    ]);
  });

  test('a tail level needs a pwm lamp', () => {
    const lamps = { brake: { pin: 'GP5', kind: 'switch' as const, currentMa: 8, tailLevel: 20 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps.brake.tailLevel: a tail level needs dimming; set kind: "pwm" or remove tailLevel',
    ]);
  });

  test('no pin may carry more than 12 mA', () => {
    const lamps = { headlights: { pin: 'GP2', kind: 'pwm' as const, currentMa: 15 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps.headlights.currentMa: 15 mA is over the RP2040\'s 12 mA per pin; use a larger resistor or set driver: "transistor"',
    ]);
  });

  test('all GPIO-driven lamps together may not draw more than 50 mA', () => {
    const lamps = Object.fromEntries(
      [2, 3, 4, 5, 6].map((gpio) => [`lamp${gpio}`, { pin: `GP${gpio}`, kind: 'switch' as const, currentMa: 11 }]),
    );
    expect(problemsOf({ cars: { rps13: car({ lamps, groups: {} }) } })).toEqual([
      'cars.rps13.lamps: 55 mA drawn straight from GPIOs is over the RP2040\'s 50 mA total; lower the currents or drive some lamps with driver: "transistor"',
    ]);
  });

  test('lamps behind a transistor do not count against the GPIO budget', () => {
    const lamps = Object.fromEntries(
      [2, 3, 4, 5, 6].map((gpio) => [
        `lamp${gpio}`,
        { pin: `GP${gpio}`, kind: 'switch' as const, currentMa: 40, driver: 'transistor' as const },
      ]),
    );
    expect(() => parseConfig({ cars: { rps13: car({ lamps, groups: {} }) } })).not.toThrow();
  });

  test("a car may have no more lamps than AWS IoT Core's subscriptions per connection", () => {
    const lamps = (count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [
          `lamp${i}`,
          { pin: 'GP2', kind: 'switch' as const, currentMa: 1, driver: 'transistor' as const },
        ]),
      );
    const limit = `cars.rps13.lamps: ${MAX_LAMPS_PER_CAR + 1} lamps need ${MAX_LAMPS_PER_CAR + 1} MQTT subscriptions, over AWS IoT Core's ${MAX_LAMPS_PER_CAR} per connection; give this car at most ${MAX_LAMPS_PER_CAR} lamps`;
    expect(problemsOf({ cars: { rps13: car({ lamps: lamps(MAX_LAMPS_PER_CAR + 1), groups: {} }) } })).toContain(limit);
    expect(
      problemsOf({ cars: { rps13: car({ lamps: lamps(MAX_LAMPS_PER_CAR), groups: {} }) } }).some((p) => p.includes('subscriptions')),
    ).toBe(false);
  });

  test('unknown keys are reported, not ignored', () => {
    expect(problemsOf({ cars: { rps13: car({ colour: 'red' } as never) } })).toEqual([
      "cars.rps13: unknown key 'colour'; check the spelling against the config reference in README.md",
    ]);
  });

  test('the Wi-Fi password has no place in the config', () => {
    expect(problemsOf({ cars: { rps13: car({ wifi: { ssid: 'garage', password: 'hunter2' } } as never) } })).toEqual([
      'cars.rps13.wifi.password: the Wi-Fi password is not kept in the config (it is committed); set PLAMO_WIFI_PASSWORD or put it in a gitignored .env',
    ]);
  });

  test('required keys say they are required', () => {
    expect(problemsOf({ cars: { rps13: { lamps: car().lamps } } })).toEqual([
      "cars.rps13.wifi: is required; add it, like wifi: { ssid: 'garage-2g' }",
    ]);
  });

  test('every problem is reported at once, across cars', () => {
    const problems = problemsOf({
      cars: {
        one: car({ blinkPerMin: 200 }),
        two: car({ lamps: { headlights: { pin: 'GP25', kind: 'pwm', currentMa: 20 } }, groups: {} }),
      },
    });
    expect(problems).toEqual([
      'cars.one.blinkPerMin: must be at most 120',
      'cars.two.lamps.headlights.pin: GP25 is used by the Wi-Fi chip on Pico W; use GP0–GP22 or GP26–GP28',
      'cars.two.lamps.headlights.currentMa: 20 mA is over the RP2040\'s 12 mA per pin; use a larger resistor or set driver: "transistor"',
    ]);
  });

  test('the error message lists the problems under the file name', () => {
    expect(() => parseConfig({ cars: {} }, 'my.config.ts')).toThrow('my.config.ts is invalid:\n  - cars: add at least one car');
  });
});

describe('servos', () => {
  const pods = (servo: Record<string, unknown>, lamps: Partial<CarInput['lamps']> = {}) =>
    problemsOf({ cars: { rps13: car({ lamps: { ...car().lamps, ...lamps }, servos: { pods: servo } } as never) } });

  test('a servo takes its defaults: 50 Hz pulses of 2 ms up and 1 ms down, 500 ms of travel', () => {
    const config = parseConfig({ cars: { rps13: car({ servos: { pods: { pin: 'GP6', carries: ['headlights'] } } }) } });
    expect(config.cars.rps13.servos.pods).toEqual({ pin: 'GP6', carries: ['headlights'], upUs: 2000, downUs: 1000, travelMs: 500 });
  });

  test('a servo may not share the PWM slice of a dimmed lamp (GP2k with GP2k+1, GPIO n with n+16); the fix names a free pin', () => {
    // GP3 shares slice 1 with the dimmed headlights on GP2; GP18 is the same slice, 16 higher.
    for (const pin of ['GP3', 'GP18'])
      expect(pods({ pin, carries: ['headlights'] }, { turnLeft: { pin: 'GP7', kind: 'blinker', currentMa: 6 } })).toEqual([
        `cars.rps13.servos.pods.pin: ${pin} is on PWM slice 1 with dimmed lamp 'headlights' (GP2, 1000 Hz), and the two GPIOs of a slice (and GPIO n and n+16) run at one frequency, the servo's 50 Hz; move the servo to GP0 or make the lamp an on/off kind`,
      ]);
  });

  test('a servo beside an on/off lamp on its slice is fine: that pin is no PWM output', () => {
    expect(() => parseConfig({ cars: { rps13: car({ servos: { pods: { pin: 'GP5', carries: ['headlights'] } } }) } })).not.toThrow();
  });

  test("a servo's pin is its own, its lamps exist and ride on one servo, and its pulses are 0.5–2.5 ms and differ", () => {
    expect(pods({ pin: 'GP4', carries: ['headlights', 'fog', 'headlights'], upUs: 3000, downUs: 400 }, {})).toEqual([
      'cars.rps13.servos.pods.upUs: a servo pulse is 500–2500 µs',
      'cars.rps13.servos.pods.downUs: a servo pulse is 500–2500 µs',
      "cars.rps13.servos.pods.pin: GP4 is already used by lamp 'turnRight'; give the servo its own pin",
      "cars.rps13.servos.pods.carries.1: 'fog' is not a lamp of this car; known lamps: headlights, turnLeft, turnRight",
      "cars.rps13.servos.pods.carries.2: 'headlights' is listed twice; name each lamp once",
    ]);
    expect(pods({ pin: 'GP6', carries: ['headlights'], upUs: 1500, downUs: 1500 })).toEqual([
      'cars.rps13.servos.pods.downUs: is the same pulse as upUs (1500 µs), so the servo would never move; give up and down different pulses',
    ]);
  });

  test('a lamp rides on one servo, and a servo raises at least one lamp', () => {
    const servos = {
      left: { pin: 'GP6', carries: ['headlights'] },
      right: { pin: 'GP7', carries: ['headlights'] },
      none: { pin: 'GP8', carries: [] },
    };
    expect(problemsOf({ cars: { rps13: car({ servos }) } })).toEqual([
      'cars.rps13.servos.none.carries: name the lamps the servo raises, e.g. ["headlights"]',
      "cars.rps13.servos.right.carries.0: 'headlights' is already carried by servo 'left'; a lamp rides on one servo",
    ]);
  });

  test("a servo's errors come with the rest of the car's, in one pass", () => {
    const lamps = { ...car().lamps, headlights: { pin: 'GP23', kind: 'pwm' as const, currentMa: 10 } };
    expect(problemsOf({ cars: { rps13: car({ lamps, servos: { pods: { pin: 'GP40', carries: ['headlamps'] } } }) } })).toEqual([
      'cars.rps13.lamps.headlights.pin: GP23 is used by the Wi-Fi chip on Pico W; use GP0–GP22 or GP26–GP28',
      'cars.rps13.servos.pods.pin: GP40 does not exist on the Pico W; use GP0–GP22 or GP26–GP28',
      "cars.rps13.servos.pods.carries.0: 'headlamps' is not a lamp of this car; known lamps: headlights, turnLeft, turnRight",
    ]);
  });
});
