import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { KeyMaterialError } from './errors';

/**
 * AWS IoT Core's ATS endpoints chain to Amazon Root CA 1 (RSA 2048). Its SHA-256 fingerprint, as published
 * at https://www.amazontrust.com/repository/, pins the copy taken from Node's bundled root store.
 */
export const AMAZON_ROOT_CA_1_SHA256 = '8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E';
const AMAZON_ROOT_CA_1_SUBJECT = 'CN=Amazon Root CA 1';

/** Amazon Root CA 1 in DER, from `tls.rootCertificates` (no download), checked against its fingerprint. */
export function amazonRootCa1Der(roots: readonly string[] = rootCertificates): Buffer {
  const match = roots.map((pem) => new X509Certificate(pem)).find((cert) => cert.subject.split('\n').includes(AMAZON_ROOT_CA_1_SUBJECT));
  if (!match)
    throw new KeyMaterialError(`Amazon Root CA 1 is not in this Node.js's root store (node ${process.version}); use Node.js 20 or newer`);
  if (match.fingerprint256 !== AMAZON_ROOT_CA_1_SHA256) {
    throw new KeyMaterialError(
      `the Amazon Root CA 1 in this Node.js's root store has SHA-256 ${match.fingerprint256}, not ${AMAZON_ROOT_CA_1_SHA256}; refusing to use it`,
    );
  }
  return match.raw;
}
