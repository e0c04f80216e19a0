import { carTopics, parseLampTopic } from '../contract/topics';

/**
 * What the phone reads about a car, kept where one read fetches all of it: in AWS a DynamoDB table that
 * topic rules fill from the cars' messages, in the local twin a map the broker fills. Both hold the same
 * items, one per car and sort key, each with the payload text as it arrived and the time it arrived.
 */

/** How many of a car's latest `events` the phone is shown. */
export const EVENTS_SHOWN = 20;
/** Events expire from the store after a week (DynamoDB TTL); states, status and telemetry are overwritten instead. */
export const EVENT_TTL_S = 7 * 24 * 3600;

/** A message as the store holds it: its payload as text and when it reached the store, in epoch ms. */
export interface StoredMessage {
  readonly text: string;
  readonly at: number;
}

/** One item of the store. */
export interface StoreItem extends StoredMessage {
  readonly sortKey: string;
}

/**
 * Sort keys of a car's items. In descending order (`telemetry` > `status` > `lamp#…` > `event#…`) the
 * fixed items come first and then the events, newest first, so one Query with a limit reads them all.
 */
export const STORE_KEYS = {
  telemetry: 'telemetry',
  status: 'status',
  lampPrefix: 'lamp#',
  lamp: (lamp: string, kind: 'set' | 'state') => `lamp#${lamp}#${kind}`,
  eventPrefix: 'event#',
} as const;

/** The items one read asks for: telemetry, status, a command and a state per lamp, then the events. */
export function itemsPerRead(lampCount: number): number {
  return 2 + 2 * lampCount + EVENTS_SHOWN;
}

/** Everything the phone shows of one car. */
export interface CarRecord {
  readonly status: StoredMessage | null;
  readonly telemetry: StoredMessage | null;
  /** The last command per lamp (`…/lamps/{lamp}/set`). */
  readonly lampCommands: ReadonlyMap<string, StoredMessage>;
  /** The last reported state per lamp (`…/lamps/{lamp}/state`). */
  readonly lampStates: ReadonlyMap<string, StoredMessage>;
  /** Newest first, at most `EVENTS_SHOWN`. */
  readonly events: readonly StoredMessage[];
}

export interface CarStore {
  /** One read: the car's items in descending sort-key order, at most `itemsPerRead(lampCount)`. */
  readCar(carId: string, lampCount: number): Promise<CarRecord>;
}

/** Sorts a read's items into a record; items of lamps no longer configured are the caller's to ignore. */
export function recordFromItems(items: readonly StoreItem[]): CarRecord {
  const lampCommands = new Map<string, StoredMessage>();
  const lampStates = new Map<string, StoredMessage>();
  const events: StoredMessage[] = [];
  let status: StoredMessage | null = null;
  let telemetry: StoredMessage | null = null;
  for (const { sortKey, text, at } of items) {
    const message = { text, at };
    if (sortKey === STORE_KEYS.status) status = message;
    else if (sortKey === STORE_KEYS.telemetry) telemetry = message;
    else if (sortKey.startsWith(STORE_KEYS.eventPrefix)) events.push(message);
    else if (sortKey.startsWith(STORE_KEYS.lampPrefix)) {
      const [, lamp, kind] = sortKey.split('#');
      (kind === 'set' ? lampCommands : lampStates).set(lamp, message);
    }
  }
  events.sort((a, b) => b.at - a.at);
  return { status, telemetry, lampCommands, lampStates, events: events.slice(0, EVENTS_SHOWN) };
}

/**
 * The payload field that makes a `set` message an effect (`lampEffectSchema`), which the store does not keep: the
 * last command it keeps per lamp is the state the lamp is to be in, and an effect leaves that as it was.
 */
export const EFFECT_FIELD = 'effect';

function isEffect(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && EFFECT_FIELD in value;
  } catch {
    return false;
  }
}

/**
 * Where a message on one of a car's topics goes in the store; undefined for a topic the store does not keep, or
 * an effect on a lamp's `set` topic (the topic rule's `isUndefined(effect)`).
 */
export function storeKeyOf(
  topicRoot: string,
  topic: string,
  at: number,
  unique: string,
  text = '',
): { car: string; sortKey: string } | undefined {
  const lamp = parseLampTopic(topicRoot, topic);
  if (lamp?.kind === 'set' && isEffect(text)) return undefined;
  if (lamp) return { car: lamp.car, sortKey: STORE_KEYS.lamp(lamp.lamp, lamp.kind) };
  const levels = topic.split('/');
  if (levels.length !== 3 || levels[0] !== topicRoot) return undefined;
  const topics = carTopics(topicRoot, levels[1]);
  if (topic === topics.status) return { car: levels[1], sortKey: STORE_KEYS.status };
  if (topic === topics.telemetry) return { car: levels[1], sortKey: STORE_KEYS.telemetry };
  if (topic === topics.events) return { car: levels[1], sortKey: eventSortKey(at, unique) };
  return undefined;
}

/** `event#<ms, 13 digits>#<unique>`: in time order, and two events in the same millisecond both kept. */
export function eventSortKey(at: number, unique: string): string {
  return `${STORE_KEYS.eventPrefix}${String(at).padStart(13, '0')}#${unique}`;
}
