import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { AMAZON_ROOT_CA_1_SHA256, amazonRootCa1Der } from '../../lib/pki/root-ca';
import { readCertificateDer } from '../support/der';
import { makeTestCredentials } from '../device/test-certificates';

test('Amazon Root CA 1 comes from the root store with its published SHA-256 fingerprint', () => {
  const der = amazonRootCa1Der();
  const cert = new X509Certificate(der);
  expect(cert.subject).toBe('C=US\nO=Amazon\nCN=Amazon Root CA 1');
  expect(cert.fingerprint256).toBe('8E:CD:E6:88:4F:3D:87:B1:12:5B:A3:1A:C3:FC:B1:3D:70:16:DE:7F:57:CC:90:4F:E1:CB:97:C6:AE:98:19:6E');
});

test('the root CA DER parses as a certificate with a parser of its own', () => {
  expect(readCertificateDer(amazonRootCa1Der()).subject).toBe('C=US, O=Amazon, CN=Amazon Root CA 1');
});

test('refuses a certificate that only claims to be Amazon Root CA 1', async () => {
  const impostor = await makeTestCredentials({ subject: 'C=US, O=Amazon, CN=Amazon Root CA 1' });
  const fingerprint = new X509Certificate(impostor.certificatePem).fingerprint256;
  expect(() => amazonRootCa1Der([impostor.certificatePem])).toThrow(
    `the Amazon Root CA 1 in this Node.js's root store has SHA-256 ${fingerprint}, not ${AMAZON_ROOT_CA_1_SHA256}; refusing to use it`,
  );
});

test('says so when the root store has no Amazon Root CA 1', () => {
  const others = rootCertificates.filter((pem) => !new X509Certificate(pem).subject.includes('Amazon Root CA 1'));
  expect(() => amazonRootCa1Der(others)).toThrow("Amazon Root CA 1 is not in this Node.js's root store");
});
