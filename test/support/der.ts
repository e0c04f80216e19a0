import 'reflect-metadata';
import { ECPrivateKey, id_secp256r1 } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { RSAPrivateKey, RSAPublicKey } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';

/*
 * DER read back by @peculiar's ASN.1 schemas: a parser of its own, not the OpenSSL inside node:crypto that
 * wrote the files. Each reader also re-encodes what it parsed and demands the very same bytes, so the input is
 * exactly one well-formed structure of that type in canonical DER (what mbedTLS on the Pico W expects).
 */

type Schema<T> = new () => T;

function parseExactly<T>(der: Uint8Array, schema: Schema<T>, what: string): T {
  const parsed = AsnConvert.parse(der, schema);
  if (!Buffer.from(AsnConvert.serialize(parsed)).equals(Buffer.from(der))) throw new Error(`${what}: not canonical DER of that structure`);
  return parsed;
}

/** An unsigned big-endian integer without leading zero bytes, as DER INTEGER contents and JWK carry it. */
function unsigned(bytes: ArrayBuffer): Buffer {
  const buffer = Buffer.from(bytes);
  let start = 0;
  while (start < buffer.length - 1 && buffer[start] === 0) start++;
  return buffer.subarray(start);
}

export interface CertificateDer {
  readonly subject: string;
  /** The RSA modulus of the certificate's public key, or undefined for another key type. */
  readonly rsaModulus?: Buffer;
  /** The subject public key as a SubjectPublicKeyInfo DER. */
  readonly publicKeyDer: Buffer;
}

export function readCertificateDer(der: Uint8Array): CertificateDer {
  const certificate = parseExactly(der, Certificate, 'certificate');
  const spki = certificate.tbsCertificate.subjectPublicKeyInfo;
  const isRsa = spki.algorithm.algorithm === '1.2.840.113549.1.1.1';
  return {
    subject: new X509Certificate(Buffer.from(der)).subject,
    rsaModulus: isRsa ? unsigned(AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey).modulus) : undefined,
    publicKeyDer: Buffer.from(AsnConvert.serialize(spki)),
  };
}

/** A PKCS#1 RSAPrivateKey; the modulus, without leading zeros. */
export function readRsaPrivateKeyDer(der: Uint8Array): { readonly modulus: Buffer } {
  return { modulus: unsigned(parseExactly(der, RSAPrivateKey, 'PKCS#1 RSA key').modulus) };
}

/**
 * A SEC1 ECPrivateKey on P-256; the private scalar. Standing alone it must name its curve; inside PKCS#8
 * (`{ curveOutside: true }`) the curve is the outer algorithm's parameter.
 */
export function readEcPrivateKeyDer(der: Uint8Array, options: { curveOutside?: boolean } = {}): { readonly d: Buffer } {
  const key = parseExactly(der, ECPrivateKey, 'SEC1 EC key');
  if (!options.curveOutside && key.parameters?.namedCurve !== id_secp256r1)
    throw new Error(`SEC1 EC key: curve ${key.parameters?.namedCurve}, not P-256`);
  return { d: Buffer.from(key.privateKey.buffer) };
}

/** A PKCS#8 PrivateKeyInfo; the algorithm's OID and the inner key's DER. */
export function readPkcs8Der(der: Uint8Array): { readonly algorithm: string; readonly keyDer: Buffer } {
  const info = parseExactly(der, PrivateKeyInfo, 'PKCS#8 key');
  return { algorithm: info.privateKeyAlgorithm.algorithm, keyDer: Buffer.from(info.privateKey.buffer) };
}
