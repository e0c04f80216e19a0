import { otaSubscriptions, otaTopics } from './ota';
import { carTopics, DELIVERY, LIMITS } from './topics';

/**
 * Who may do what on which topics, per car. The AWS IoT policy and the lamp API's IAM policy are rendered
 * from these lists, and the local twin evaluates those very documents, so the three cannot drift apart.
 *
 * Every entry is an exact topic: the config knows each lamp's name, so no `+` or `*` is needed. Exactness
 * is also what makes retained commands work on AWS IoT Core, which delivers a retained message on
 * subscription only to a filter that matches its topic exactly (AWS IoT developer guide, "MQTT retained
 * messages").
 */
export interface DevicePermissions {
  /** The only MQTT client id the device may connect with: its thing name. */
  readonly clientId: string;
  /** Topics the device may publish to. */
  readonly publish: readonly string[];
  /** Filters the device may subscribe with (exactly these): one per lamp. */
  readonly subscribe: readonly string[];
  /** Topics the device may receive messages on. */
  readonly receive: readonly string[];
}

/** What the lamp API may do for one car. */
export interface ControllerPermissions {
  readonly publish: readonly string[];
  /** Topics whose retained message the API may read. */
  readonly readRetained: readonly string[];
}

/**
 * The device subscribes once per lamp (`deviceSubscriptions`) and to its update topics, and AWS IoT Core keeps
 * at most `LIMITS.subscriptionsPerConnection` subscriptions per connection: the lamps get what is left.
 */
export const MAX_LAMPS_PER_CAR = LIMITS.subscriptionsPerConnection - otaSubscriptions('car').length;

/** The device's subscriptions: each configured lamp's `set` topic, in the order the lamps are given. */
export function deviceSubscriptions(root: string, car: string, lamps: readonly string[]): readonly string[] {
  const topics = carTopics(root, car);
  return lamps.map((lamp) => topics.lampSet(lamp));
}

export function devicePermissions(root: string, car: string, lamps: readonly string[]): DevicePermissions {
  const topics = carTopics(root, car);
  const commands = deviceSubscriptions(root, car, lamps);
  return {
    clientId: car,
    publish: [...lamps.map((lamp) => topics.lampState(lamp)), topics.status, topics.telemetry, topics.events],
    subscribe: commands,
    receive: commands,
  };
}

/**
 * The device's publish topics that carry the retain flag (per `DELIVERY`): lamp states and status, the last
 * will included. AWS IoT wants `iot:RetainPublish` on top of `iot:Publish` for those.
 */
/**
 * What every car may do for over-the-air updates, for its own thing only: ask its job queue and report on its
 * update jobs (AWS IoT Jobs), ask its own stream for blocks (MQTT-based file delivery), and subscribe to and
 * receive the answers. `thing` is the thing's name, or the policy variable that stands for it, so that one
 * policy serves every car: AWS IoT puts in the name of the thing the connection is (`iot:Connection.Thing.ThingName`).
 * The update topic names the job, so it is the one resource with a `*`, after the prefix every update job id has.
 */
export function deviceUpdatePermissions(thing: string): Omit<DevicePermissions, 'clientId'> {
  const ota = otaTopics(thing);
  const answers = otaSubscriptions(thing);
  return { publish: [ota.nextGet, ota.jobUpdateAny, ota.streamGet], subscribe: answers, receive: answers };
}

export function deviceRetainedTopics(root: string, car: string, lamps: readonly string[]): readonly string[] {
  const topics = carTopics(root, car);
  const published: readonly [string, { readonly retain: boolean }][] = [
    ...lamps.map((lamp): [string, { readonly retain: boolean }] => [topics.lampState(lamp), DELIVERY.lampState]),
    [topics.status, DELIVERY.status],
    [topics.telemetry, DELIVERY.telemetry],
    [topics.events, DELIVERY.events],
  ];
  return published.filter(([, delivery]) => delivery.retain).map(([topic]) => topic);
}

export function controllerPermissions(root: string, car: string, lamps: readonly string[]): ControllerPermissions {
  const topics = carTopics(root, car);
  const commands = lamps.map((lamp) => topics.lampSet(lamp));
  return {
    publish: commands,
    readRetained: [...commands, ...lamps.map((lamp) => topics.lampState(lamp)), topics.status],
  };
}
