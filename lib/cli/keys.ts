import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { type CarConfig, loadConfig } from '../config';
import { createDeviceKeyPair, DEFAULT_KEYS_DIR, deviceKeyPaths, writeDeviceKeyPair } from '../pki/device-keys';
import { COMMANDS } from './commands';
import { CliError } from './cli-error';

export interface KeysOptions {
  readonly keysDir: string;
  /** Replace an existing key (its certificate stops matching; deploy again to get a new one). */
  readonly force: boolean;
}

/** Makes a car's key pair and CSR for certificate mode "csr"; returns the lines to print. */
export async function makeDeviceKeys(cars: Record<string, CarConfig>, carId: string, options: KeysOptions): Promise<string[]> {
  const car = cars[carId];
  if (!car) throw new CliError(`unknown car '${carId}'; the config has: ${Object.keys(cars).join(', ')}`);
  const paths = deviceKeyPaths(carId, options.keysDir);
  const shown = (path: string) => relative(process.cwd(), path) || path;
  if (existsSync(paths.privateKey) && !options.force) {
    throw new CliError(
      `${shown(paths.privateKey)} already exists and its certificate may be on the car; ` +
        `to rotate, run: npx plamo keys ${carId} --force, then npx cdk deploy`,
    );
  }
  writeDeviceKeyPair(paths, await createDeviceKeyPair(carId));
  const lines = [`✓ private key ${shown(paths.privateKey)} (mode 0600, stays on this computer)`, `✓ CSR ${shown(paths.csr)}`];
  lines.push(
    car.certificate.mode === 'csr'
      ? 'next: npx cdk deploy (AWS IoT signs the CSR; the key never leaves this computer)'
      : `note: ${carId} has certificate mode "aws"; set certificate: { mode: 'csr' } in the config for the stack to use this CSR`,
  );
  return lines;
}

export function registerKeys(program: Command): void {
  program
    .command('keys')
    .description(COMMANDS.keys.summary)
    .argument('<car>', 'car id from the config')
    .option('--force', 'replace an existing key (rotation; deploy afterwards)', false)
    .option('--keys-dir <dir>', 'folder for local keys (gitignored)', DEFAULT_KEYS_DIR)
    .action(async (carId: string, options: { force: boolean; keysDir: string }) => {
      const config = loadConfig(program.opts().config);
      const lines = await makeDeviceKeys(config.cars, carId, options);
      console.log(lines.join('\n'));
    });
}
