import { LAMP_MODES } from '../../lib/config';
import { LINK } from '../../lib/sim/pico';
import { type Bench, bench } from './support';

// The firmware's pure parts, called directly inside the interpreter (nothing started).
describe('firmware logic', () => {
  let b: Bench;
  const py = (expression: string) => JSON.parse(b.pico.eval(`__import__("json").dumps(${expression})`) as string);

  beforeAll(async () => {
    b = await bench();
  });

  test('backoff doubles from 1 s and stops at 60 s, each with at most 25 % jitter', () => {
    const delays: number[] = py('[__import__("link").backoff_ms(n) for n in range(12)]');
    const bases = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60].map((s) => s * 1000);
    delays.forEach((delay, n) => {
      expect(delay).toBeGreaterThanOrEqual(bases[n]);
      expect(delay).toBeLessThanOrEqual(bases[n] * 1.25);
    });
  });

  test('Wi-Fi failures are classified from the CYW43 link status', () => {
    const classify = (link: number, timedOut: boolean) => py(`__import__("wifi").classify(${link}, ${timedOut ? 'True' : 'False'})`);
    expect(classify(LINK.up, false)).toBeNull();
    expect(classify(LINK.badAuth, false)).toEqual(['wifi_bad_password', 2]);
    expect(classify(LINK.noNet, false)).toEqual(['wifi_no_ap', 3]);
    expect(classify(LINK.join, true)).toEqual(['wifi_timeout', 4]);
    expect(classify(LINK.noIp, true)).toEqual(['wifi_no_ip', 4]);
  });

  test("the firmware's lamp modes are the contract's", () => {
    expect(py('sorted(__import__("lamps").MODES)')).toEqual([...LAMP_MODES].sort());
  });

  test('gamma: 0 and 100 are exact, the middle is dimmer than linear', () => {
    expect(py('[__import__("lamps").gamma_duty(p) for p in (0, 1, 50, 100)]')).toEqual([0, 3, 14263, 65535]);
  });

  test('MicroPython older than 1.24 is named with the fix, 1.24 and newer pass', () => {
    expect(py('__import__("checks").micropython_problem((1, 23, 0))')).toContain('MicroPython 1.23.0 is too old');
    expect(py('__import__("checks").micropython_problem((1, 24, 0))')).toBeNull();
    expect(py('__import__("checks").micropython_problem((2, 0, 0))')).toBeNull();
  });
});
