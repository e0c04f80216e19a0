import 'reflect-metadata';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { runCli } from '../../lib/cli';
import { makeDeviceKeys } from '../../lib/cli/keys';
import { createApp } from '../../lib/cloud/app';
import { deviceKeyPaths, readDeviceCsr } from '../../lib/pki/device-keys';
import { parseConfig } from '../../lib/config';

const config = parseConfig({
  cars: {
    rps13: { wifi: { ssid: 'garage' }, certificate: { mode: 'csr' }, lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } } },
    ae86: { wifi: { ssid: 'garage' }, lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } } },
  },
});

let keysDir: string;
let firstRun: string[];

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'plamo-keys-'));
  firstRun = await makeDeviceKeys(config.cars, 'rps13', { keysDir, force: false });
});
afterAll(() => rmSync(keysDir, { recursive: true, force: true }));

describe('plamo keys', () => {
  test('writes the private key readable by its owner only', () => {
    expect(statSync(deviceKeyPaths('rps13', keysDir).privateKey).mode & 0o777).toBe(0o600);
  });

  test('writes a CSR for the car id that is signed by the key next to it', async () => {
    const paths = deviceKeyPaths('rps13', keysDir);
    const csr = new Pkcs10CertificateRequest(readFileSync(paths.csr, 'utf8'));
    expect(csr.subject).toBe('CN=rps13');
    expect(await csr.verify()).toBe(true);
    const keyPublic = createPublicKey(createPrivateKey(readFileSync(paths.privateKey))).export({ type: 'spki', format: 'der' });
    expect(Buffer.from(csr.publicKey.rawData).equals(keyPublic)).toBe(true);
  });

  test('says the next step is a deploy', () => {
    expect(firstRun.at(-1)).toBe('next: npx cdk deploy (AWS IoT signs the CSR; the key never leaves this computer)');
  });

  test('refuses to replace an existing key without --force', async () => {
    await expect(makeDeviceKeys(config.cars, 'rps13', { keysDir, force: false })).rejects.toThrow(
      /device\.key\.pem already exists and its certificate may be on the car; to rotate, run: npx plamo keys rps13 --force, then npx cdk deploy$/,
    );
  });

  test('replaces the key with --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plamo-keys-'));
    try {
      await makeDeviceKeys(config.cars, 'rps13', { keysDir: dir, force: false });
      const before = readFileSync(deviceKeyPaths('rps13', dir).privateKey, 'utf8');
      await makeDeviceKeys(config.cars, 'rps13', { keysDir: dir, force: true });
      expect(readFileSync(deviceKeyPaths('rps13', dir).privateKey, 'utf8')).not.toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('names the known cars when the car is unknown', async () => {
    await expect(makeDeviceKeys(config.cars, 's15', { keysDir, force: false })).rejects.toThrow(
      "unknown car 's15'; the config has: rps13, ae86",
    );
  });

  test('points out a car whose certificate mode is not "csr"', async () => {
    const lines = await makeDeviceKeys(config.cars, 'ae86', { keysDir, force: false });
    expect(lines.at(-1)).toBe(
      `note: ae86 has certificate mode "aws"; set certificate: { mode: 'csr' } in the config for the stack to use this CSR`,
    );
  });
});

describe('readDeviceCsr', () => {
  test('returns the CSR PEM and never the key', () => {
    const pem = readDeviceCsr('rps13', keysDir);
    expect(pem).toContain('-----BEGIN CERTIFICATE REQUEST-----');
    expect(pem).not.toContain('PRIVATE KEY');
  });

  test('tells how to make a missing CSR', () => {
    expect(() => readDeviceCsr('s15', keysDir)).toThrow(
      `car 's15' uses certificate mode "csr" but ${deviceKeyPaths('s15', keysDir).csr} does not exist; run: npx plamo keys s15`,
    );
  });

  test('rejects a file that is not a CSR', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plamo-keys-'));
    try {
      const paths = deviceKeyPaths('rps13', dir);
      mkdirSync(paths.dir, { recursive: true });
      writeFileSync(paths.csr, 'hello');
      expect(() => readDeviceCsr('rps13', dir)).toThrow(
        `${paths.csr} is not a PEM certificate signing request; make a new one with: npx plamo keys rps13 --force`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the stack in certificate mode "csr"', () => {
  test('refuses a car without a CSR and says how to make one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plamo-keys-'));
    try {
      expect(() => createApp(config, {}, { keysDir: dir })).toThrow(
        `car 'rps13' uses certificate mode "csr" but ${deviceKeyPaths('rps13', dir).csr} does not exist; run: npx plamo keys rps13`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('npx plamo keys is a registered command that exits 1 with the message for an unknown car', async () => {
  const errors: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
  try {
    expect(await runCli(['keys', 'nope', '--keys-dir', keysDir])).toBe(1);
  } finally {
    spy.mockRestore();
  }
  expect(errors).toEqual(["✗ unknown car 'nope'; the config has: rps13"]);
});
