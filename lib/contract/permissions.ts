import { ANY_LEVEL, carTopics, DELIVERY, topicMatches } from './topics';

/**
 * Who may do what on which topics, per car. The AWS IoT policy, the lamp API's IAM policy and the local
 * broker's ACL are all rendered from these lists, so the three cannot drift apart.
 * Patterns are MQTT filters (`+` = one level).
 */
export interface DevicePermissions {
  /** The only MQTT client id the device may connect with: its thing name. */
  readonly clientId: string;
  /** Topics the device may publish to. */
  readonly publish: readonly string[];
  /** Filters the device may subscribe with (exactly these). */
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

export function devicePermissions(root: string, car: string): DevicePermissions {
  const topics = carTopics(root, car);
  return {
    clientId: car,
    publish: [topics.lampState(ANY_LEVEL), topics.status, topics.telemetry, topics.events],
    subscribe: [topics.lampSet(ANY_LEVEL)],
    receive: [topics.lampSet(ANY_LEVEL)],
  };
}

/**
 * The device's publish topics that carry the retain flag (per `DELIVERY`): lamp states and status, the last
 * will included. AWS IoT wants `iot:RetainPublish` on top of `iot:Publish` for those.
 */
export function deviceRetainedTopics(root: string, car: string): readonly string[] {
  const topics = carTopics(root, car);
  const published: readonly [string, { readonly retain: boolean }][] = [
    [topics.lampState(ANY_LEVEL), DELIVERY.lampState],
    [topics.status, DELIVERY.status],
    [topics.telemetry, DELIVERY.telemetry],
    [topics.events, DELIVERY.events],
  ];
  return published.filter(([, delivery]) => delivery.retain).map(([topic]) => topic);
}

export function controllerPermissions(root: string, car: string): ControllerPermissions {
  const topics = carTopics(root, car);
  return {
    publish: [topics.lampSet(ANY_LEVEL)],
    readRetained: [topics.lampSet(ANY_LEVEL), topics.lampState(ANY_LEVEL), topics.status],
  };
}

/**
 * An MQTT filter as an AWS IoT policy `topic/…` resource: IoT policies match with `*`, not `+`.
 * (`topicfilter/…` resources for iot:Subscribe keep the literal `+`, so use the filter there as it is.)
 */
export function iotPolicyTopicPattern(filter: string): string {
  return filter
    .split('/')
    .map((level) => (level === ANY_LEVEL ? '*' : level))
    .join('/');
}

/** A concrete topic (no wildcards) that one of the patterns allows. */
export function topicAllowed(patterns: readonly string[], topic: string): boolean {
  if (topic.includes('+') || topic.includes('#')) return false;
  return patterns.some((pattern) => topicMatches(pattern, topic));
}

/** A subscription is allowed when it is one of the granted filters, or a concrete topic inside one. */
export function subscriptionAllowed(permissions: DevicePermissions, filter: string): boolean {
  return permissions.subscribe.includes(filter) || topicAllowed(permissions.subscribe, filter);
}
