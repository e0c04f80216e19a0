import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTROLLER_COMMON_NAME, ensureLocalPki, type LocalPki } from '../../lib/pki/local-ca';
import { readCertificateDer, readEcPrivateKeyDer, readPkcs8Der } from '../support/der';

const DAY_MS = 24 * 60 * 60 * 1000;
let dir: string;
let pki: LocalPki;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plamo-pki-'));
  pki = await ensureLocalPki({ dir, carIds: ['rps13', 'ae86'] });
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

test('every leaf certificate is signed by the local CA', () => {
  const ca = new X509Certificate(pki.ca.pem);
  for (const identity of [pki.broker, pki.controller, pki.cars.rps13, pki.cars.ae86]) {
    expect(new X509Certificate(identity.cert.pem).verify(ca.publicKey)).toBe(true);
  }
});

test('a car certificate names the car id as its common name and only serves as a TLS client', () => {
  const cert = new X509Certificate(pki.cars.rps13.cert.pem);
  expect(cert.subject).toBe('CN=rps13');
  expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
});

test('the controller has a common name no car id can take', () => {
  expect(new X509Certificate(pki.controller.cert.pem).subject).toBe(`CN=${CONTROLLER_COMMON_NAME}`);
});

test('the broker certificate is valid for 127.0.0.1 and localhost', () => {
  const cert = new X509Certificate(pki.broker.cert.pem);
  expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  expect(cert.checkHost('localhost')).toBe('localhost');
});

test('each key matches its certificate', () => {
  for (const identity of [pki.broker, pki.controller, pki.cars.rps13]) {
    expect(new X509Certificate(identity.cert.pem).checkPrivateKey(createPrivateKey(identity.key.pem))).toBe(true);
  }
});

test('key files are readable by their owner only and the folder is private', () => {
  for (const name of ['ca.key.pem', 'broker.key.pem', 'controller.key.pem', 'cars/rps13.key.pem']) {
    expect(mode(join(dir, name))).toBe(0o600);
  }
  expect(mode(dir)).toBe(0o700);
});

test('a second run reuses every certificate and key', async () => {
  const again = await ensureLocalPki({ dir, carIds: ['rps13', 'ae86'] });
  expect(again.ca.pem).toBe(pki.ca.pem);
  expect(again.broker.key.pem).toBe(pki.broker.key.pem);
  expect(again.cars.rps13.cert.pem).toBe(pki.cars.rps13.cert.pem);
});

test('a car added later gets a certificate from the same CA without touching the others', async () => {
  const again = await ensureLocalPki({ dir, carIds: ['rps13', 'ae86', 's14'] });
  expect(again.cars.rps13.cert.pem).toBe(pki.cars.rps13.cert.pem);
  expect(new X509Certificate(again.cars.s14.cert.pem).verify(new X509Certificate(pki.ca.pem).publicKey)).toBe(true);
});

test('a certificate close to its end is reissued', async () => {
  const validTo = new Date(new X509Certificate(pki.cars.rps13.cert.pem).validTo);
  const again = await ensureLocalPki({ dir, carIds: ['rps13'], now: new Date(validTo.getTime() - 10 * DAY_MS) });
  expect(again.cars.rps13.cert.pem).not.toBe(pki.cars.rps13.cert.pem);
  expect(again.ca.pem).toBe(pki.ca.pem);
});

test('a damaged certificate file is replaced', async () => {
  writeFileSync(join(dir, 'cars', 'ae86.crt.pem'), 'not a certificate');
  const again = await ensureLocalPki({ dir, carIds: ['ae86'] });
  expect(new X509Certificate(again.cars.ae86.cert.pem).subject).toBe('CN=ae86');
});

test('a new CA reissues every certificate under it', async () => {
  rmSync(join(dir, 'ca.key.pem'));
  const again = await ensureLocalPki({ dir, carIds: ['rps13'] });
  expect(again.ca.pem).not.toBe(pki.ca.pem);
  expect(new X509Certificate(again.cars.rps13.cert.pem).verify(new X509Certificate(again.ca.pem).publicKey)).toBe(true);
  expect(new X509Certificate(again.broker.cert.pem).verify(new X509Certificate(again.ca.pem).publicKey)).toBe(true);
});

test('the DER forms parse with a parser of their own and hold the same certificate and key', () => {
  expect(readCertificateDer(pki.cars.rps13.cert.der).subject).toBe('CN=rps13');
  const { algorithm, keyDer } = readPkcs8Der(pki.cars.rps13.key.der);
  expect(algorithm).toBe('1.2.840.10045.2.1'); // id-ecPublicKey
  const jwk = createPrivateKey(pki.cars.rps13.key.pem).export({ format: 'jwk' });
  expect(readEcPrivateKeyDer(keyDer, { curveOutside: true }).d).toEqual(Buffer.from(jwk.d!, 'base64url'));
});

test('the stored PEM files are the ones returned', () => {
  expect(readFileSync(join(dir, 'cars', 'rps13.crt.pem'), 'utf8')).toBe(pki.cars.rps13.cert.pem);
});

test('a car id that could escape the folder is refused', async () => {
  await expect(ensureLocalPki({ dir, carIds: ['../evil'] })).rejects.toThrow("'../evil' is not a valid car id");
});
