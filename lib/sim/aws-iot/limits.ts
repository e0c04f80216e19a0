import { LIMITS } from '../../contract';

/**
 * AWS IoT Core's message broker limits that a client can run into, from the AWS General Reference page
 * "AWS IoT Core endpoints and quotas" (message broker and protocol limits). All are hard limits.
 */
export const AWS_IOT_LIMITS = {
  /** "Message size": the payload of every PUBLISH, 128 KB. */
  payloadMaxBytes: 128 * 1024,
  /** "Topic size": the UTF-8 bytes of a topic name or filter. */
  topicMaxBytes: 256,
  /** "Maximum number of slashes in topic and topic filter". */
  topicMaxSlashes: 7,
  /** "Client ID size", UTF-8 bytes. */
  clientIdMaxBytes: 128,
  /** "Maximum subscriptions per subscribe request". */
  filtersPerSubscribe: LIMITS.filtersPerSubscribe,
  /** "Subscriptions per connection"; the contract caps a car's lamps by it. */
  subscriptionsPerConnection: LIMITS.subscriptionsPerConnection,
  /** "Maximum outbound unacknowledged messages": QoS 1 messages in flight to one client. */
  inflightOutboundQos1: 100,
  /** "Keep-alive period": requests below are raised to it. */
  keepAliveMinS: 30,
  /** "Keep-alive period": requests above it, and 0, get it. */
  keepAliveMaxS: 1200,
} as const;

/** The keepalive AWS IoT Core applies for a CONNECT's requested one (0 means none asked: the maximum). */
export function clampKeepAlive(requestedS: number): number {
  if (requestedS === 0) return AWS_IOT_LIMITS.keepAliveMaxS;
  return Math.min(Math.max(requestedS, AWS_IOT_LIMITS.keepAliveMinS), AWS_IOT_LIMITS.keepAliveMaxS);
}

/** Why AWS IoT Core refuses a topic name or filter by its size, or undefined when it is within the limits. */
export function topicLimitProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'an empty topic';
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > AWS_IOT_LIMITS.topicMaxBytes) return `a topic of ${bytes} bytes (at most ${AWS_IOT_LIMITS.topicMaxBytes})`;
  const slashes = topic.split('/').length - 1;
  if (slashes > AWS_IOT_LIMITS.topicMaxSlashes) return `a topic with ${slashes} slashes (at most ${AWS_IOT_LIMITS.topicMaxSlashes})`;
  // MQTT 3.1.1 section 1.5.3: U+0000 must not occur in a UTF-8 string, and the server closes the connection.
  if (topic.includes('\u0000')) return 'a topic with a NUL character';
  return undefined;
}

/** Topics beginning with `$` are AWS IoT Core's own (shadows, jobs, rules); the twin provides none of them. */
export function isReservedTopic(topic: string): boolean {
  return topic.startsWith('$');
}
