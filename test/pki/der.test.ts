import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { credentialsToDer } from '../../lib/pki/der';
import { readCertificateDer, readEcPrivateKeyDer, readRsaPrivateKeyDer } from '../support/der';
import { makeTestCredentials, type TestCredentials } from '../device/test-certificates';

const renewHint = 'rotate it';
let rsa: TestCredentials;
let ec: TestCredentials;
let other: TestCredentials;

beforeAll(async () => {
  [rsa, ec, other] = await Promise.all([
    makeTestCredentials(),
    makeTestCredentials({ keyType: 'ec' }),
    makeTestCredentials({ keyType: 'ec' }),
  ]);
});

const jwkOf = (pem: string) => createPrivateKey(pem).export({ format: 'jwk' });

test('the certificate DER is an X.509 certificate to a parser of its own, and the same certificate', () => {
  const { certificate } = credentialsToDer(rsa, { renewHint });
  expect(readCertificateDer(certificate).subject).toBe('CN=AWS IoT Certificate');
  expect(certificate).toEqual(new X509Certificate(rsa.certificatePem).raw);
});

test('an RSA key becomes PKCS#1 DER that a parser of its own reads back to the same key', () => {
  const { privateKey } = credentialsToDer(rsa, { renewHint });
  expect(readRsaPrivateKeyDer(privateKey).modulus).toEqual(Buffer.from(jwkOf(rsa.privateKeyPem).n!, 'base64url'));
  expect(() => createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs1' })).not.toThrow();
});

test('takes the PKCS#1 PEM key AWS IoT CreateKeysAndCertificate returns', () => {
  const pkcs1Pem = createPrivateKey(rsa.privateKeyPem).export({ format: 'pem', type: 'pkcs1' }).toString();
  expect(pkcs1Pem).toMatch(/^-----BEGIN RSA /); // the PKCS#1 header, as AWS returns it
  expect(credentialsToDer({ ...rsa, privateKeyPem: pkcs1Pem }, { renewHint }).privateKey).toEqual(
    credentialsToDer(rsa, { renewHint }).privateKey,
  );
});

test('an EC key becomes SEC1 DER that a parser of its own reads back to the same key', () => {
  const { privateKey } = credentialsToDer(ec, { renewHint });
  expect(readEcPrivateKeyDer(privateKey).d).toEqual(Buffer.from(jwkOf(ec.privateKeyPem).d!, 'base64url'));
  expect(() => createPrivateKey({ key: privateKey, format: 'der', type: 'sec1' })).not.toThrow();
});

test('the DER key matches the DER certificate', () => {
  const { certificate, privateKey } = credentialsToDer(rsa, { renewHint });
  const cert = new X509Certificate(certificate);
  const key = createPrivateKey({ key: privateKey, format: 'der', type: 'pkcs1' });
  expect(cert.checkPrivateKey(key)).toBe(true);
  expect(readCertificateDer(certificate).publicKeyDer).toEqual(createPublicKey(key).export({ format: 'der', type: 'spki' }));
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
