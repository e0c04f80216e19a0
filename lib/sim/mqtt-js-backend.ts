import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import {
  type ConnackCode,
  ECONNREFUSED,
  ECONNRESET,
  type InboundMessage,
  type MqttBackend,
  type MqttConnectRequest,
  MqttSocketError,
} from './pico/mqtt-backend';
import { disableNagleOnClient } from './no-delay';

/**
 * The virtual Pico W's MQTT wire in the local twin: mqtt.js over TLS with the DER credentials the
 * firmware loaded into its SSLContext. umqtt.simple is synchronous and mqtt.js is not, so `connect`
 * answers at once (mqtt.js queues what the firmware sends until the broker accepts), and a failure that
 * arrives later (refused CONNACK, TLS error, dropped socket) is thrown from the firmware's next MQTT
 * call, as a broken socket would be. The firmware then closes, backs off and connects again.
 */
export class MqttJsBackend implements MqttBackend {
  private client: MqttClient | undefined;
  private readonly inbox: InboundMessage[] = [];
  private failure: MqttSocketError | undefined;

  /** @param onConnected called each time the broker accepts a session (the twin waits for the first). */
  constructor(private readonly onConnected: () => void = () => {}) {}

  connect(request: MqttConnectRequest): ConnackCode {
    this.close();
    this.failure = undefined;
    this.inbox.length = 0;
    if (request.tls === undefined) throw new MqttSocketError('the local broker takes TLS connections only', ECONNREFUSED);
    const client = mqtt.connect({
      protocol: 'mqtts',
      host: request.host,
      port: request.port,
      clientId: request.clientId,
      keepalive: request.keepaliveS,
      clean: request.cleanSession,
      reconnectPeriod: 0,
      connectTimeout: (request.timeoutS || 30) * 1000,
      ...tlsOptions(request.tls),
      will: request.will && {
        topic: request.will.topic,
        payload: request.will.payload,
        qos: request.will.qos as 0 | 1,
        retain: request.will.retain,
      },
    });
    disableNagleOnClient(client);
    client.on('connect', () => this.onConnected());
    client.on('message', (topic, payload) => this.inbox.push({ topic: Buffer.from(topic), payload }));
    client.on('error', (error: Error & { code?: unknown }) => {
      this.failure ??= new MqttSocketError(`MQTT error: ${error.message}`, typeof error.code === 'number' ? ECONNREFUSED : ECONNRESET);
    });
    client.on('close', () => {
      this.failure ??= new MqttSocketError('the broker closed the connection', ECONNRESET);
    });
    this.client = client;
    return 0;
  }

  private live(): MqttClient {
    if (this.failure) throw this.failure;
    if (!this.client) throw new MqttSocketError('not connected', ECONNRESET);
    return this.client;
  }

  publish(topic: string, payload: Buffer, qos: 0 | 1, retain: boolean): void {
    this.live().publish(topic, payload, { qos, retain });
  }

  subscribe(filter: string, qos: 0 | 1): boolean {
    this.live().subscribe(filter, { qos }, (error, granted) => {
      // A refusal comes back after subscribe() has returned: fail the session so the firmware starts over.
      if (error || granted?.some((grant) => grant.qos === 128)) this.failure ??= new MqttSocketError(`subscription to ${filter} refused`);
    });
    return true;
  }

  /** mqtt.js keeps the session alive with the same keepalive; a ping only has to surface a failure. */
  ping(): void {
    this.live();
  }

  poll(): InboundMessage | undefined {
    // Messages that arrived before a failure are still delivered: the firmware would have read them too.
    const next = this.inbox.shift();
    if (next) return next;
    this.live();
    return undefined;
  }

  disconnect(): void {
    this.client?.end();
  }

  close(): void {
    this.client?.removeAllListeners();
    this.client?.on('error', () => {});
    this.client?.end(true);
    this.client = undefined;
  }
}

/** The key as the firmware holds it in DER: PKCS#8, SEC1 (EC) or PKCS#1 (RSA), whichever parses. */
function keyFromDer(der: Buffer): KeyObject {
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new MqttSocketError('the device key is not a DER private key', ECONNREFUSED);
}

function tlsOptions(tls: NonNullable<MqttConnectRequest['tls']>) {
  return {
    ca: new X509Certificate(tls.caDer).toString(),
    cert: new X509Certificate(tls.certDer).toString(),
    key: keyFromDer(tls.keyDer).export({ format: 'pem', type: 'pkcs8' }) as string,
    // SNI carries host names only (RFC 6066 section 3); the certificate is still checked against the IP.
    ...(isIP(tls.serverHostname) === 0 ? { servername: tls.serverHostname } : {}),
    rejectUnauthorized: true,
  };
}
