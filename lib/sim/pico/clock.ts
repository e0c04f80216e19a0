/**
 * The virtual Pico W's sense of time, behind one seam: the firmware's `clock.py` is replaced by a fake
 * that asks a PicoClock. Tests use VirtualClock (hours of device time in milliseconds, advanced only by
 * `runFor`); the local twin uses RealClock.
 */
export interface PicoClock {
  /** Milliseconds since the board powered up. */
  now(): number;
  /** Unix time in seconds that an NTP server would answer with. */
  trueTimeS(): number;
  /** The firmware sleeps: null means "time has moved on, continue", a promise means "resume when it settles". */
  sleep(ms: number): Promise<void> | null;
  /** A blocking call on the device (TLS handshake, NTP timeout) took this long. */
  spend(ms: number): void;
  /** A socket has news for the board: end its current sleep now (the firmware polls it then). */
  wake(): void;
}

/**
 * Wall-clock time for the twin: sleeps are real timers that a socket's news ends early. Each sleep is a
 * JavaScript promise awaited by Python, and the interpreter's bridge keeps a few dozen bytes per await
 * (measured 16–35 B); the firmware sleeps until the next lamp edge or packet, at most 1 s when idle.
 */
export class RealClock implements PicoClock {
  private readonly start = performance.now();
  private wakeSleeper?: () => void;

  now(): number {
    return Math.floor(performance.now() - this.start);
  }

  trueTimeS(): number {
    return Math.floor(Date.now() / 1000);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
  }

  spend(): void {}

  wake(): void {
    const wake = this.wakeSleeper;
    this.wakeSleeper = undefined;
    wake?.();
  }
}

export interface VirtualClockOptions {
  /** What NTP answers at power-up. @default 2026-06-01T00:00:00Z */
  readonly startEpochMs?: number;
}

/**
 * Device time that stands still until a test lets it run. The firmware sleeps without yielding to Node
 * while it stays inside the allowed window, so a virtual hour costs only the CPU the firmware uses.
 */
export class VirtualClock implements PicoClock {
  private nowMs = 0;
  private limitMs = 0;
  private sleeper?: { readonly wakeAt: number; readonly resume: () => void };
  private parked?: () => void;
  private readonly startEpochMs: number;

  constructor(options: VirtualClockOptions = {}) {
    this.startEpochMs = options.startEpochMs ?? Date.UTC(2026, 5, 1);
  }

  now(): number {
    return this.nowMs;
  }

  trueTimeS(): number {
    return Math.floor((this.startEpochMs + this.nowMs) / 1000);
  }

  sleep(ms: number): Promise<void> | null {
    const wakeAt = this.nowMs + Math.max(0, ms);
    if (wakeAt <= this.limitMs) {
      this.nowMs = wakeAt;
      return null;
    }
    // Device time runs on to the end of the allowed window while the firmware sleeps past it, so what a
    // test does next (a message, a lost access point) happens at that moment of device time.
    this.nowMs = Math.max(this.nowMs, this.limitMs);
    return new Promise((resume) => {
      this.sleeper = { wakeAt, resume };
      this.settle();
    });
  }

  spend(ms: number): void {
    this.nowMs += Math.max(0, ms);
  }

  /** The sleeping firmware wakes at the current device time, as soon as time may run again. */
  wake(): void {
    const sleeper = this.sleeper;
    if (!sleeper || sleeper.wakeAt <= this.nowMs) return;
    this.sleeper = { wakeAt: this.nowMs, resume: sleeper.resume };
  }

  /**
   * Lets device time run `ms` further; resolves once the firmware is asleep past that point (or has ended:
   * call `stopped()` then). Nothing else moves the clock.
   */
  runFor(ms: number): Promise<void> {
    this.limitMs = Math.max(this.limitMs, this.nowMs) + ms;
    return new Promise((resolve) => {
      this.parked = resolve;
      const sleeper = this.sleeper;
      if (sleeper && sleeper.wakeAt <= this.limitMs) {
        this.sleeper = undefined;
        this.nowMs = sleeper.wakeAt;
        sleeper.resume();
      } else if (sleeper || this.ended) {
        this.settle();
      }
    });
  }

  private ended = false;

  /** The firmware has stopped for good (returned, crashed, reset): no more waiting for it to park. */
  stopped(): void {
    this.ended = true;
    this.settle();
  }

  private settle(): void {
    const parked = this.parked;
    this.parked = undefined;
    parked?.();
  }
}
