import mqttPacket, { type Packet } from 'mqtt-packet';
import { topicMatches } from '../../contract';
import type { PicoClock } from './clock';
import {
  type BoardSocket,
  ERRNO,
  MBEDTLS,
  type RemoteEnd,
  type TlsConnectRequest,
  type TlsCredentials,
  VERIFY_REASONS,
  type Wire,
} from './wire';

export interface PublishRecord {
  readonly at: number;
  readonly topic: string;
  readonly payload: string;
  readonly qos: number;
  readonly retain: boolean;
}

export interface MqttWill {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
  readonly retain: boolean;
}

/** One connection attempt; the CONNECT fields are filled in once its CONNECT packet arrived. */
export interface ConnectRecord {
  readonly at: number;
  readonly ip: string;
  readonly port: number;
  readonly tls: TlsCredentials;
  readonly noDelay: boolean;
  readonly outcome: ConnectOutcome;
  clientId?: string;
  keepaliveS?: number;
  cleanSession?: boolean;
  will?: MqttWill;
  /** The broker accepted the session (CONNACK 0). */
  accepted: boolean;
}

/** 0 = accepted; 1–5 = MQTT 3.1.1 CONNACK refusal codes (5 = not authorised). */
export type ConnackCode = 0 | 1 | 2 | 3 | 4 | 5;

/** What the broker (and the path to it) does with the next connection attempt. */
export type ConnectOutcome =
  | 'accept'
  /** TCP refused (nothing listening). */
  | 'refuse-socket'
  /** The server certificate does not chain to the car's CA. */
  | 'tls-not-trusted'
  /** The server certificate is for another host name. */
  | 'tls-cn-mismatch'
  /** The server ends the handshake with a fatal alert. */
  | 'tls-alert'
  /** mbedTLS cannot allocate its buffers. */
  | 'tls-no-memory'
  /** The broker closes the connection without CONNACK: what AWS IoT Core does with a denied connect. */
  | 'close-before-connack'
  /** TLS works, then nothing comes back: a black-holed path. */
  | 'black-hole'
  /** The broker answers CONNECT with a packet that is not a CONNACK (a PINGRESP). */
  | 'not-a-connack'
  | Exclude<ConnackCode, 0>;

interface Session {
  readonly board: BoardSocket;
  readonly record: ConnectRecord;
  readonly parser: ReturnType<typeof mqttPacket.parser>;
  connected: boolean;
  silent: boolean;
  lastHeard: number;
  keepaliveMs: number;
  will?: MqttWill;
  filters: string[];
  nextId: number;
}

export interface ScriptedBrokerOptions {
  /** Device time the RP2040 spends in the handshake's RSA and ECDH, inside one firmware call. @default 0 */
  readonly handshakeCpuMs?: number;
}

/**
 * An MQTT 3.1.1 broker for tests at the far end of the virtual Pico W's TLS socket: it parses the
 * firmware's bytes and answers with real packets (mqtt-packet, the parser mqtt.js and Aedes use). It
 * behaves like AWS IoT Core where that matters here: a retained message is delivered on subscription only
 * to a filter equal to its topic, the keepalive is enforced at 1.5 ×, and it records everything the device
 * does. Failures of the path and the broker are scripted per connection attempt.
 */
export class ScriptedBroker implements Wire {
  readonly connects: ConnectRecord[] = [];
  readonly published: PublishRecord[] = [];
  readonly subscriptions: { readonly at: number; readonly filter: string; readonly qos: number }[] = [];
  /** The filters of each SUBSCRIBE packet, in order. */
  readonly subscribePackets: string[][] = [];
  readonly pings: number[] = [];
  readonly retained = new Map<string, Buffer>();
  /** Outcomes for the next connection attempts, in order; when empty, connections are accepted. */
  readonly connectScript: ConnectOutcome[] = [];
  /** Filters the broker refuses (SUBACK 0x80). */
  readonly refusedFilters = new Set<string>();
  /** While true, the device's QoS 1 publishes get no PUBACK. */
  holdPubacks = false;
  /** While true, retained messages wait for `releaseRetained()` instead of following SUBACK at once. */
  holdRetained = false;
  /** Sees each message the device publishes, as it arrives (a test may break the connection then). */
  onPublish?: (record: PublishRecord) => void;
  private session?: Session;
  private heldRetained: { topic: string; payload: Buffer }[] = [];

  constructor(
    private readonly clock: PicoClock,
    readonly options: ScriptedBrokerOptions = {},
  ) {}

  get handshakeCpuMs(): number {
    return this.options.handshakeCpuMs ?? 0;
  }

  get isConnected(): boolean {
    const session = this.session;
    if (session?.connected) this.enforceKeepalive(session);
    return this.session?.connected ?? false;
  }

  open(request: TlsConnectRequest, board: BoardSocket): RemoteEnd {
    const outcome = this.connectScript.shift() ?? 'accept';
    const record: ConnectRecord = {
      at: this.clock.now(),
      ip: request.ip,
      port: request.port,
      tls: request.tls,
      noDelay: request.noDelay,
      outcome,
      accepted: false,
    };
    this.connects.push(record);
    const failure = this.tlsFailure(outcome, request);
    if (failure) {
      board.fail(failure);
      return { write: () => {}, close: () => {} };
    }
    // One connection per client id, as on AWS IoT Core: a new one takes over.
    if (this.session?.connected) this.lose(this.session);
    const session: Session = {
      board,
      record,
      parser: mqttPacket.parser({ protocolVersion: 4 }),
      connected: false,
      silent: outcome === 'black-hole',
      lastHeard: this.clock.now(),
      keepaliveMs: 0,
      filters: [],
      nextId: 1,
    };
    session.parser.on('packet', (packet: Packet) => this.onPacket(session, packet));
    session.parser.on('error', () => this.lose(session, 'end'));
    this.session = session;
    board.secured();
    return {
      write: (data) => {
        this.enforceKeepalive(session);
        if (this.session === session && session.board === board) session.parser.parse(data);
      },
      close: () => {
        if (this.session === session && session.connected) this.lose(session);
      },
    };
  }

  private tlsFailure(outcome: ConnectOutcome, request: TlsConnectRequest) {
    if (outcome === 'refuse-socket') return { kind: 'errno', errno: ERRNO.ECONNREFUSED } as const;
    if (outcome === 'tls-no-memory') return { kind: 'errno', errno: ERRNO.ENOMEM } as const;
    if (outcome === 'tls-alert') return { kind: 'mbedtls', code: MBEDTLS.SSL_FATAL_ALERT_MESSAGE } as const;
    if (request.tls.verifyMode !== 2) return undefined;
    // mbedTLS checks the server certificate's dates against the board's RTC.
    if (new Date(request.boardTimeS * 1000).getUTCFullYear() < 2025) return { kind: 'verify', reasons: [VERIFY_REASONS.future] } as const;
    if (outcome === 'tls-not-trusted' || request.tls.caDer.length === 0)
      return { kind: 'verify', reasons: [VERIFY_REASONS.notTrusted] } as const;
    if (outcome === 'tls-cn-mismatch') return { kind: 'verify', reasons: [VERIFY_REASONS.cnMismatch] } as const;
    return undefined;
  }

  /** The socket breaks (a reset): the device's next read fails and the will is published. */
  dropConnection(): void {
    const session = this.session;
    if (session?.connected) this.lose(session);
  }

  /** From now on nothing the device sends arrives and nothing comes back, as through a dead router. */
  blackHole(): void {
    if (this.session) this.session.silent = true;
  }

  /** Raw bytes to the device, whatever they are. */
  inject(bytes: Buffer): void {
    this.session?.board.deliver(bytes);
  }

  /** Sends a message to the device as the cloud would (retained ones are kept for later subscribers). */
  send(topic: string, payload: string | Buffer, options: { retain?: boolean } = {}): void {
    const bytes = Buffer.from(payload);
    if (options.retain) this.retained.set(topic, bytes);
    const session = this.session;
    if (session?.connected && session.filters.some((filter) => topicMatches(filter, topic))) this.deliver(session, topic, bytes, false);
  }

  /** A PUBLISH with any topic bytes, whatever the subscriptions: for topics a real broker would not route. */
  sendRaw(topic: Buffer, payload: Buffer): void {
    const session = this.session;
    if (!session?.connected) return;
    const header = Buffer.alloc(4);
    header.writeUInt16BE(topic.length, 0);
    header.writeUInt16BE(session.nextId++, 2);
    const body = Buffer.concat([header.subarray(0, 2), topic, header.subarray(2), payload]);
    session.board.deliver(Buffer.concat([Buffer.from([0x32]), remainingLength(body.length), body]));
  }

  /** Sends the retained messages held back by `holdRetained`, in the given order. */
  releaseRetained(order: 'as-stored' | 'reversed' = 'as-stored'): void {
    const held = order === 'reversed' ? [...this.heldRetained].reverse() : this.heldRetained;
    this.heldRetained = [];
    const session = this.session;
    if (session?.connected) for (const { topic, payload } of held) this.deliver(session, topic, payload, true);
  }

  /** Messages the device published on one topic, payloads parsed as JSON. */
  publishedOn(topic: string): unknown[] {
    return this.published.filter((record) => record.topic === topic).map((record) => JSON.parse(record.payload));
  }

  private deliver(session: Session, topic: string, payload: Buffer, retain: boolean): void {
    this.answer(session, { cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId: session.nextId++ });
  }

  private answer(session: Session, packet: Packet): void {
    if (!session.silent) session.board.deliver(mqttPacket.generate(packet));
  }

  private onPacket(session: Session, packet: Packet): void {
    if (session.silent) return;
    session.lastHeard = this.clock.now();
    if (packet.cmd === 'connect') {
      this.onConnect(session, packet);
    } else if (!session.connected) {
      this.lose(session, 'end');
    } else if (packet.cmd === 'subscribe') {
      this.onSubscribe(session, packet);
    } else if (packet.cmd === 'publish') {
      this.onDevicePublish(session, packet);
    } else if (packet.cmd === 'pingreq') {
      this.pings.push(this.clock.now());
      this.answer(session, { cmd: 'pingresp' });
    } else if (packet.cmd === 'disconnect') {
      session.will = undefined;
      session.connected = false;
      session.board.end();
    } else if (packet.cmd !== 'puback') {
      // Anything else from a client is a protocol violation: the broker closes the connection.
      this.lose(session, 'end');
    }
  }

  private onConnect(session: Session, packet: mqttPacket.IConnectPacket): void {
    const record = session.record;
    record.clientId = packet.clientId;
    record.keepaliveS = packet.keepalive;
    record.cleanSession = packet.clean;
    record.will = packet.will && {
      topic: packet.will.topic,
      payload: Buffer.from(packet.will.payload),
      qos: packet.will.qos ?? 0,
      retain: packet.will.retain ?? false,
    };
    const outcome = record.outcome;
    if (outcome === 'black-hole') return;
    if (outcome === 'not-a-connack') {
      this.answer(session, { cmd: 'pingresp' });
      return;
    }
    if (outcome === 'close-before-connack') {
      session.board.end();
      return;
    }
    if (typeof outcome === 'number') {
      this.answer(session, { cmd: 'connack', returnCode: outcome, sessionPresent: false });
      session.board.end();
      return;
    }
    record.accepted = true;
    session.connected = true;
    session.will = record.will;
    session.keepaliveMs = (packet.keepalive ?? 0) * 1000;
    this.answer(session, { cmd: 'connack', returnCode: 0, sessionPresent: false });
  }

  private onSubscribe(session: Session, packet: mqttPacket.ISubscribePacket): void {
    const granted = packet.subscriptions.map(({ topic, qos }) => {
      this.subscriptions.push({ at: this.clock.now(), filter: topic, qos });
      if (this.refusedFilters.has(topic)) return 0x80;
      session.filters.push(topic);
      return qos;
    });
    this.subscribePackets.push(packet.subscriptions.map((subscription) => subscription.topic));
    this.answer(session, { cmd: 'suback', messageId: packet.messageId ?? 0, granted });
    for (const { topic } of packet.subscriptions) {
      // AWS IoT Core: a retained message goes only to a filter that is exactly its topic.
      const payload = this.retained.get(topic);
      if (!payload || this.refusedFilters.has(topic)) continue;
      if (this.holdRetained) this.heldRetained.push({ topic, payload });
      else this.deliver(session, topic, payload, true);
    }
  }

  private onDevicePublish(session: Session, packet: mqttPacket.IPublishPacket): void {
    const payload = Buffer.from(packet.payload);
    const record = { at: this.clock.now(), topic: packet.topic, payload: payload.toString('utf8'), qos: packet.qos, retain: packet.retain };
    this.published.push(record);
    this.onPublish?.(record);
    if (!session.connected) return;
    if (packet.retain) {
      if (payload.length === 0) this.retained.delete(packet.topic);
      else this.retained.set(packet.topic, payload);
    }
    if (packet.qos === 1 && !this.holdPubacks) this.answer(session, { cmd: 'puback', messageId: packet.messageId ?? 0 });
  }

  /** MQTT 3.1.1 section 3.1.2.10: a client silent for 1.5 × keepalive is dropped, its will published. */
  private enforceKeepalive(session: Session): void {
    if (!session.connected || session.keepaliveMs === 0) return;
    if (this.clock.now() - session.lastHeard > session.keepaliveMs * 1.5) this.lose(session);
  }

  private lose(session: Session, how: 'reset' | 'end' = 'reset'): void {
    const wasConnected = session.connected;
    session.connected = false;
    if (wasConnected && session.will) {
      const will = session.will;
      this.published.push({
        at: this.clock.now(),
        topic: will.topic,
        payload: will.payload.toString('utf8'),
        qos: will.qos,
        retain: will.retain,
      });
      if (will.retain) this.retained.set(will.topic, will.payload);
    }
    session.will = undefined;
    // Through a black hole not even the reset reaches the device: it has to notice by itself.
    if (session.silent) return;
    if (how === 'end') session.board.end();
    else session.board.fail({ kind: 'errno', errno: ERRNO.ECONNRESET });
  }
}

function remainingLength(length: number): Buffer {
  const bytes: number[] = [];
  do {
    let digit = length % 128;
    length = Math.floor(length / 128);
    if (length > 0) digit |= 0x80;
    bytes.push(digit);
  } while (length > 0);
  return Buffer.from(bytes);
}
