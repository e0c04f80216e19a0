// @peculiar/x509 reads decorator metadata through the Reflect API, which Node does not ship.
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pkcs10CertificateRequest, Pkcs10CertificateRequestGenerator } from '@peculiar/x509';
import { writeFileAtomically } from '../files/atomic-write';
import { UserError } from '../user-error';

/** Gitignored folder for local key material (see .gitignore). */
export const DEFAULT_KEYS_DIR = '.plamo';

/** Where `npx plamo keys <car>` keeps a car's key pair and CSR (certificate mode "csr"). */
export interface DeviceKeyPaths {
  readonly dir: string;
  /** PKCS#8 PEM, mode 0600. Never leaves this computer. */
  readonly privateKey: string;
  /** PKCS#10 PEM; the stack turns it into the device certificate (`AWS::IoT::Certificate`). */
  readonly csr: string;
}

export function deviceKeyPaths(carId: string, keysDir: string = DEFAULT_KEYS_DIR): DeviceKeyPaths {
  const dir = resolve(keysDir, 'cars', carId);
  return { dir, privateKey: join(dir, 'device.key.pem'), csr: join(dir, 'device.csr.pem') };
}

export interface DeviceKeyPair {
  readonly privateKeyPem: string;
  readonly csrPem: string;
}

/**
 * RSA 2048, like the keys `CreateKeysAndCertificate` makes in "aws" mode, so both modes hand the Pico W the
 * same kind of key. AWS IoT signs CSRs for RSA ≥ 2048 and EC P-256/P-384 keys (CreateCertificateFromCsr).
 */
const KEY_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

/** A fresh key pair and a CSR whose subject CN is the car id (the thing name). */
export async function createDeviceKeyPair(carId: string): Promise<DeviceKeyPair> {
  const crypto = webcrypto as unknown as Crypto;
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: `CN=${carId}`, keys, signingAlgorithm: KEY_ALGORITHM }, crypto);
  const privateKeyPem = KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString();
  return { privateKeyPem, csrPem: csr.toString('pem') };
}

/**
 * Writes the CSR, then the key (0600), each atomically, so the key file is never half-written nor readable
 * by others. The two files cannot be replaced at once: a run interrupted between them leaves a new CSR beside
 * the old key, which `npx plamo keys <car> --force` mends.
 */
export function writeDeviceKeyPair(paths: DeviceKeyPaths, pair: DeviceKeyPair): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeFileAtomically(paths.csr, pair.csrPem);
  writeFileAtomically(paths.privateKey, pair.privateKeyPem, 0o600);
}

/** A car in CSR mode without a usable CSR: the user's to fix with `npx plamo keys`, so synth prints just the message. */
export class DeviceCsrError extends UserError {}

/**
 * The car's CSR as PEM, checked to be one. Read at synth time in "csr" mode; the error says how to make it.
 */
export function readDeviceCsr(carId: string, keysDir: string = DEFAULT_KEYS_DIR): string {
  const paths = deviceKeyPaths(carId, keysDir);
  if (!existsSync(paths.csr)) {
    throw new DeviceCsrError(`car '${carId}' uses certificate mode "csr" but ${paths.csr} does not exist; run: npx plamo keys ${carId}`);
  }
  const pem = readFileSync(paths.csr, 'utf8');
  try {
    new Pkcs10CertificateRequest(pem);
  } catch {
    throw new DeviceCsrError(`${paths.csr} is not a PEM certificate signing request; make a new one with: npx plamo keys ${carId} --force`);
  }
  return pem;
}
