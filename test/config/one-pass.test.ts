import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, parseConfig } from '../../lib/config';

const ROOT = resolve(__dirname, '..', '..');

function problemsOf(input: unknown): readonly string[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

const wifi = { ssid: 'garage' };

describe('every problem in one pass', () => {
  test('structural problems and cross-field rules are listed together', () => {
    const lamps = {
      headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 },
      turnLeft: { pin: 'GP2', kind: 'blinker', currentMa: 20, defaultBrightness: 50 },
      turnRight: { pin: 4, kind: 'blinker', currentMa: 6 },
    };
    const groups = { headlights: ['turnLeft'], hazard: ['turnLeft', 'turnRigth'] };
    const scenes = { night: { headlight: 'on', hazard: { mode: 'on', brightness: 20 } } };
    expect(problemsOf({ cars: { rps13: { wifi, blinkPerMin: 150, lamps, groups, scenes } } })).toEqual([
      'cars.rps13.blinkPerMin: must be at most 120',
      "cars.rps13.lamps.turnRight.pin: expected a string, got the number 4; write it like pin: 'GP4'",
      'cars.rps13.lamps.turnLeft.defaultBrightness: has no effect on a "blinker" lamp, which is only on or off; remove defaultBrightness or set kind: "pwm"',
      'cars.rps13.lamps.turnLeft.currentMa: 20 mA is over the RP2040\'s 12 mA per pin; use a larger resistor or set driver: "transistor"',
      "cars.rps13.lamps.turnLeft.pin: GP2 is already used by lamp 'headlights'; give each lamp its own pin",
      "cars.rps13.groups.headlights: 'headlights' is already a lamp name; give the group another name",
      "cars.rps13.groups.hazard.1: 'turnRigth' is not a lamp of this car; known lamps: headlights, turnLeft, turnRight",
      "cars.rps13.scenes.night.headlight: 'headlight' is not a lamp or group of this car; known: headlights, turnLeft, turnRight, hazard",
      'cars.rps13.scenes.night.hazard.brightness: turnLeft cannot dim; remove brightness or make the lamp kind: "pwm"',
    ]);
  });

  test('a suggestion list names a lamp once even when a group has the same name', () => {
    const lamps = { brake: { pin: 'GP5', kind: 'pwm', currentMa: 8 } };
    const problems = problemsOf({ cars: { rps13: { wifi, lamps, groups: { brake: ['brake'] }, scenes: { stop: { brakes: 'on' } } } } });
    expect(problems).toContain("cars.rps13.scenes.stop.brakes: 'brakes' is not a lamp or group of this car; known: brake");
  });
});

describe('settings that would have no effect', () => {
  test.each(['switch', 'blinker'])('defaultBrightness on a %s lamp is refused with the fix', (kind) => {
    const lamps = { fog: { pin: 'GP6', kind, currentMa: 5, defaultBrightness: 40 } };
    expect(problemsOf({ cars: { rps13: { wifi, lamps } } })).toEqual([
      `cars.rps13.lamps.fog.defaultBrightness: has no effect on a "${kind}" lamp, which is only on or off; remove defaultBrightness or set kind: "pwm"`,
    ]);
  });

  test('defaultBrightness on a pwm lamp is taken', () => {
    const lamps = { fog: { pin: 'GP6', kind: 'pwm', currentMa: 5, defaultBrightness: 40 } };
    expect(parseConfig({ cars: { rps13: { wifi, lamps } } }).cars.rps13.lamps.fog.defaultBrightness).toBe(40);
  });
});

describe('a value of the wrong type says how to write it', () => {
  const lamp = { pin: 'GP2', kind: 'pwm', currentMa: 10 };
  test('a key with an example shows it', () => {
    expect(problemsOf({ cars: { rps13: { wifi, lamps: { headlights: { ...lamp, currentMa: '10' } } } } })).toEqual([
      'cars.rps13.lamps.headlights.currentMa: expected a number, got the string "10"; write it like currentMa: 10',
    ]);
  });

  test('a string written as a number is to be quoted', () => {
    expect(problemsOf({ cars: { rps13: { wifi, name: 180, lamps: { headlights: lamp } } } })).toEqual([
      "cars.rps13.name: expected a string, got the number 180; put it in quotes: '180'",
    ]);
  });

  test('a list written as one name is to be a list', () => {
    expect(problemsOf({ cars: { rps13: { wifi, lamps: { headlights: lamp }, groups: { all: 'headlights' } } } })).toEqual([
      "cars.rps13.groups.all: expected a list, got the string \"headlights\"; write it as a list: ['…', '…']",
    ]);
  });

  test('a missing key with an example shows how to add it', () => {
    expect(problemsOf({ cars: { rps13: { wifi, lamps: { headlights: { kind: 'pwm', currentMa: 10 } } } } })).toEqual([
      "cars.rps13.lamps.headlights.pin: is required; add it, like pin: 'GP2'",
    ]);
  });

  test('a missing key without an example says what it must be', () => {
    expect(problemsOf({ cars: { rps13: { wifi, lamps: { headlights: lamp } } }, api: { rateLimit: true } })).toEqual([
      'api.rateLimit: expected a number, got the boolean true; write the number without quotes',
    ]);
  });
});

describe('a config file that does not load', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plamo-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function check(source: string): string {
    const file = join(dir, 'plamo.config.ts');
    writeFileSync(file, source);
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'plamo'), ['check', '--config', file], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      return (error as { stderr: string }).stderr;
    }
    throw new Error('expected plamo check to fail');
  }

  test('a syntax error shows file, line, column and the line, and no stack trace', () => {
    const err = check("export default {\n  cars: { rps13: { wifi: { ssid: 'g' } lamps: {} } },\n};\n");
    const file = join(dir, 'plamo.config.ts');
    expect(err).toBe(
      `✗ ${file} is invalid:\n  - ${file}:2:40: Expected "}" but found "lamps"\n` +
        "        cars: { rps13: { wifi: { ssid: 'g' } lamps: {} } },\n" +
        `      ${' '.repeat(39)}^\n`,
    );
  });

  test('an error while the file runs points at its line', () => {
    const err = check('export default makeConfig();\n');
    const file = join(dir, 'plamo.config.ts');
    expect(err).toBe(
      `✗ ${file} is invalid:\n  - ${file}:1:16: makeConfig is not defined\n      export default makeConfig();\n      ${' '.repeat(15)}^\n`,
    );
    expect(err).not.toMatch(/^\s+at /m);
  });
});
