import type { Server } from 'node:net';
import { UserError } from '../user-error';

/** The twin listens on loopback unless asked (`--lan`): it has no authentication fit for a network beyond the token. */
export const LOOPBACK = '127.0.0.1';

/** The port of the twin's lamp API and phone page; its broker takes AWS IoT Core's, `MQTT_TLS_PORT`. */
export const TWIN_HTTP_PORT = 8080;

/** A port the twin needs is held by another program; the message names the option that picks another. */
export class PortInUseError extends UserError {
  constructor(
    readonly port: number,
    readonly option: string,
    readonly host: string = LOOPBACK,
  ) {
    super(`port ${port} on ${host} is already in use; stop the program holding it or choose another port with ${option}`);
  }
}

/** Listens on one address and resolves to the bound port (useful with port 0 in tests). */
export function listenOn(server: Server, host: string, port: number, option: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, option, host) : error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Listens on loopback only. */
export function listenOnLoopback(server: Server, port: number, option: string): Promise<number> {
  return listenOn(server, LOOPBACK, port, option);
}
