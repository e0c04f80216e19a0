import type { Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';
import type { Aedes, AuthenticateError, Client } from 'aedes';
import type { PlamoConfig } from '../config';
import { controllerPermissions, type DevicePermissions, devicePermissions, subscriptionAllowed, topicAllowed } from '../contract';
import { listenOnLoopback } from './listen';
import { disableNagle } from './no-delay';
import { CONTROLLER_COMMON_NAME, type LocalPki } from './pki';

/**
 * The twin's MQTT broker: Aedes behind a TLS server that demands a client certificate from the local CA,
 * like AWS IoT Core's port 8883. A client is who its verified certificate says (the CN), and may only do
 * what the same permission model that renders the cloud policy grants that name.
 */

/** What one certificate name may do on the local broker: a car's permissions, or the controller's in the same shape. */
export type ClientAcl = DevicePermissions;

/**
 * The broker's ACL keyed by certificate CN: each car from `devicePermissions()`, and the controller (the
 * twin's lamp API) from `controllerPermissions()` of every car. The controller subscribes to what the
 * cloud API reads with GetRetainedMessage, since a broker has no other way to hand out retained messages.
 */
export function renderBrokerAcl(config: PlamoConfig): ReadonlyMap<string, ClientAcl> {
  const acl = new Map<string, ClientAcl>();
  const controller = { publish: [] as string[], readable: [] as string[] };
  for (const [carId, car] of Object.entries(config.cars)) {
    const lamps = Object.keys(car.lamps);
    acl.set(carId, devicePermissions(config.topicRoot, carId, lamps));
    const permissions = controllerPermissions(config.topicRoot, carId, lamps);
    controller.publish.push(...permissions.publish);
    controller.readable.push(...permissions.readRetained);
  }
  acl.set(CONTROLLER_COMMON_NAME, {
    clientId: CONTROLLER_COMMON_NAME,
    publish: controller.publish,
    subscribe: controller.readable,
    receive: controller.readable,
  });
  return acl;
}

/** A message as it passed through the broker; `clientId` is null for a last will or the broker's own. */
export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
  readonly clientId: string | null;
}

export interface LocalBroker {
  readonly port: number;
  /** Called for every message the broker routes (wills included), never for `$SYS`. Returns an unsubscribe. */
  onMessage(listener: (message: BrokerMessage) => void): () => void;
  close(): Promise<void>;
}

export interface LocalBrokerOptions {
  readonly config: PlamoConfig;
  readonly pki: LocalPki;
  /** @default 8883 (0 picks a free port) */
  readonly port?: number;
  /** Where refused connections and denied operations are reported. @default ignore */
  readonly log?: (line: string) => void;
}

const CONNACK = { identifierRejected: 2, notAuthorized: 5 } as const;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

function certificateName(client: Client): string | undefined {
  const cert = (client.conn as TLSSocket).getPeerCertificate?.();
  const name = cert?.subject?.CN;
  return typeof name === 'string' ? name : undefined;
}

/** Installs the authentication and authorisation hooks; client ids are checked against the certificate. */
export function guard(aedes: Aedes, acls: ReadonlyMap<string, ClientAcl>, log: (line: string) => void): void {
  const aclOf = new WeakMap<Client, ClientAcl>();

  aedes.authenticate = (client, _username, _password, done) => {
    const name = certificateName(client);
    const acl = name === undefined ? undefined : acls.get(name);
    if (acl === undefined) {
      log(`refused ${client.id}: certificate '${name ?? '(none)'}' belongs to no configured car`);
      return done(refusal('unknown certificate', CONNACK.notAuthorized), false);
    }
    if (client.id !== acl.clientId) {
      log(`refused ${client.id}: the certificate for '${name}' may only connect as client id '${acl.clientId}'`);
      return done(refusal('client id does not match the certificate', CONNACK.identifierRejected), false);
    }
    aclOf.set(client, acl);
    done(null, true);
  };

  aedes.authorizePublish = (client, packet, done) => {
    // Aedes checks a will only when it publishes it, not when it is set. With a null client it is a stored
    // will whose owner is gone (aedes' sweep of wills): judge it by the ACL of the client id it belongs to,
    // which authenticate() tied to the certificate's name.
    const willOwner = (packet as { clientId?: unknown }).clientId;
    const acl = client ? aclOf.get(client) : typeof willOwner === 'string' ? acls.get(willOwner) : undefined;
    if (acl && topicAllowed(acl.publish, packet.topic)) return done(null);
    log(`denied: ${client?.id ?? String(willOwner)} may not publish to ${packet.topic}`);
    done(new Error(`not authorised to publish to ${packet.topic}`));
  };

  aedes.authorizeSubscribe = (client, subscription, done) => {
    const acl = aclOf.get(client);
    if (acl && subscriptionAllowed(acl, subscription.topic)) return done(null, subscription);
    log(`denied: ${client.id} may not subscribe to ${subscription.topic}`);
    done(null, null);
  };

  aedes.authorizeForward = (client, packet) => {
    const acl = aclOf.get(client);
    return acl && topicAllowed(acl.receive, packet.topic) ? packet : null;
  };
}

/** Starts the broker on 127.0.0.1 and resolves once it listens; a taken port rejects with PortInUseError. */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const log = options.log ?? (() => {});
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  guard(aedes, renderBrokerAcl(options.config), log);

  const sockets = new Set<Socket>();
  const server = createServer(
    {
      key: options.pki.broker.key.pem,
      cert: options.pki.broker.cert.pem,
      ca: options.pki.ca.pem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => aedes.handle(socket),
  );
  server.on('connection', (socket: Socket) => {
    disableNagle(socket);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error) => log(`refused a TLS client: ${error.message}`));

  let port: number;
  try {
    port = await listenOnLoopback(server, options.port ?? 8883, '--mqtt-port');
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw error;
  }

  return {
    port,
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
    },
  };
}
