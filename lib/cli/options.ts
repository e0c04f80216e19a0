import { CliError } from './cli-error';

/**
 * The value of a port option (`--port`, `--mqtt-port`) as a number. `lowest` is 0 where 0 means "any free
 * port" (the twin's own listeners), 1 where the port is one to connect to.
 */
export function parsePort(value: string, option: string, lowest: 0 | 1 = 1): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < lowest || port > 65_535) {
    throw new CliError(`${option} must be a port number (${lowest}–65535), not '${value}'`);
  }
  return port;
}
