import { connect as tlsConnect } from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { Identity, LocalPki } from '../../../lib/pki/local-ca';

/**
 * An MQTT 3.1.1 client that sends exactly the packets a test writes and acknowledges nothing by itself, for
 * the cases a well-behaved client library will not produce (QoS 2, silence past the keepalive, no PUBACKs).
 */
export interface RawClient {
  readonly received: Packet[];
  send(packet: Record<string, unknown> & { cmd: string }): void;
  /** Resolves with the next packet of that kind, or undefined when none came within `withinMs`. */
  next(cmd: string, withinMs: number): Promise<Packet | undefined>;
  readonly closed: Promise<void>;
  isClosed(): boolean;
  end(): void;
}

export async function rawConnect(port: number, pki: LocalPki, identity: Identity, clientId: string, keepalive = 60): Promise<RawClient> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: pki.ca.pem,
    cert: identity.cert.pem,
    key: identity.key.pem,
    servername: 'localhost',
  });
  const parser = mqttPacket.parser();
  const received: Packet[] = [];
  const waiters: (() => void)[] = [];
  let closed = false;
  parser.on('packet', (packet: Packet) => {
    received.push(packet);
    for (const wake of waiters.splice(0)) wake();
  });
  socket.on('data', (chunk) => parser.parse(chunk));
  socket.on('error', () => {});
  const closedPromise = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  const client: RawClient = {
    received,
    send: (packet) => socket.write(mqttPacket.generate(packet as unknown as Packet)),
    async next(cmd, withinMs) {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const index = received.findIndex((packet) => packet.cmd === cmd);
        if (index !== -1) return received.splice(index, 1)[0];
        const left = deadline - Date.now();
        if (left <= 0 || closed) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    closed: closedPromise,
    isClosed: () => closed,
    end: () => socket.destroy(),
  };
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId, keepalive });
  const connack = await client.next('connack', 5000);
  if (!connack || (connack as { returnCode?: number }).returnCode !== 0) throw new Error(`refused: ${JSON.stringify(connack)}`);
  return client;
}
