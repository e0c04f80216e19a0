import type { Socket } from 'node:net';
import type { Server, TLSSocket } from 'node:tls';

/**
 * Keeps clients without credentials from exhausting the broker's file descriptors (the usual limit is
 * 1,024, shared with the twin's API): a socket must finish its TLS handshake, which needs a certificate
 * from the local CA, within the handshake timeout or it is destroyed; handshakes still pending per address
 * and connections in all are capped. Connections that finished the handshake hold a valid certificate and
 * are not counted per address, so a flood from 127.0.0.1 never takes a car's or the API's slot; an MQTT
 * client that then sends no CONNECT is Aedes' to close (its `connectTimeout`).
 */
export interface ConnectionLimits {
  /** @default 10_000 */
  readonly handshakeTimeoutMs: number;
  /** TLS handshakes one address may have pending at once. @default 32 */
  readonly pendingPerAddress: number;
  /** Open connections in all, pending or not. @default 512 */
  readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { handshakeTimeoutMs: 10_000, pendingPerAddress: 32, maxConnections: 512 };

const endpoint = (socket: Socket) => `${socket.remoteAddress}:${socket.remotePort}`;

/** Installs the limits on a TLS server; `log` gets a refusal line at most once per handshake timeout, and one per timed-out handshake. */
export function guardConnections(server: Server, limits: ConnectionLimits, log: (line: string) => void): void {
  /** Sockets still in their handshake, by `address:port`, with their timers. */
  const pending = new Map<string, NodeJS.Timeout>();
  const pendingByAddress = new Map<string, number>();
  /** When each kind of refusal was last logged: a flood gets one line per handshake timeout, not one per socket. */
  const lastLogged = new Map<string, number>();
  let open = 0;

  const refuseOnce = (reason: string, line: string) => {
    const now = Date.now();
    if (now - (lastLogged.get(reason) ?? Number.NEGATIVE_INFINITY) < limits.handshakeTimeoutMs) return;
    lastLogged.set(reason, now);
    log(line);
  };
  const settle = (key: string, address: string) => {
    const timer = pending.get(key);
    if (!timer) return;
    clearTimeout(timer);
    pending.delete(key);
    const left = (pendingByAddress.get(address) ?? 1) - 1;
    if (left > 0) pendingByAddress.set(address, left);
    else pendingByAddress.delete(address);
  };

  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (open >= limits.maxConnections) {
      refuseOnce('total', `refused connections from ${address} and others: ${open} open (limit ${limits.maxConnections})`);
      socket.destroy();
      return;
    }
    const waiting = pendingByAddress.get(address) ?? 0;
    if (waiting >= limits.pendingPerAddress) {
      refuseOnce(
        `address ${address}`,
        `refused connections from ${address}: ${waiting} TLS handshakes from it still pending (limit ${limits.pendingPerAddress})`,
      );
      socket.destroy();
      return;
    }
    open++;
    const key = endpoint(socket);
    const timer = setTimeout(() => {
      log(`closed a connection from ${address}: no TLS handshake within ${limits.handshakeTimeoutMs} ms`);
      socket.destroy();
    }, limits.handshakeTimeoutMs);
    pending.set(key, timer);
    pendingByAddress.set(address, waiting + 1);
    socket.once('close', () => {
      settle(key, address);
      open--;
    });
  });

  server.on('secureConnection', (socket: TLSSocket) => settle(endpoint(socket), socket.remoteAddress ?? 'unknown'));

  // Node only reports a failed or timed-out handshake here; without a destroy the socket would stay open.
  server.on('tlsClientError', (error, socket) => {
    log(`refused a TLS client: ${error.message}`);
    socket.destroy();
  });
}
