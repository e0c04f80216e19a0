import { topicMatches } from '../../contract';
import type { PicoClock } from './clock';
import {
  type ConnackCode,
  ECONNREFUSED,
  ECONNRESET,
  type InboundMessage,
  type MqttBackend,
  type MqttConnectRequest,
  MqttSocketError,
} from './mqtt-backend';

export interface PublishRecord {
  readonly at: number;
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
}

export interface ConnectRecord extends MqttConnectRequest {
  readonly at: number;
  readonly accepted: boolean;
}

/** What the broker does with the next connection attempt. */
export type ConnectOutcome = 'accept' | 'refuse-socket' | ConnackCode;

/**
 * An in-memory MQTT broker for tests: records everything the device does, keeps retained messages like
 * a broker (a new subscription receives them), enforces the keepalive, and fails on demand.
 */
export class ScriptedBroker implements MqttBackend {
  readonly connects: ConnectRecord[] = [];
  readonly published: PublishRecord[] = [];
  readonly subscriptions: { readonly at: number; readonly filter: string; readonly qos: number }[] = [];
  readonly pings: number[] = [];
  readonly retained = new Map<string, Buffer>();
  /** Outcomes for the next connection attempts, in order; when empty, connections are accepted. */
  readonly connectScript: ConnectOutcome[] = [];
  /** The will of the current session: published by the broker when the connection dies. */
  private will?: MqttConnectRequest['will'];
  private connected = false;
  private dropPending = false;
  private lastHeard = 0;
  private keepaliveMs = 0;
  private filters: string[] = [];
  private readonly inbox: InboundMessage[] = [];

  constructor(private readonly clock: PicoClock) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** The socket breaks: the device's next MQTT call fails and the will is published. */
  dropConnection(): void {
    if (this.connected) this.dropPending = true;
  }

  /** Sends a message to the device as the cloud would (retained ones are kept for later subscribers). */
  send(topic: string, payload: string | Buffer, options: { retain?: boolean } = {}): void {
    const bytes = Buffer.from(payload);
    if (options.retain) this.retained.set(topic, bytes);
    if (this.connected && this.filters.some((filter) => topicMatches(filter, topic)))
      this.inbox.push({ topic: Buffer.from(topic), payload: bytes });
  }

  /** Queues raw bytes for the device whatever its subscriptions: for topics a real broker would not route. */
  sendRaw(topic: Buffer, payload: Buffer): void {
    this.inbox.push({ topic, payload });
  }

  /** Messages the device published on one topic, payloads parsed as JSON. */
  publishedOn(topic: string): unknown[] {
    return this.published.filter((record) => record.topic === topic).map((record) => JSON.parse(record.payload));
  }

  connect(request: MqttConnectRequest): ConnackCode {
    const outcome = this.connectScript.shift() ?? 'accept';
    this.connects.push({ ...request, at: this.clock.now(), accepted: outcome === 'accept' });
    if (outcome === 'refuse-socket') throw new MqttSocketError('connection refused', ECONNREFUSED);
    if (outcome !== 'accept') return outcome;
    this.connected = true;
    this.dropPending = false;
    this.will = request.will;
    this.keepaliveMs = request.keepaliveS * 1000;
    this.filters = [];
    this.inbox.length = 0;
    this.heard();
    return 0;
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): void {
    this.check(true);
    this.published.push({ at: this.clock.now(), topic, payload: payload.toString('utf8'), qos, retain });
    if (retain) this.retained.set(topic, payload);
  }

  subscribe(filter: string, qos: 0 | 1): boolean {
    this.check(true);
    this.subscriptions.push({ at: this.clock.now(), filter, qos });
    this.filters.push(filter);
    for (const [topic, payload] of this.retained) {
      if (topicMatches(filter, topic)) this.inbox.push({ topic: Buffer.from(topic), payload });
    }
    return true;
  }

  ping(): void {
    this.check(true);
    this.pings.push(this.clock.now());
  }

  poll(): InboundMessage | undefined {
    this.check(false);
    return this.inbox.shift();
  }

  disconnect(): void {
    this.will = undefined;
    this.connected = false;
  }

  close(): void {
    if (this.connected) this.lose();
  }

  private heard(): void {
    this.lastHeard = this.clock.now();
  }

  /**
   * Every device call: fail if the socket broke or the keepalive ran out (MQTT 3.1.1 section 3.1.2.10:
   * the broker drops a client that sent nothing for 1.5 x keepalive; reading does not count).
   */
  private check(sends: boolean): void {
    if (!this.connected) throw new MqttSocketError('not connected', ECONNRESET);
    const silentFor = this.clock.now() - this.lastHeard;
    if (this.dropPending || (this.keepaliveMs > 0 && silentFor > this.keepaliveMs * 1.5)) {
      this.lose();
      throw new MqttSocketError('connection reset by broker', ECONNRESET);
    }
    if (sends) this.heard();
  }

  private lose(): void {
    this.connected = false;
    this.dropPending = false;
    if (this.will)
      this.published.push({
        at: this.clock.now(),
        topic: this.will.topic,
        payload: this.will.payload.toString('utf8'),
        qos: this.will.qos,
        retain: this.will.retain,
      });
    this.will = undefined;
  }
}
