// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { KeyObject, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export interface TestCredentials {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** A real key pair and a self-signed certificate for it, like the ones AWS IoT hands out (RSA) or the twin makes (EC). */
export async function makeTestCredentials(
  options: { keyType?: 'rsa' | 'ec'; notBefore?: Date; notAfter?: Date; subject?: string } = {},
): Promise<TestCredentials> {
  const algorithm = options.keyType === 'ec' ? EC : RSA;
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: options.subject ?? 'CN=AWS IoT Certificate',
    notBefore: options.notBefore ?? new Date(Date.now() - DAY_MS),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY_MS),
    signingAlgorithm: algorithm,
    keys,
  });
  return {
    certificatePem: cert.toString('pem'),
    privateKeyPem: KeyObject.from(keys.privateKey).export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
