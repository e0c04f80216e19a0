/**
 * The wire under the virtual Pico W's `umqtt.simple` look-alike. The look-alike has the real client's
 * synchronous API, so every method here is synchronous too: a backend that talks to a real broker may
 * answer `connect` optimistically and report a late failure by throwing from the next call, exactly as
 * a socket would. Throw an Error with a numeric `errno` (ECONNRESET when absent) for a socket failure:
 * the firmware sees `OSError(errno)`.
 */
export interface MqttWill {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
  readonly retain: boolean;
}

/** The DER bytes the firmware loaded into its SSLContext, and the SNI name it asked for. */
export interface MqttTlsCredentials {
  readonly caDer: Buffer;
  readonly certDer: Buffer;
  readonly keyDer: Buffer;
  readonly serverHostname: string;
}

export interface MqttConnectRequest {
  readonly clientId: string;
  readonly host: string;
  readonly port: number;
  readonly keepaliveS: number;
  readonly cleanSession: boolean;
  readonly will?: MqttWill;
  /** Absent when the firmware connected without TLS. */
  readonly tls?: MqttTlsCredentials;
  readonly user?: string;
  readonly password?: string;
  /** The `timeout` the firmware passed to connect(), in seconds; 0 when none. */
  readonly timeoutS: number;
}

/** 0 = accepted; 1–5 = MQTT 3.1.1 CONNACK refusal codes (5 = not authorised). */
export type ConnackCode = 0 | 1 | 2 | 3 | 4 | 5;

export interface InboundMessage {
  readonly topic: Buffer;
  readonly payload: Buffer;
}

export interface MqttBackend {
  connect(request: MqttConnectRequest): ConnackCode;
  /** QoS 1 returns once the broker acknowledged it. */
  publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): void;
  /** Returns false when the broker refused the subscription (SUBACK 0x80). */
  subscribe(filter: string, qos: 0 | 1): boolean;
  ping(): void;
  /** The next message for the device, if one is waiting; never blocks. */
  poll(): InboundMessage | undefined;
  /** DISCONNECT sent by the device before closing. */
  disconnect(): void;
  /** The device closed its socket (or dropped it after an error). */
  close(): void;
}

/** A socket failure as the device would see it. */
export class MqttSocketError extends Error {
  constructor(
    message: string,
    readonly errno: number = ECONNRESET,
  ) {
    super(message);
    this.name = 'MqttSocketError';
  }
}

export const ECONNRESET = 104;
export const ECONNREFUSED = 111;
export const ETIMEDOUT = 110;
