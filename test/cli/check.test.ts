import { execFileSync } from 'node:child_process';
import { runCli } from '../../lib/cli';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
  try {
    const code = await runCli(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    for (const spy of [log, error, stdout, stderr]) spy.mockRestore();
  }
}

describe('plamo check', () => {
  test('prints each car with its lamp table and current budget', async () => {
    const { code, out } = await run('check');
    expect(code).toBe(0);
    expect(out).toContain('rps13 — Nissan 180SX (RPS13) 1/24');
    expect(out).toMatch(/headlights\s+GP2\s+pwm\s+10 mA\s+GPIO/);
    expect(out).toMatch(/brake\s+GP5\s+pwm\s+8 mA\s+GPIO/);
    expect(out).toContain('GPIO current: 30 mA of 50 mA (≤ 12 mA per pin)');
    expect(out).toContain('groups: hazard = turnLeft + turnRight');
  });

  test("prints the car's servo, outside the GPIO budget, and the effects it can play", async () => {
    const { out } = await run('check');
    expect(out).toContain('servo pods: GP6 at 50 Hz, raises headlights (1000–2000 µs, 500 ms), powered from VBUS');
    expect(out).toContain('effects: flash, welcome');
  });

  test('prints every problem of an invalid config and exits 1', async () => {
    const { code, err } = await run('check', '--config', 'test/fixtures/configs/invalid.config.ts');
    expect(code).toBe(1);
    expect(err).toContain('cars.rps13.lamps.brake.pin: GP23 is used by the Wi-Fi chip on Pico W; use GP0–GP22 or GP26–GP28');
    expect(err).toContain("cars.rps13.lamps.turnLeft.pin: GP2 is already used by lamp 'headlights'; give each lamp its own pin");
    expect(err).toContain('cars.rps13.blinkPerMin: must be at most 120');
  });

  test('says which file is missing', async () => {
    const { code, err } = await run('check', '--config', 'nope.config.ts');
    expect(code).toBe(1);
    expect(err).toContain('nope.config.ts not found; create it with defineConfig() (see README.md)');
  });
});

test('plamo --help lists the commands', async () => {
  const { code, out } = await run('--help');
  expect(code).toBe(0);
  expect(out).toMatch(/Commands:[\s\S]*check/);
});

test('the installed plamo binary exits 1 on an invalid config', () => {
  let status = 0;
  let stderr = '';
  try {
    execFileSync('node_modules/.bin/plamo', ['check', '--config', 'test/fixtures/configs/invalid.config.ts'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (error) {
    ({ status, stderr } = error as { status: number; stderr: string });
  }
  expect(status).toBe(1);
  expect(stderr).toContain('test/fixtures/configs/invalid.config.ts is invalid:');
});
