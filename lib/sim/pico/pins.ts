/** One GPIO (by number) or the on-board `LED` as JavaScript sees it. */
export interface PinState {
  readonly mode: 'out' | 'pwm';
  /** Digital level; for a PWM pin, 1 while its duty is above 0. */
  readonly level: 0 | 1;
  /** PWM duty 0–65535; for a digital pin 0 or 65535. */
  readonly duty: number;
  readonly freq: number;
  /** Width of each pulse a PWM pin puts out, in ns, as the slice's counter makes it (a servo's position); 0 for a digital pin. */
  readonly pulseNs: number;
}

export interface PinChange {
  readonly at: number;
  readonly pin: string;
  readonly state: PinState;
}

export type PinListener = (change: PinChange) => void;

/** Every pin the firmware has touched: current state, a history of changes, and change listeners. */
export class PinBank {
  private readonly states = new Map<string, PinState>();
  private readonly listeners = new Set<PinListener>();
  /** Every change, oldest first (capped at `historyLimit`, oldest dropped). */
  readonly history: PinChange[] = [];

  constructor(
    private readonly now: () => number,
    private readonly historyLimit = 200_000,
  ) {}

  /** The state of a GPIO number or `'LED'`; undefined if the firmware never set it up. */
  get(pin: number | string): PinState | undefined {
    return this.states.get(String(pin));
  }

  level(pin: number | string): 0 | 1 {
    return this.get(pin)?.level ?? 0;
  }

  duty(pin: number | string): number {
    return this.get(pin)?.duty ?? 0;
  }

  /** Changes of one pin, oldest first. */
  changes(pin: number | string): PinChange[] {
    return this.history.filter((change) => change.pin === String(pin));
  }

  /** Calls the listener on every change; returns the function that stops it. */
  onChange(listener: PinListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setMode(pin: string, mode: PinState['mode']): void {
    const old = this.states.get(pin);
    this.update(pin, { mode, level: old?.level ?? 0, duty: old?.duty ?? 0, freq: old?.freq ?? 0, pulseNs: old?.pulseNs ?? 0 }, false);
  }

  write(pin: string, level: number): void {
    const value = level ? 1 : 0;
    this.update(pin, { mode: 'out', level: value, duty: value ? 65535 : 0, freq: 0, pulseNs: 0 }, true);
  }

  setDuty(pin: string, duty: number, pulseNs = 0): void {
    const old = this.states.get(pin);
    this.update(pin, { mode: 'pwm', level: duty > 0 ? 1 : 0, duty, freq: old?.freq ?? 0, pulseNs }, true);
  }

  setFreq(pin: string, freq: number): void {
    const old = this.states.get(pin);
    this.update(pin, { mode: 'pwm', level: old?.level ?? 0, duty: old?.duty ?? 0, freq, pulseNs: old?.pulseNs ?? 0 }, false);
  }

  /** The pulse widths a PWM pin put out, in ns, with when each began: a servo's moves. */
  pulses(pin: number | string): { at: number; pulseNs: number }[] {
    return this.changes(pin).map((change) => ({ at: change.at, pulseNs: change.state.pulseNs }));
  }

  /** A reset: every GPIO goes back to an input, so every lamp goes dark. */
  powerDown(): void {
    for (const [pin, state] of this.states) this.update(pin, { ...state, level: 0, duty: 0, pulseNs: 0 }, true);
  }

  private update(pin: string, state: PinState, notify: boolean): void {
    const old = this.states.get(pin);
    this.states.set(pin, state);
    if (!notify || (old && old.level === state.level && old.duty === state.duty && old.pulseNs === state.pulseNs)) return;
    const change = { at: this.now(), pin, state };
    if (this.history.length >= this.historyLimit) this.history.shift();
    this.history.push(change);
    for (const listener of this.listeners) listener(change);
  }
}
