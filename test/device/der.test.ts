import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialsToDer } from '../../lib/device/der';
import { makeTestCredentials, type TestCredentials } from './test-certificates';

const renewHint = 'rotate it';
let rsa: TestCredentials;
let ec: TestCredentials;
let other: TestCredentials;
let scratch: string;

beforeAll(async () => {
  [rsa, ec, other] = await Promise.all([
    makeTestCredentials(),
    makeTestCredentials({ keyType: 'ec' }),
    makeTestCredentials({ keyType: 'ec' }),
  ]);
  scratch = mkdtempSync(join(tmpdir(), 'plamo-der-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function openssl(args: string[], der: Buffer): string {
  const file = join(scratch, `${Math.random().toString(36).slice(2)}.der`);
  writeFileSync(file, der);
  return execFileSync('openssl', [...args, '-in', file], { encoding: 'utf8', stdio: 'pipe' });
}

test('the certificate DER parses with openssl x509 -inform DER and is the same certificate', () => {
  const { certificate } = credentialsToDer(rsa, { renewHint });
  const fingerprint = openssl(['x509', '-inform', 'DER', '-noout', '-fingerprint', '-sha256'], certificate);
  expect(fingerprint).toContain(new X509Certificate(rsa.certificatePem).fingerprint256);
});

test('an RSA key becomes PKCS#1 DER that openssl pkey reads back to the same key', () => {
  const { privateKey } = credentialsToDer(rsa, { renewHint });
  const pem = openssl(['pkey', '-inform', 'DER'], privateKey);
  expect(createPrivateKey(pem).export({ format: 'jwk' })).toEqual(createPrivateKey(rsa.privateKeyPem).export({ format: 'jwk' }));
  expect(() => createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs1' })).not.toThrow();
});

test('takes the PKCS#1 PEM key AWS IoT CreateKeysAndCertificate returns', () => {
  const pkcs1Pem = createPrivateKey(rsa.privateKeyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
  expect(pkcs1Pem).toMatch(/^-----BEGIN RSA /); // the PKCS#1 header, as AWS returns it
  expect(credentialsToDer({ ...rsa, privateKeyPem: pkcs1Pem }, { renewHint }).privateKey).toEqual(
    credentialsToDer(rsa, { renewHint }).privateKey,
  );
});

test('an EC key becomes SEC1 DER that openssl pkey reads back to the same key', () => {
  const { privateKey } = credentialsToDer(ec, { renewHint });
  const pem = openssl(['pkey', '-inform', 'DER'], privateKey);
  expect(createPrivateKey(pem).export({ format: 'jwk' })).toEqual(createPrivateKey(ec.privateKeyPem).export({ format: 'jwk' }));
  expect(() => createPrivateKey({ key: privateKey, format: 'der', type: 'sec1' })).not.toThrow();
});

test('the DER key matches the DER certificate', () => {
  const { certificate, privateKey } = credentialsToDer(rsa, { renewHint });
  const cert = new X509Certificate(certificate);
  const key = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs1' });
  expect(cert.checkPrivateKey(key)).toBe(true);
  expect(openssl(['x509', '-inform', 'DER', '-noout', '-pubkey'], certificate)).toBe(
    createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString(),
  );
});

test('returns when the certificate expires', () => {
  expect(credentialsToDer(rsa, { renewHint }).notAfter).toEqual(new Date(new X509Certificate(rsa.certificatePem).validTo));
});

test('refuses a key that does not belong to the certificate', () => {
  expect(() => credentialsToDer({ certificatePem: ec.certificatePem, privateKeyPem: other.privateKeyPem }, { renewHint })).toThrow(
    'the private key does not belong to the device certificate (CN=AWS IoT Certificate)',
  );
});

test('refuses an expired certificate and says how to renew it', () => {
  const notAfter = new Date(new X509Certificate(rsa.certificatePem).validTo);
  const later = new Date(notAfter.getTime() + 1000);
  expect(() => credentialsToDer(rsa, { now: later, renewHint })).toThrow(
    `the device certificate expired on ${notAfter.toISOString()}; rotate it`,
  );
});

test('refuses a certificate that is not valid yet', () => {
  const notBefore = new Date(new X509Certificate(rsa.certificatePem).validFrom);
  expect(() => credentialsToDer(rsa, { now: new Date(notBefore.getTime() - 1000), renewHint })).toThrow(
    `the device certificate is not valid before ${notBefore.toISOString()}`,
  );
});

test('refuses a certificate that is not PEM', () => {
  expect(() => credentialsToDer({ ...rsa, certificatePem: 'garbage' }, { renewHint })).toThrow(
    'the device certificate is not a PEM X.509 certificate',
  );
});

test('refuses a broken key without quoting it', () => {
  const broken = rsa.privateKeyPem.replace(/[A-Za-z]{20}/, 'AAAAAAAAAAAAAAAAAAAA');
  let message = '';
  try {
    credentialsToDer({ ...rsa, privateKeyPem: broken }, { renewHint });
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toBe('the device private key is not an unencrypted PEM private key');
});
