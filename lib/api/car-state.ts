import { LAMP_MODES } from '../config/modes';
import { carTopics, retainCommands } from '../contract/topics';
import type { ApiCar } from './commands';
import type { LampPort } from './lamp-port';

/** A retained lamp message (`set` or `state`) as the phone sees it. */
export interface LampMessage {
  readonly mode: string;
  readonly brightness?: number;
  readonly id: string | null;
  readonly ts: number;
}

export interface LampView {
  /** The last retained command, or null (none yet, or the car does not retain commands). */
  readonly desired: LampMessage | null;
  /** What the device last reported, or null. */
  readonly reported: LampMessage | null;
  /** A command the device has not confirmed yet. */
  readonly pending: boolean;
}

export interface CarView {
  readonly id: string;
  /** From the retained status (the device's last will sets it false); null before the device was ever seen. */
  readonly online: boolean | null;
  readonly lamps: Record<string, LampView>;
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Retained messages come from devices; anything that is not a lamp message is shown as null, never passed on. */
function lampMessage(text: string | null): LampMessage | null {
  const value = parseObject(text);
  if (!value || !(LAMP_MODES as readonly unknown[]).includes(value.mode) || typeof value.ts !== 'number') return null;
  const brightness = typeof value.brightness === 'number' ? value.brightness : undefined;
  const id = typeof value.id === 'string' ? value.id : null;
  return { mode: value.mode as string, ...(brightness === undefined ? {} : { brightness }), id, ts: value.ts };
}

function onlineFrom(text: string | null): boolean | null {
  const value = parseObject(text);
  return typeof value?.online === 'boolean' ? value.online : null;
}

/**
 * Reads the retained `set`, `state` and `status` messages of one car in parallel. The `set` topics are read
 * only for a car whose commands are retained: for any other, a retained command there is a stale one from
 * before its `powerOn` changed, not what was last asked of it.
 */
export async function readCarView(port: LampPort, topicRoot: string, carId: string, car: ApiCar): Promise<CarView> {
  const topics = carTopics(topicRoot, carId);
  const lampNames = Object.keys(car.lamps);
  const readDesired = (lamp: string) => (retainCommands(car.powerOn) ? port.readRetained(topics.lampSet(lamp)) : null);
  const [status, ...lampTexts] = await Promise.all([
    port.readRetained(topics.status),
    ...lampNames.flatMap((lamp) => [readDesired(lamp), port.readRetained(topics.lampState(lamp))]),
  ]);
  const lamps: Record<string, LampView> = {};
  lampNames.forEach((lamp, index) => {
    const desired = lampMessage(lampTexts[2 * index]);
    const reported = lampMessage(lampTexts[2 * index + 1]);
    lamps[lamp] = { desired, reported, pending: desired !== null && desired.id !== reported?.id };
  });
  return { id: carId, online: onlineFrom(status), lamps };
}
