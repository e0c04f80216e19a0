/**
 * MQTT contract v1: the one place topic names are spelled.
 * The firmware gets them through the generated config.py, the cloud policy and the local broker's ACL
 * through the permission model in `permissions.ts`.
 */
export const CONTRACT_VERSION = 1;

export const LIMITS = {
  /** Every payload, both directions. */
  payloadMaxBytes: 512,
  /** Command ids (UUIDs are 36). */
  commandIdMaxLength: 36,
  /** Seconds between telemetry messages. */
  telemetryIntervalS: 60,
  /** AWS IoT Core takes at most this many topic filters in one SUBSCRIBE (AWS IoT Core quotas, "Message broker"). */
  filtersPerSubscribe: 8,
  /** AWS IoT Core keeps at most this many subscriptions per connection (AWS IoT Core quotas, "Message broker"). */
  subscriptionsPerConnection: 50,
  /** The longest fade a command or a lamp's default may ask for, and the longest step or flash of an effect. */
  transitionMaxMs: 5000,
} as const;

/**
 * Command ids are printable ASCII (space to `~`), so a character is a byte on the wire and needs no escaping
 * beyond JSON's own; at most `LIMITS.commandIdMaxLength` of them.
 */
export const COMMAND_ID_PATTERN = new RegExp(`^[\\x20-\\x7E]{1,${LIMITS.commandIdMaxLength}}$`);

/** Lamp, group, scene and effect names become topic levels, URL segments and Python identifiers. */
export const NAME_PATTERN = /^[a-z][A-Za-z0-9]{0,31}$/;

/** Single-level wildcard in an MQTT topic filter. */
export const ANY_LEVEL = '+';

export interface CarTopics {
  /** cloud → device commands for one lamp; `lampSet('+')` is the device's subscription filter. */
  lampSet(lamp: string): string;
  /** device → cloud, retained: the state a lamp is in and the id of the command that put it there. */
  lampState(lamp: string): string;
  /** device → cloud, retained; also the device's last will. */
  readonly status: string;
  /** device → cloud, every `LIMITS.telemetryIntervalS`. */
  readonly telemetry: string;
  /** device → cloud: rejected payloads, reconnect causes, boot diagnostics. */
  readonly events: string;
}

export function carTopics(root: string, car: string): CarTopics {
  const base = `${root}/${car}`;
  return {
    lampSet: (lamp) => `${base}/lamps/${lamp}/set`,
    lampState: (lamp) => `${base}/lamps/${lamp}/state`,
    status: `${base}/status`,
    telemetry: `${base}/telemetry`,
    events: `${base}/events`,
  };
}

/** QoS and retain flag of each message kind, as the README's MQTT contract table says. */
export const DELIVERY = {
  lampSet: { qos: 1 },
  lampState: { qos: 1, retain: true },
  status: { qos: 1, retain: true },
  telemetry: { qos: 0, retain: false },
  events: { qos: 0, retain: false },
} as const;

/** Whether a command is retained depends on the car: retained commands are how `powerOn: "restore"` works. */
export function retainCommands(powerOn: 'restore' | 'off'): boolean {
  return powerOn === 'restore';
}

/** MQTT 3.1.1 section 4.7 matching of a topic against a filter with `+` and `#`. */
export function topicMatches(filter: string, topic: string): boolean {
  const filterLevels = filter.split('/');
  const topicLevels = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    // `#` matches the parent level too (`a/#` matches `a`), so once reached it matches whatever is left.
    if (level === '#') return true;
    if (i >= topicLevels.length) return false;
    if (level !== ANY_LEVEL && level !== topicLevels[i]) return false;
  }
  return filterLevels.length === topicLevels.length;
}

/** Splits `{root}/{car}/lamps/{lamp}/set` (or `/state`) back into its parts; undefined for any other topic. */
export function parseLampTopic(root: string, topic: string): { car: string; lamp: string; kind: 'set' | 'state' } | undefined {
  const levels = topic.split('/');
  if (levels.length !== 5 || levels[0] !== root || levels[2] !== 'lamps') return undefined;
  const kind = levels[4];
  if (kind !== 'set' && kind !== 'state') return undefined;
  return { car: levels[1], lamp: levels[3], kind };
}
