import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firmwareModules } from '../../firmware/generate';
import { loadConfig } from '../../lib/config';
import { buildLocalDeviceBundle } from '../../lib/device';
import { ensureLocalPki, type LocalPki } from '../../lib/pki/local-ca';

const config = loadConfig();
let dir: string;
let pki: LocalPki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plamo-local-pki-'));
  pki = await ensureLocalPki({ dir, carIds: ['rps13'] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the twin gets the bundle in memory: firmware, config.py for its broker port, the DER files', async () => {
  const bundle = await buildLocalDeviceBundle({ config, carId: 'rps13', pki, mqttPort: 41883 });
  expect([...bundle.keys()].sort()).toEqual(
    [...firmwareModules().keys(), 'config.py', 'certs/device.crt.der', 'certs/device.key.der', 'certs/root-ca.der'].sort(),
  );
  expect(bundle.get('config.py')?.content).toContain('MQTT_HOST = "127.0.0.1"\nMQTT_PORT = 41883');
  expect(bundle.get('certs/root-ca.der')?.content).toEqual(pki.ca.der);
  expect(new X509Certificate(bundle.get('certs/device.crt.der')?.content as Buffer).fingerprint256).toBe(
    new X509Certificate(pki.cars.rps13.cert.pem).fingerprint256,
  );
});

test('refuses a car the PKI has no certificate for', async () => {
  const config2 = { ...config, cars: { ...config.cars, other: config.cars.rps13 } };
  await expect(buildLocalDeviceBundle({ config: config2, carId: 'other', pki })).rejects.toThrow(
    `the local PKI in ${dir} has no certificate for car 'other'`,
  );
});
