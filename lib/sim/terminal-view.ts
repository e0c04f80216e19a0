import type { PlamoConfig } from '../config';
import { carTopics, parseLampTopic } from '../contract';
import type { BrokerMessage } from './broker';

/**
 * The twin's live view of every car, drawn from what passes through the broker (status, lamp states,
 * commands) and, when a virtual car runs, from its pins, so a blinking lamp visibly blinks.
 * On a terminal it redraws in place a few times a second; otherwise it prints one line per change.
 */

export interface LampShown {
  readonly mode: string;
  readonly brightness: number | undefined;
}

interface CarShown {
  online: boolean | null;
  readonly lamps: Map<string, LampShown>;
  /** The command id and the time it passed the broker, per lamp, until the matching state comes back. */
  readonly sent: Map<string, { id: string; at: number }>;
  latencyMs: number | undefined;
}

export interface TerminalViewOptions {
  readonly config: PlamoConfig;
  readonly write: (text: string) => void;
  /** Redraw in place (a TTY) or print a line per change (a pipe, a log file, a test). */
  readonly live: boolean;
  /** A lamp's output right now, 0–1 (PWM duty), when a virtual car drives it. */
  readonly pinLevel?: (carId: string, lamp: string) => number | undefined;
  /** @default performance.now */
  readonly now?: () => number;
}

const REDRAW_MS = 200;
const ANSI = { up: (lines: number) => `\x1b[${lines}A`, clearDown: '\x1b[0J', lit: '\x1b[33m', dim: '\x1b[2m', reset: '\x1b[0m' };

function parseJson(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function describeLamp(lamp: LampShown | undefined): string {
  if (lamp === undefined) return '—';
  if (lamp.mode === 'on' && lamp.brightness !== undefined) return `on ${lamp.brightness} %`;
  return lamp.mode;
}

export class TerminalView {
  private readonly cars = new Map<string, CarShown>();
  private readonly now: () => number;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TerminalViewOptions) {
    this.now = options.now ?? (() => performance.now());
    for (const carId of Object.keys(options.config.cars)) {
      this.cars.set(carId, { online: null, lamps: new Map(), sent: new Map(), latencyMs: undefined });
    }
  }

  /** Feeds one message that passed the broker. */
  observe(message: BrokerMessage): void {
    const { topicRoot } = this.options.config;
    const carId = message.topic.split('/')[1];
    const car = this.cars.get(carId);
    if (car === undefined) return;
    const payload = parseJson(message.payload);
    if (payload === undefined) return;
    const lamp = parseLampTopic(topicRoot, message.topic);
    if (message.topic === carTopics(topicRoot, carId).status) this.statusChanged(carId, car, payload.online === true);
    else if (lamp === undefined || typeof payload.id !== 'string') return;
    else if (lamp.kind === 'set') car.sent.set(lamp.lamp, { id: payload.id, at: this.now() });
    else this.stateChanged(carId, car, lamp.lamp, payload);
  }

  private statusChanged(carId: string, car: CarShown, online: boolean): void {
    if (car.online === online) return;
    car.online = online;
    this.changed(`${carId} ${online ? 'online' : 'offline'}`);
  }

  private stateChanged(carId: string, car: CarShown, lamp: string, payload: Record<string, unknown>): void {
    const shown = { mode: String(payload.mode), brightness: typeof payload.brightness === 'number' ? payload.brightness : undefined };
    car.lamps.set(lamp, shown);
    const sent = car.sent.get(lamp);
    let latency = '';
    if (sent && sent.id === payload.id) {
      car.latencyMs = this.now() - sent.at;
      car.sent.delete(lamp);
      latency = ` (command → state ${car.latencyMs.toFixed(0)} ms)`;
    }
    this.changed(`${carId} ${lamp}: ${describeLamp(shown)}${latency}`);
  }

  /** A line for the log; on a terminal it goes above the live block. */
  log(line: string): void {
    const redraw = this.timer !== undefined;
    if (redraw) this.erase();
    this.options.write(`${line}\n`);
    if (redraw) this.draw();
  }

  private changed(line: string): void {
    if (!this.options.live) this.options.write(`${line}\n`);
  }

  private glyph(carId: string, lamp: string): string {
    const level = this.options.pinLevel?.(carId, lamp) ?? this.levelFromState(carId, lamp);
    if (level <= 0) return `${ANSI.dim}○${ANSI.reset}`;
    return `${ANSI.lit}${level >= 0.5 ? '●' : '◐'}${ANSI.reset}`;
  }

  /** Without a pin to read, blink from the reported state at the car's rate. */
  private levelFromState(carId: string, lamp: string): number {
    const shown = this.cars.get(carId)?.lamps.get(lamp);
    if (shown === undefined || shown.mode === 'off') return 0;
    const level = (shown.brightness ?? 100) / 100;
    if (shown.mode !== 'blink') return level;
    const periodMs = 60_000 / this.options.config.cars[carId].blinkPerMin;
    return this.now() % periodMs < periodMs / 2 ? level : 0;
  }

  /** The live block: one header line per car and one line per lamp. */
  render(): string {
    const lines: string[] = [];
    for (const [carId, car] of this.cars) {
      const config = this.options.config.cars[carId];
      const online = car.online === null ? 'not seen yet' : car.online ? 'online' : 'offline';
      const latency = car.latencyMs === undefined ? '' : `   last command ${car.latencyMs.toFixed(0)} ms`;
      lines.push(`${carId}${config.name ? ` — ${config.name}` : ''}   [${online}]${latency}`);
      const width = Math.max(...Object.keys(config.lamps).map((lamp) => lamp.length));
      for (const lamp of Object.keys(config.lamps)) {
        lines.push(`  ${this.glyph(carId, lamp)} ${lamp.padEnd(width)}  ${describeLamp(car.lamps.get(lamp))}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private erase(): void {
    if (this.drawnLines > 0) this.options.write(`${ANSI.up(this.drawnLines)}${ANSI.clearDown}`);
    this.drawnLines = 0;
  }

  private draw(): void {
    const block = this.render();
    this.options.write(block);
    this.drawnLines = block.split('\n').length - 1;
  }

  start(): void {
    if (!this.options.live || this.timer) return;
    this.draw();
    this.timer = setInterval(() => {
      this.erase();
      this.draw();
    }, REDRAW_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
