import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { KeyMaterialError } from './errors';

/** The device's certificate and private key, DER-encoded for MicroPython's `SSLContext.load_cert_chain`. */
export interface DeviceCredentialsDer {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  /** The key's type and DER structure, e.g. `RSA (PKCS#1)`, for a progress line. */
  readonly keyFormat: string;
  /** When the certificate stops being valid. */
  readonly notAfter: Date;
}

export interface CredentialsPem {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new KeyMaterialError('the device certificate is not a PEM X.509 certificate');
  }
}

function parsePrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    // Node's message can quote parts of the input; never echo key material.
    throw new KeyMaterialError('the device private key is not an unencrypted PEM private key');
  }
}

/**
 * The key in the "traditional" DER form of its type: PKCS#1 for RSA, SEC1 for EC.
 *
 * mbedTLS's `pk_parse_key` reads PKCS#1, SEC1 and PKCS#8 DER. The traditional forms are chosen because
 * MicroPython before 1.24 passed the key length plus one to mbedTLS, and mbedTLS 3 rejects a PKCS#8 buffer
 * with a trailing byte while its PKCS#1 and SEC1 parsers do not (micropython#14371, fixed by #14385): a
 * traditional key loads on every MicroPython with `SSLContext`, a PKCS#8 one only on ≥ 1.24.
 */
function traditionalDer(key: KeyObject): { der: Buffer; format: string } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { der: key.export({ format: 'der', type: 'pkcs1' }), format: 'RSA (PKCS#1)' };
    case 'ec':
      return { der: key.export({ format: 'der', type: 'sec1' }), format: 'EC (SEC1)' };
    default:
      throw new KeyMaterialError(
        `the device key is ${key.asymmetricKeyType ?? 'of an unknown type'}; the Pico W's mbedTLS and AWS IoT need an RSA or EC (P-256) key`,
      );
  }
}

function checkValidity(certificate: X509Certificate, now: Date, renewHint: string): Date {
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (now < notBefore) {
    throw new KeyMaterialError(`the device certificate is not valid before ${notBefore.toISOString()}; check this computer's clock`);
  }
  if (now >= notAfter) {
    throw new KeyMaterialError(`the device certificate expired on ${notAfter.toISOString()}; ${renewHint}`);
  }
  return notAfter;
}

/**
 * Converts a PEM certificate and key to DER with node:crypto alone, after checking that the certificate is
 * valid now and that the key belongs to it (a mismatched pair fails only later, in the Pico W's TLS handshake).
 */
export function credentialsToDer(
  pem: CredentialsPem,
  options: { now?: Date; renewHint: string; mismatchHint?: string },
): DeviceCredentialsDer {
  const certificate = parseCertificate(pem.certificatePem);
  const key = parsePrivateKey(pem.privateKeyPem);
  const notAfter = checkValidity(certificate, options.now ?? new Date(), options.renewHint);
  if (!certificate.checkPrivateKey(key)) {
    const hint = options.mismatchHint ? `; ${options.mismatchHint}` : '';
    throw new KeyMaterialError(
      `the private key does not belong to the device certificate (${certificate.subject.replace(/\n/g, ', ')})${hint}`,
    );
  }
  const { der, format } = traditionalDer(key);
  return { certificate: certificate.raw, privateKey: der, keyFormat: format, notAfter };
}
