import { LAMP_MODES } from '../config/modes';
import { POD_POSITIONS, type PodPosition } from '../config/servo';
import { retainCommands } from '../contract/topics';
import type { CarStore, StoredMessage } from './car-store';
import type { ApiCar } from './commands';

/** A lamp message (`set` or `state`) as the phone sees it. */
export interface LampMessage {
  readonly mode: string;
  readonly brightness?: number;
  readonly id: string | null;
  readonly ts: number;
  /** Where the lamp's pop-up pod is, for a lamp a servo carries (reported states only). */
  readonly pod?: PodPosition;
}

export interface LampView {
  /** The last command, or null (none yet, or the car does not retain commands). */
  readonly desired: LampMessage | null;
  /** What the device last reported, or null. */
  readonly reported: LampMessage | null;
  /** A command the device has not confirmed yet. */
  readonly pending: boolean;
}

/** The car's last telemetry (`{root}/{car}/telemetry`), with when it arrived. */
export interface HealthView {
  readonly at: number;
  readonly uptimeS: number | null;
  readonly heapFree: number | null;
  readonly rssi: number | null;
  readonly reconnects: number | null;
  readonly fw: string | null;
}

export interface EventView {
  readonly at: number;
  readonly level: string;
  readonly code: string;
  readonly detail: string;
}

export interface CarView {
  readonly id: string;
  /** From the status (the device's last will sets it false); null before the device was ever seen. */
  readonly online: boolean | null;
  /** When the status last changed, e.g. "offline since"; null before the device was ever seen. */
  readonly since: number | null;
  /** When anything last came from the device. */
  readonly lastSeen: number | null;
  readonly health: HealthView | null;
  /** From the last command to the state that confirmed it, as the store saw them arrive. */
  readonly lastCommandLatencyMs: number | null;
  readonly lamps: Record<string, LampView>;
  /** The latest events, newest first. */
  readonly events: readonly EventView[];
}

function parseObject(text: string | undefined): Record<string, unknown> | null {
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const numberOrNull = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const stringOrNull = (value: unknown) => (typeof value === 'string' ? value : null);

/** Messages come from devices; anything that is not a lamp message is shown as null, never passed on. */
function lampMessage(message: StoredMessage | undefined): LampMessage | null {
  const value = parseObject(message?.text);
  if (!value || !(LAMP_MODES as readonly unknown[]).includes(value.mode) || typeof value.ts !== 'number') return null;
  const brightness = numberOrNull(value.brightness) ?? undefined;
  const id = stringOrNull(value.id);
  const pod = (POD_POSITIONS as readonly unknown[]).includes(value.pod) ? (value.pod as PodPosition) : undefined;
  return { mode: value.mode as string, ...(brightness === undefined ? {} : { brightness }), id, ts: value.ts, ...(pod ? { pod } : {}) };
}

function healthOf(message: StoredMessage | null): HealthView | null {
  const value = message && parseObject(message.text);
  if (!message || !value) return null;
  return {
    at: message.at,
    uptimeS: numberOrNull(value.uptime_s),
    heapFree: numberOrNull(value.heap_free),
    rssi: numberOrNull(value.rssi),
    reconnects: numberOrNull(value.reconnects),
    fw: stringOrNull(value.fw),
  };
}

/** An event that is not the contract's object is still shown, as its text, so nothing a car says is lost. */
function eventOf(message: StoredMessage): EventView {
  const value = parseObject(message.text);
  const detail = stringOrNull(value?.detail) ?? (value ? '' : message.text.slice(0, 200));
  return { at: message.at, level: stringOrNull(value?.level) ?? 'warn', code: stringOrNull(value?.code) ?? 'unreadable', detail };
}

/**
 * One read of the store, turned into what the phone shows. Commands count as desired only for a car whose
 * commands are retained: for any other, the car starts with everything off, so the last command is no promise.
 */
export async function readCarView(store: CarStore, carId: string, car: ApiCar): Promise<CarView> {
  const lampNames = Object.keys(car.lamps);
  const record = await store.readCar(carId, lampNames.length);
  const lamps: Record<string, LampView> = {};
  let latest: { at: number; latency: number } | null = null;
  for (const lamp of lampNames) {
    const command = record.lampCommands.get(lamp);
    const state = record.lampStates.get(lamp);
    const sent = lampMessage(command);
    const reported = lampMessage(state);
    const desired = retainCommands(car.powerOn) ? sent : null;
    lamps[lamp] = { desired, reported, pending: desired !== null && desired.id !== reported?.id };
    // A car that (re)connected after the command got it as a retained message: that is no round trip.
    const reconnectedSince = record.status !== null && command !== undefined && record.status.at > command.at;
    const confirmed = command && state && sent?.id && sent.id === reported?.id && state.at >= command.at && !reconnectedSince;
    if (confirmed && (!latest || state.at > latest.at)) latest = { at: state.at, latency: state.at - command.at };
  }
  const status = parseObject(record.status?.text);
  const deviceTimes = [record.status, record.telemetry, ...record.lampStates.values(), ...record.events].map((message) => message?.at ?? 0);
  const lastSeen = Math.max(0, ...deviceTimes);
  return {
    id: carId,
    online: typeof status?.online === 'boolean' ? status.online : null,
    since: typeof status?.online === 'boolean' && record.status ? record.status.at : null,
    lastSeen: lastSeen > 0 ? lastSeen : null,
    health: healthOf(record.telemetry),
    lastCommandLatencyMs: latest?.latency ?? null,
    lamps,
    events: record.events.map(eventOf),
  };
}
