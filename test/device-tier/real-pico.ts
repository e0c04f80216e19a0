import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { checkPin, type PlamoConfig } from '../../lib/config';

/** Where the stand-ins for `machine`, `network` and `ntptime` live; they come first on the interpreter's path. */
const STAND_INS = join(__dirname, 'stand-ins');
const PWM_FULL = 65535;

/** One "@pico …" line of the stand-ins, or a line the firmware printed itself. */
export interface ConsoleLine {
  readonly at: number;
  readonly text: string;
}

/**
 * The bundle in `bundleDir` under a real unix-port MicroPython, as a Pico W would run it from its flash:
 * `main.py` from the bundle's folder, the DER files beside it. `machine.reset()` ends the process (exit
 * code 3) and the board boots again, as the real one would, so a reset loop shows as a count of resets.
 */
export class RealPico {
  readonly lines: ConsoleLine[] = [];
  resets = 0;
  /** The latest level (0–1) of each GPIO, by its number as the firmware names it (`Pin(2)` → "2"). */
  private readonly gpio = new Map<string, number>();
  private process: ChildProcess | undefined;
  private running = false;

  constructor(
    private readonly micropython: string,
    private readonly bundleDir: string,
  ) {}

  boot(): void {
    this.running = true;
    const child = spawn(this.micropython, ['main.py'], {
      cwd: this.bundleDir,
      // `.frozen` keeps the interpreter's own frozen modules (asyncio, ssl) ahead of the stand-ins.
      env: { ...process.env, MICROPYPATH: `.frozen:${STAND_INS}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    let pending = '';
    const take = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const text of parts) this.take(text);
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
    child.on('exit', (code) => {
      if (this.process !== child) return;
      this.process = undefined;
      if (code === 3 && this.running) {
        this.resets++;
        this.boot();
      }
    });
  }

  /** Pulls the power: the process is killed without a word to the broker. */
  async powerOff(): Promise<void> {
    this.running = false;
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** A lamp's output, 0–1, from the last write to its GPIO (PWM duty or pin value). */
  lampLevel(config: PlamoConfig, carId: string, lamp: string): number {
    const pin = checkPin(config.cars[carId].lamps[lamp].pin);
    if (!pin.ok) throw new Error(pin.message);
    return this.gpio.get(String(pin.gpio)) ?? 0;
  }

  /** The last lines the board printed, for a failing test's message; the status LED's blinking left out. */
  transcript(last = 40): string {
    return this.lines
      .map((line) => line.text)
      .filter((text) => !text.startsWith('@pico pin LED '))
      .slice(-last)
      .join('\n');
  }

  private take(text: string): void {
    this.lines.push({ at: Date.now(), text });
    const [tag, kind, id, value] = text.trim().split(/\s+/);
    if (tag !== '@pico') return;
    if (kind === 'pin') this.gpio.set(id, Number(value));
    else if (kind === 'pwm') this.gpio.set(id, Number(value) / PWM_FULL);
  }
}
