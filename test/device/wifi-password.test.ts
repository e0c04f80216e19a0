import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWifiPassword } from '../../lib/device/wifi-password';

let projectDir: string;
beforeEach(() => {
  projectDir = mkdtempSync(join(tmpdir(), 'plamo-wifi-'));
});
afterEach(() => rmSync(projectDir, { recursive: true, force: true }));

test('PLAMO_WIFI_PASSWORD wins over .env', () => {
  writeFileSync(join(projectDir, '.env'), 'PLAMO_WIFI_PASSWORD=from-dotenv\n');
  expect(readWifiPassword({ env: { PLAMO_WIFI_PASSWORD: 'from-environment' }, projectDir })).toEqual({
    password: 'from-environment',
    source: 'PLAMO_WIFI_PASSWORD',
  });
});

test('reads a quoted password with spaces, quotes and # from .env', () => {
  writeFileSync(join(projectDir, '.env'), `# Wi-Fi\nOTHER=1\nPLAMO_WIFI_PASSWORD="it's #1 \\\\ secret"\n`);
  expect(readWifiPassword({ env: {}, projectDir }).password).toBe("it's #1 \\\\ secret");
});

test('says where to put the password when there is none', () => {
  expect(() => readWifiPassword({ env: {}, projectDir })).toThrow(
    `no Wi-Fi password: set PLAMO_WIFI_PASSWORD in the environment or put a line PLAMO_WIFI_PASSWORD=… in ${join(projectDir, '.env')} (gitignored)`,
  );
});

test('refuses a password WPA2 cannot use without printing it', () => {
  expect(() => readWifiPassword({ env: { PLAMO_WIFI_PASSWORD: 'short' }, projectDir })).toThrow(
    'the Wi-Fi password from PLAMO_WIFI_PASSWORD is 5 characters long; WPA2 needs 8–63 printable ASCII characters (or 64 hex digits)',
  );
});

test('accepts a 64-digit hex pre-shared key', () => {
  const psk = 'ab'.repeat(32);
  expect(readWifiPassword({ env: { PLAMO_WIFI_PASSWORD: psk }, projectDir }).password).toBe(psk);
});
