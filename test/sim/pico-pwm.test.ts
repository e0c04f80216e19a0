import { ScriptedBroker, VirtualClock, VirtualPico } from '../../lib/sim/pico';

/** A bare virtual Pico W running `code`; returns it, with `result` read back through JSON. */
async function run(code: string): Promise<{ pico: VirtualPico; result: unknown }> {
  const clock = new VirtualClock();
  const pico = await VirtualPico.create({ files: new Map(), clock, wire: new ScriptedBroker(clock) });
  pico.eval('0');
  (pico as unknown as { mp: { runPython(code: string): void } }).mp.runPython(`result = None\n${code}`);
  return { pico, result: JSON.parse(pico.eval('__import__("json").dumps(result)') as string) };
}

describe("the virtual Pico W's machine.PWM, as ports/rp2/machine_pwm.c behaves", () => {
  test('the two GPIOs of a slice, and GPIO n and n+16, share one frequency: setting it on one retunes the others', async () => {
    const { pico, result } = await run(
      [
        'from machine import Pin, PWM',
        'lamp = PWM(Pin(2), freq=1000, duty_u16=32768)',
        'other = PWM(Pin(19), freq=1000, duty_u16=65535)',
        'servo = PWM(Pin(3), freq=50, duty_ns=1500000)',
        'result = [lamp.freq(), other.freq(), servo.freq()]',
      ].join('\n'),
    );
    expect(result).toEqual([50, 50, 50]);
    expect(pico.pins.get(2)?.freq).toBe(50);
    // GPIO 19 is channel B, as GPIO 3 is: the same output, now the servo's pulse.
    expect(pico.pins.get(19)?.pulseNs).toBe(pico.pins.get(3)?.pulseNs);
    // The lamp keeps its duty fraction, now as 10 ms pulses: what a 50 Hz flicker looks like.
    expect(pico.pins.get(2)?.duty).toBe(32768);
    expect(Math.round((pico.pins.get(2)?.pulseNs ?? 0) / 1e5)).toBe(100);
    expect(Math.abs((pico.pins.get(3)?.pulseNs ?? 0) - 1_500_000)).toBeLessThanOrEqual(310);
  });

  test('a slice on its own keeps its frequency', async () => {
    const { result } = await run(
      ['from machine import Pin, PWM', 'lamp = PWM(Pin(2), freq=1000)', 'PWM(Pin(6), freq=50)', 'result = lamp.freq()'].join('\n'),
    );
    expect(result).toBe(1000);
  });

  test('a duty past the top is clamped, not refused: a pulse longer than the period is the whole period, duty_u16 stops at 65535', async () => {
    const { pico, result } = await run(
      [
        'from machine import Pin, PWM',
        'servo = PWM(Pin(6), freq=50)',
        'servo.duty_ns(30000000)',
        'lamp = PWM(Pin(2), freq=1000)',
        'lamp.duty_u16(70000)',
        'result = [servo.duty_u16(), lamp.duty_u16()]',
      ].join('\n'),
    );
    expect(result).toEqual([65535, 65535]);
    expect(Math.round((pico.pins.get(6)?.pulseNs ?? 0) / 1e6)).toBe(20);
    expect(pico.pins.get(2)?.duty).toBe(65535);
  });

  test.each([
    ['a frequency below what the divider reaches', 'PWM(Pin(6)).freq(5)', 'freq too small'],
    ['a watchdog longer than the RP2040 holds', '__import__("machine").WDT(timeout=9000)', 'timeout exceeds 8388'],
  ])("%s raises ValueError with the port's text", async (_what, call, message) => {
    const { result } = await run(
      ['from machine import Pin, PWM', 'try:', `    ${call}`, 'except ValueError as error:', '    result = str(error)'].join('\n'),
    );
    expect(result).toBe(message);
  });
});
