import { MQTT_TLS_PORT } from '../contract/broker';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import type { Client } from 'aedes';
import type { PlamoConfig } from '../config';
import { installIotCoreRules, type RetainedDeliveryJitter } from './aws-iot/iot-core-rules';
import { IotJobsEmulator } from './aws-iot/jobs';
import { twinPrincipals } from './aws-iot/principals';
import { type RetainedMessage, RetainedStore } from './aws-iot/retained-store';
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, guardConnections } from './connection-guard';
import { listenOnLoopback } from './listen';
import { disableNagle } from './no-delay';
import type { LocalPki } from '../pki/local-ca';

/**
 * The twin's MQTT broker: Aedes behind a TLS server that demands a client certificate from the local CA,
 * like AWS IoT Core's port 8883. A client is who its verified certificate says (the CN), and may only do
 * what the policies the stack deploys for that identity allow, judged as AWS IoT Core judges them
 * (`aws-iot/`), with retained messages kept on disk.
 */

/** Where the broker keeps retained messages, inside the twin's gitignored folder. */
export const RETAINED_FILE = 'retained.jsonl';
/** Where the broker keeps job executions and streams (AWS IoT Jobs, MQTT file delivery), beside them. */
export const JOBS_FILE = 'jobs.json';

/** A message as it passed through the broker; `clientId` is null for a last will or the broker's own. */
export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly clientId: string | null;
}

export interface LocalBroker {
  readonly port: number;
  /** The retained message kept for a topic, for a look from outside MQTT (as the AWS IoT console gives). */
  retained(topic: string): RetainedMessage | undefined;
  /** AWS IoT Jobs and MQTT-based file delivery, as a device and the control plane see them. */
  readonly jobs: IotJobsEmulator;
  /**
   * What `cdk deploy` does to the policies: from now on every connection is judged by the policies of this
   * config (a car's new lamp, say); connections already open keep the ones they were admitted with.
   */
  deployPolicies(config: PlamoConfig): void;
  /** Every retained message kept, as ListRetainedMessages would page through them. */
  allRetained(): RetainedMessage[];
  /** Called for every message the broker routes (wills included), never for `$SYS`. Returns an unsubscribe. */
  onMessage(listener: (message: BrokerMessage) => void): () => void;
  close(): Promise<void>;
}

export interface LocalBrokerOptions {
  readonly config: PlamoConfig;
  readonly pki: LocalPki;
  /** @default MQTT_TLS_PORT (0 picks a free port) */
  readonly port?: number;
  /** Where refused connections and denied operations are reported. @default ignore */
  readonly log?: (line: string) => void;
  /** @default - `retained.jsonl` in the PKI folder */
  readonly retainedFile?: string;
  /** @default - `jobs.json` in the PKI folder */
  readonly jobsFile?: string;
  /** Deliver retained messages late and shuffled, as AWS may. @default - at once, in order */
  readonly retainedDelivery?: RetainedDeliveryJitter;
  /** Handshake timeout and connection caps. @default DEFAULT_CONNECTION_LIMITS */
  readonly connectionLimits?: Partial<ConnectionLimits>;
}

/** Starts the broker on 127.0.0.1 and resolves once it listens; a taken port rejects with PortInUseError. */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const log = options.log ?? (() => {});
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const store = RetainedStore.open(options.retainedFile ?? join(options.pki.dir, RETAINED_FILE));
  const jobs = new IotJobsEmulator({ file: options.jobsFile ?? join(options.pki.dir, JOBS_FILE) });
  // The services' answers, published by the broker itself (no client: only the receiver's policy judges them).
  jobs.connect((topic, payload) =>
    aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, () => {}),
  );
  const principals = new Map(twinPrincipals(options.config));
  const rules = installIotCoreRules(aedes, {
    services: [jobs],
    principals,
    thingNames: new Set(Object.keys(options.config.cars)),
    store,
    log,
    retainedDelivery: options.retainedDelivery,
  });

  const sockets = new Set<Socket>();
  const server = createServer(
    {
      key: options.pki.broker.key.pem,
      cert: options.pki.broker.cert.pem,
      ca: options.pki.ca.pem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => rules.admit(aedes.handle(socket) as unknown as Client),
  );
  server.on('connection', (socket: Socket) => {
    disableNagle(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  guardConnections(server, { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits }, log);

  let port: number;
  try {
    port = await listenOnLoopback(server, options.port ?? MQTT_TLS_PORT, '--mqtt-port');
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    store.close();
    throw error;
  }

  return {
    port,
    retained: (topic) => store.get(topic),
    jobs,
    deployPolicies(config) {
      principals.clear();
      for (const [name, principal] of twinPrincipals(config)) principals.set(name, principal);
    },
    allRetained: () => store.all(),
    onMessage(listener) {
      const forward = (packet: { topic: string; payload: Buffer | string; retain: boolean }, client: Client | null) => {
        if (packet.topic.startsWith('$SYS/')) return;
        listener({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain, clientId: client?.id ?? null });
      };
      aedes.on('publish', forward);
      return () => aedes.off('publish', forward);
    },
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
