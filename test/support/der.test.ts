import { generateKeyPairSync } from 'node:crypto';
import { readEcPrivateKeyDer, readPkcs8Der, readRsaPrivateKeyDer } from './der';

const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;

test('a PKCS#8 key is not taken for the PKCS#1 key the device needs', () => {
  expect(() => readRsaPrivateKeyDer(rsa.export({ format: 'der', type: 'pkcs8' }))).toThrow();
});

test('a key with a byte after its DER structure is refused', () => {
  const der = Buffer.concat([rsa.export({ format: 'der', type: 'pkcs1' }), Buffer.from([0])]);
  expect(() => readRsaPrivateKeyDer(der)).toThrow('PKCS#1 RSA key: not canonical DER of that structure');
});

test('a SEC1 key on another curve than P-256 is refused', () => {
  expect(() => readEcPrivateKeyDer(p384.export({ format: 'der', type: 'sec1' }))).toThrow('SEC1 EC key: curve 1.3.132.0.34, not P-256');
});

test('the EC key inside PKCS#8 is the same key', () => {
  const { keyDer } = readPkcs8Der(ec.export({ format: 'der', type: 'pkcs8' }));
  const d = Buffer.from(ec.export({ format: 'jwk' }).d!, 'base64url');
  expect(readEcPrivateKeyDer(keyDer, { curveOutside: true }).d).toEqual(d);
});
