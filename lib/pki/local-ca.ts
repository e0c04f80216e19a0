// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import { createPrivateKey, KeyObject, X509Certificate as NodeX509Certificate, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { CAR_ID_PATTERN } from '../config';
import { writeFileAtomically } from '../files/atomic-write';

/**
 * The local twin's certificate authority: a CA, a broker certificate, one client certificate per car
 * (CN = car id, the MQTT client id it must connect with) and one for the controller (the twin's API).
 *
 * Keys are ECDSA P-256: a key pair takes milliseconds to make (RSA 2048 takes most of a second each, on
 * every first run and in every test), the handshake costs the RP2040 far less than an RSA private-key
 * operation, and the Pico W's mbedTLS build and AWS IoT Core both accept P-256 certificates.
 *
 * Files live in `dir` (default `.plamo/local`, gitignored) as PEM; keys are written mode 0600. They are
 * made on first use and reused after; a missing or expiring certificate is reissued, and a new CA
 * (when its files are gone) reissues everything.
 */

/** A certificate or key in both encodings: PEM for Node's TLS, DER for the Pico W's `SSLContext`. */
export interface PemAndDer {
  readonly pem: string;
  readonly der: Buffer;
}

/** A client or server identity. The key is PKCS#8 (mbedTLS `pk_parse_key` reads PKCS#8 DER as well as SEC1). */
export interface Identity {
  /** The certificate's common name: the car id for a car, `CONTROLLER_COMMON_NAME` for the controller. */
  readonly commonName: string;
  readonly cert: PemAndDer;
  readonly key: PemAndDer;
}

export interface LocalPki {
  readonly dir: string;
  /** The CA certificate: the trust anchor for the broker (client certificates) and for every client (the broker). */
  readonly ca: PemAndDer;
  /** The broker's server identity; its certificate names `127.0.0.1` and `localhost`. */
  readonly broker: Identity;
  /** The identity the twin's lamp API connects with; authorised from `controllerPermissions()`. */
  readonly controller: Identity;
  /** One identity per car id asked for. */
  readonly cars: Readonly<Record<string, Identity>>;
}

export interface LocalPkiOptions {
  /** @default '.plamo/local' */
  readonly dir?: string;
  /** Cars to make (or reuse) a client certificate for. */
  readonly carIds: readonly string[];
  /** Only for tests: the time certificates are checked against and issued from. @default new Date() */
  readonly now?: Date;
}

export const DEFAULT_PKI_DIR = '.plamo/local';
/** `:` cannot occur in a car id (`CAR_ID_PATTERN`), so no car can ever present the controller's name. */
export const CONTROLLER_COMMON_NAME = 'plamo:controller';
export const BROKER_HOSTS = { ip: '127.0.0.1', dns: 'localhost' } as const;

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALID_DAYS = 3650;
const LEAF_VALID_DAYS = 825;
/** A certificate closer than this to its end is reissued, so a running twin never meets an expired one. */
const RENEW_BEFORE_DAYS = 30;

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

type Role = 'server' | 'client';

interface StoredIdentity {
  certPem: string;
  keyPem: string;
}

function fileNames(dir: string, name: string): { cert: string; key: string } {
  return { cert: join(dir, `${name}.crt.pem`), key: join(dir, `${name}.key.pem`) };
}

function readStored(dir: string, name: string): StoredIdentity | undefined {
  const files = fileNames(dir, name);
  if (!existsSync(files.cert) || !existsSync(files.key)) return undefined;
  return { certPem: readFileSync(files.cert, 'utf8'), keyPem: readFileSync(files.key, 'utf8') };
}

function store(dir: string, name: string, identity: StoredIdentity): void {
  const files = fileNames(dir, name);
  // Atomic, so an interrupted first run never leaves half a PEM.
  writeFileAtomically(files.key, identity.keyPem, 0o600);
  writeFileAtomically(files.cert, identity.certPem, 0o644);
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function exportKeyPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ format: 'pem', type: 'pkcs8' }).toString();
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f; // a positive INTEGER, as RFC 5280 4.1.2.2 requires
  return bytes.toString('hex');
}

function validity(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  // Back-dated a minute so a client whose clock lags the CA's a little still accepts a fresh certificate.
  return { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

async function createCa(now: Date): Promise<StoredIdentity> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=plamo local twin CA',
    ...validity(now, CA_VALID_DAYS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: exportKeyPem(keys.privateKey) };
}

interface Issuer {
  cert: x509.X509Certificate;
  signingKey: CryptoKey;
}

async function loadIssuer(ca: StoredIdentity): Promise<Issuer> {
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pemToDer(ca.keyPem), ALGORITHM, false, ['sign']);
  return { cert: new x509.X509Certificate(ca.certPem), signingKey: signingKey as CryptoKey };
}

function subjectAlternativeNames(role: Role): x509.Extension[] {
  if (role === 'client') return [];
  return [
    new x509.SubjectAlternativeNameExtension([
      { type: 'ip', value: BROKER_HOSTS.ip },
      { type: 'dns', value: BROKER_HOSTS.dns },
    ]),
  ];
}

async function issue(issuer: Issuer, commonName: string, role: Role, now: Date): Promise<StoredIdentity> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [commonName] }],
    issuer: issuer.cert.subject,
    ...validity(now, LEAF_VALID_DAYS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: issuer.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([role === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert),
      ...subjectAlternativeNames(role),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: exportKeyPem(keys.privateKey) };
}

function withinValidity(cert: NodeX509Certificate, now: Date): boolean {
  const renewAt = new Date(cert.validTo).getTime() - RENEW_BEFORE_DAYS * DAY_MS;
  return now.getTime() >= new Date(cert.validFrom).getTime() && now.getTime() < renewAt;
}

function caStillGood(stored: StoredIdentity, now: Date): boolean {
  try {
    const cert = new NodeX509Certificate(stored.certPem);
    return cert.ca && withinValidity(cert, now) && cert.checkPrivateKey(createPrivateKey(stored.keyPem));
  } catch {
    return false;
  }
}

/** Issued to this name by this CA, its key matching, and not about to expire. */
function leafStillGood(stored: StoredIdentity, commonName: string, ca: NodeX509Certificate, now: Date): boolean {
  try {
    const cert = new NodeX509Certificate(stored.certPem);
    return (
      cert.subject === `CN=${commonName}` &&
      withinValidity(cert, now) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(stored.keyPem))
    );
  } catch {
    return false;
  }
}

function toIdentity(commonName: string, stored: StoredIdentity): Identity {
  return {
    commonName,
    cert: { pem: stored.certPem, der: pemToDer(stored.certPem) },
    key: { pem: stored.keyPem, der: pemToDer(stored.keyPem) },
  };
}

/**
 * Returns the local CA, broker, controller and per-car identities, creating whatever is missing, invalid
 * or about to expire in `dir` (mode 0700) and reusing the rest.
 */
export async function ensureLocalPki(options: LocalPkiOptions): Promise<LocalPki> {
  const dir = options.dir ?? DEFAULT_PKI_DIR;
  const now = options.now ?? new Date();
  for (const carId of options.carIds) {
    // The id becomes a file name and the certificate's CN: refuse anything the config would refuse.
    if (!CAR_ID_PATTERN.test(carId)) throw new Error(`'${carId}' is not a valid car id; use 1–64 letters, digits, _ or -`);
  }
  mkdirSync(join(dir, 'cars'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);

  let ca = readStored(dir, 'ca');
  if (ca === undefined || !caStillGood(ca, now)) {
    ca = await createCa(now);
    store(dir, 'ca', ca);
  }
  const caCert = new NodeX509Certificate(ca.certPem);
  const issuer = await loadIssuer(ca);

  const ensure = async (name: string, commonName: string, role: Role): Promise<Identity> => {
    const existing = readStored(dir, name);
    if (existing && leafStillGood(existing, commonName, caCert, now)) return toIdentity(commonName, existing);
    const fresh = await issue(issuer, commonName, role, now);
    store(dir, name, fresh);
    return toIdentity(commonName, fresh);
  };

  const broker = await ensure('broker', BROKER_HOSTS.dns, 'server');
  const controller = await ensure('controller', CONTROLLER_COMMON_NAME, 'client');
  const cars: Record<string, Identity> = {};
  for (const carId of options.carIds) cars[carId] = await ensure(join('cars', carId), carId, 'client');
  return { dir, ca: { pem: ca.certPem, der: pemToDer(ca.certPem) }, broker, controller, cars };
}
