import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { WIFI_PASSWORD_VARIABLE } from '../config/schema';
import { DeviceBundleError } from './errors';

export { WIFI_PASSWORD_VARIABLE };

export interface WifiPasswordSource {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Folder holding the `.env` file (the project root). */
  readonly projectDir: string;
}

export interface WifiPassword {
  readonly password: string;
  /** Where it came from (the variable or the file), for a progress line that does not show the value. */
  readonly source: string;
}

/** Neither the environment nor `.env` holds a Wi-Fi password (one that is there but malformed is a `DeviceBundleError`). */
export class MissingWifiPasswordError extends DeviceBundleError {}

/** WPA2-Personal passphrases are 8–63 printable ASCII characters, or exactly 64 hex digits (IEEE 802.11i H.4.1). */
function checkPassphrase(password: string, origin: string): string {
  const isHexKey = /^[0-9A-Fa-f]{64}$/.test(password);
  const isPassphrase = password.length >= 8 && password.length <= 63 && /^[\x20-\x7e]+$/.test(password);
  if (!isHexKey && !isPassphrase) {
    // Say what is wrong without the value: this line may end up in a terminal log.
    throw new DeviceBundleError(
      `the Wi-Fi password from ${origin} is ${password.length} characters long; WPA2 needs 8–63 printable ASCII characters (or 64 hex digits)`,
    );
  }
  return password;
}

function readEnvFile(path: string): NodeJS.Dict<string> {
  // util.parseEnv arrived in Node.js 20.12; package.json allows any 20.x.
  if (typeof parseEnv !== 'function') {
    throw new DeviceBundleError(`reading ${path} needs Node.js 20.12 or newer; set ${WIFI_PASSWORD_VARIABLE} in the environment instead`);
  }
  return parseEnv(readFileSync(path, 'utf8'));
}

/**
 * The car's Wi-Fi password, from `PLAMO_WIFI_PASSWORD` or else a `.env` file in the project root.
 * It is kept out of `plamo.config.ts` (which is committed) and is never printed.
 */
export function readWifiPassword(source: WifiPasswordSource): WifiPassword {
  const fromEnv = (source.env ?? process.env)[WIFI_PASSWORD_VARIABLE];
  if (fromEnv) return { password: checkPassphrase(fromEnv, WIFI_PASSWORD_VARIABLE), source: WIFI_PASSWORD_VARIABLE };
  const envFile = join(source.projectDir, '.env');
  const fromFile = existsSync(envFile) ? readEnvFile(envFile)[WIFI_PASSWORD_VARIABLE] : undefined;
  if (fromFile) return { password: checkPassphrase(fromFile, envFile), source: envFile };
  throw new MissingWifiPasswordError(
    `no Wi-Fi password: set ${WIFI_PASSWORD_VARIABLE} in the environment or put a line ${WIFI_PASSWORD_VARIABLE}=… in ${envFile} (gitignored)`,
  );
}
