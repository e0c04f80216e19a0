import type { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Aedes, AuthenticateError, Client, PublishPacket } from 'aedes';
import { topicMatches } from '../../contract';
import { AWS_IOT_LIMITS, clampKeepAlive, isReservedTopic, topicLimitProblem } from './limits';
import type { PolicyContext } from './policy-evaluator';
import { connectionContext, isAuthorized, type MqttOperation, type Principal } from './principals';
import type { RetainedStore } from './retained-store';

/**
 * Makes an Aedes broker answer like AWS IoT Core's message broker (AWS IoT developer guide, "MQTT", section
 * "AWS IoT differences from MQTT specifications"; AWS General Reference, "AWS IoT Core endpoints and quotas"):
 * every CONNECT, PUBLISH (the will included), SUBSCRIBE and delivery is judged by the principal's policies;
 * retained messages go only to a subscription whose filter is the topic itself and are kept on disk before
 * the PUBACK; QoS 2 gets no answer; the size and count limits hold.
 */

/** A test mode: AWS does not order retained messages against live ones and may deliver them late after SUBACK. */
export interface RetainedDeliveryJitter {
  /** Each retained message is delivered after a delay of up to this long, in shuffled order. */
  readonly maxDelayMs: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface IotCoreRulesOptions {
  /** Who may connect, by certificate common name. */
  readonly principals: ReadonlyMap<string, Principal>;
  /** The thing registry: names of the things certificates may be attached to. */
  readonly thingNames: ReadonlySet<string>;
  readonly store: RetainedStore;
  readonly log: (line: string) => void;
  /** @default - retained messages right after SUBACK, in topic order */
  readonly retainedDelivery?: RetainedDeliveryJitter;
  /**
   * AWS IoT services behind reserved `$aws/…` request topics (the Jobs and MQTT file delivery device APIs).
   * A request the policy allows is answered by its service and routed to no subscriber, as in AWS.
   * @default - none: every reserved topic is refused
   */
  readonly services?: readonly ReservedTopicService[];
}

/** An AWS IoT service a device talks to over reserved topics. */
export interface ReservedTopicService {
  handles(topic: string): boolean;
  request(topic: string, payload: Buffer): void;
}

export interface IotCoreRules {
  /** Puts the packet checks in front of a new connection's MQTT parser; call with what `aedes.handle()` returned. */
  admit(client: Client): void;
}

const CONNACK = { identifierRejected: 2, notAuthorized: 5 } as const;

interface Session {
  readonly principal: Principal;
  readonly context: PolicyContext;
  readonly filters: Set<string>;
  /** QoS 1 messages sent to the client and not yet acknowledged. */
  inflight: number;
}

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function certificateName(client: Client): string | undefined {
  const cert = (client.conn as TLSSocket).getPeerCertificate?.();
  const name = cert?.subject?.CN;
  return typeof name === 'string' ? name : undefined;
}

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#');

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function installIotCoreRules(aedes: Aedes, options: IotCoreRulesOptions): IotCoreRules {
  const { principals, thingNames, store, log } = options;
  const services = options.services ?? [];
  const serviceFor = (topic: string) => services.find((service) => service.handles(topic));
  const sessions = new WeakMap<Client, Session>();

  const allowed = (session: Session, operation: MqttOperation) => isAuthorized(session.principal.documents, operation, session.context);

  aedes.authenticate = (client, _username, _password, done) => {
    const name = certificateName(client);
    const principal = name === undefined ? undefined : principals.get(name);
    if (principal === undefined) {
      log(`refused ${client.id}: certificate '${name ?? '(none)'}' is attached to no policy`);
      return done(refusal('unknown certificate', CONNACK.notAuthorized), false);
    }
    if (Buffer.byteLength(client.id, 'utf8') > AWS_IOT_LIMITS.clientIdMaxBytes) {
      log(`refused a client id of more than ${AWS_IOT_LIMITS.clientIdMaxBytes} bytes`);
      return done(refusal('client id too long', CONNACK.identifierRejected), false);
    }
    const context = connectionContext(principal, client.id, thingNames, {
      clean: client.clean,
      hasWill: Boolean((client as { _will?: unknown })._will),
    });
    if (!isAuthorized(principal.documents, { kind: 'connect', clientId: client.id }, context)) {
      log(`refused ${client.id}: the policy of certificate '${name}' does not allow iot:Connect as '${client.id}'`);
      return done(refusal('not authorised to connect with this client id', CONNACK.notAuthorized), false);
    }
    sessions.set(client, { principal, context, filters: new Set(), inflight: 0 });
    done(null, true);
  };

  /** The session a publish is judged by; a will aedes publishes after its client is gone belongs to its client id. */
  const publisherSession = (client: Client | null, packet: PublishPacket): Session | undefined => {
    if (client) return sessions.get(client);
    const owner = (packet as { clientId?: unknown }).clientId;
    const principal = typeof owner === 'string' ? principals.get(owner) : undefined;
    return principal && typeof owner === 'string'
      ? { principal, context: connectionContext(principal, owner, thingNames), filters: new Set(), inflight: 0 }
      : undefined;
  };

  const publishProblem = (session: Session | undefined, packet: PublishPacket): string | undefined => {
    const limit = topicLimitProblem(packet.topic);
    if (limit) return `${limit} is over AWS IoT Core's topic limits`;
    if (isReservedTopic(packet.topic) && !serviceFor(packet.topic)) return `${packet.topic} is reserved for AWS IoT Core`;
    const bytes = Buffer.byteLength(packet.payload);
    if (bytes > AWS_IOT_LIMITS.payloadMaxBytes)
      return `a payload of ${bytes} bytes is over AWS IoT Core's ${AWS_IOT_LIMITS.payloadMaxBytes}`;
    if (!session || !allowed(session, { kind: 'publish', topic: packet.topic, retain: packet.retain })) {
      return `may not ${packet.retain ? 'publish retained' : 'publish'} to ${packet.topic}`;
    }
    return undefined;
  };

  aedes.authorizePublish = (client, packet, done) => {
    const session = publisherSession(client, packet);
    const problem = publishProblem(session, packet);
    const who = client?.id ?? String((packet as { clientId?: unknown }).clientId);
    if (problem) {
      // MQTT 3.1.1 has no way to refuse a PUBLISH, so AWS IoT Core closes the connection.
      log(`denied: ${who} ${problem}`);
      return done(new Error(`${who} ${problem}`));
    }
    // On disk before aedes sends the PUBACK, so an acknowledged retained message outlives a kill.
    if (packet.retain)
      store.put({
        topic: packet.topic,
        payload: Buffer.from(packet.payload),
        qos: packet.qos === 0 ? 0 : 1,
        lastModified: Date.now(),
      });
    done(null);
    // After the PUBACK is due, as AWS answers a request only once it has taken it.
    const service = serviceFor(packet.topic);
    if (service) setImmediate(() => service.request(packet.topic, Buffer.from(packet.payload)));
  };

  aedes.authorizeSubscribe = (client, subscription, done) => {
    const session = sessions.get(client);
    const filter = subscription.topic;
    const limit = topicLimitProblem(filter);
    let problem: string | undefined;
    if (!session) problem = 'has no session';
    else if (limit) problem = `sent ${limit}`;
    else if (!session.filters.has(filter) && session.filters.size >= AWS_IOT_LIMITS.subscriptionsPerConnection) {
      problem = `already holds ${AWS_IOT_LIMITS.subscriptionsPerConnection} subscriptions`;
    } else if (!allowed(session, { kind: 'subscribe', filter })) problem = `may not subscribe to ${filter}`;
    if (problem || !session) {
      log(`denied: ${client.id} ${problem}`);
      return done(null, null);
    }
    session.filters.add(filter);
    done(null, subscription);
  };
  aedes.on('unsubscribe', (filters, client) => {
    for (const filter of filters) sessions.get(client)?.filters.delete(filter);
  });

  // Aedes keeps a client's subscriptions by filter; they are not in its typings.
  const deliversQos1 = (client: Client, topic: string) => {
    const subscriptions = (client as unknown as { subscriptions: Record<string, { qos: number }> }).subscriptions;
    return Object.entries(subscriptions).some(([filter, subscription]) => subscription.qos > 0 && topicMatches(filter, topic));
  };

  aedes.authorizeForward = (client, packet) => {
    // A request to a service goes to the service, never to a subscriber.
    if (serviceFor(packet.topic)) return null;
    const session = sessions.get(client);
    if (!session || !allowed(session, { kind: 'receive', topic: packet.topic })) return null;
    if (packet.qos > 0 && deliversQos1(client, packet.topic)) {
      if (session.inflight >= AWS_IOT_LIMITS.inflightOutboundQos1) {
        log(`dropped ${packet.topic} for ${client.id}: ${AWS_IOT_LIMITS.inflightOutboundQos1} QoS 1 messages unacknowledged`);
        return null;
      }
      session.inflight++;
    }
    return packet;
  };
  aedes.on('ack', (_packet, client) => {
    const session = sessions.get(client);
    if (session && session.inflight > 0) session.inflight--;
  });

  retainExactlyAsAwsDoes(aedes, store, options.retainedDelivery);

  return {
    admit: (client) => gatePackets(client, log),
  };
}

/**
 * Retained messages come from the durable store, and only for filters without wildcards: AWS IoT Core sends
 * a retained message on SUBSCRIBE only when the filter is its topic (developer guide, "MQTT retained messages").
 */
function retainExactlyAsAwsDoes(aedes: Aedes, store: RetainedStore, jitter: RetainedDeliveryJitter | undefined): void {
  const persistence = (aedes as unknown as { persistence: unknown }).persistence as {
    storeRetained(packet: unknown): Promise<void>;
    createRetainedStreamCombi(patterns: string[]): Readable;
  };
  // authorizePublish already stored it, before the PUBACK.
  persistence.storeRetained = async () => {};
  persistence.createRetainedStreamCombi = (patterns) => {
    const messages = patterns.filter((filter) => !hasWildcard(filter)).flatMap((topic) => store.get(topic) ?? []);
    const packets = messages.map((message) => ({
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: true,
    }));
    if (!jitter) return Readable.from(packets);
    const random = jitter.random ?? Math.random;
    return Readable.from(
      (async function* late() {
        for (const packet of shuffled(packets, random)) {
          await new Promise((resolve) => setTimeout(resolve, random() * jitter.maxDelayMs));
          yield packet;
        }
      })(),
    );
  };
}

interface ParsedPacket {
  readonly cmd: string;
  keepalive?: number;
  readonly qos?: number;
  readonly topic?: string;
  readonly subscriptions?: readonly { readonly topic: string; readonly qos: number }[];
}

/**
 * What AWS IoT Core does before any authorisation, applied to each packet as it leaves the parser: the
 * keepalive clamped to 30–1200 s (aedes then drops a client silent for 1.5 × it), QoS 2 PUBLISH and SUBSCRIBE
 * left unanswered ("does not send a PUBACK or SUBACK when QoS 2 is requested"), and a SUBSCRIBE with more than
 * 8 filters closing the connection. Aedes has no hook before its handlers, so the parser's listener is wrapped.
 */
function gatePackets(client: Client, log: (line: string) => void): void {
  const parser = (client as unknown as { _parser: EventEmitter })._parser;
  const handlers = parser.listeners('packet') as ((packet: ParsedPacket) => void)[];
  parser.removeAllListeners('packet');
  parser.on('packet', function gate(this: EventEmitter, packet: ParsedPacket) {
    if (packet.cmd === 'connect' && packet.keepalive !== undefined) packet.keepalive = clampKeepAlive(packet.keepalive);
    if (packet.cmd === 'publish' && packet.qos === 2) {
      log(`ignored ${client.id}'s QoS 2 publish to ${packet.topic}: AWS IoT Core supports QoS 0 and 1 only`);
      return;
    }
    if (packet.cmd === 'subscribe') {
      const subscriptions = packet.subscriptions ?? [];
      if (subscriptions.some((subscription) => subscription.qos === 2)) {
        log(`ignored ${client.id}'s QoS 2 subscribe: AWS IoT Core supports QoS 0 and 1 only`);
        return;
      }
      if (subscriptions.length > AWS_IOT_LIMITS.filtersPerSubscribe) {
        log(`closed ${client.id}: ${subscriptions.length} filters in one SUBSCRIBE (at most ${AWS_IOT_LIMITS.filtersPerSubscribe})`);
        client.conn.destroy();
        return;
      }
    }
    for (const handler of handlers) handler.call(this, packet);
  });
}
