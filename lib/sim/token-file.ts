import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the twin keeps its token, beside its certificates, so an open phone page survives a restart. */
export function tokenFilePath(dir: string): string {
  return join(dir, 'token');
}

/**
 * The token kept in `<dir>/token` (mode 0600), or a new one written there. A file that holds no valid token
 * (edited by hand, truncated) is replaced rather than trusted.
 */
export function keptToken(dir: string, generate: () => string, isValid: (token: string) => boolean): string {
  const file = tokenFilePath(dir);
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (isValid(kept)) return kept;
  }
  const token = generate();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of a file that was already there.
  chmodSync(file, 0o600);
  return token;
}
