import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { firmwareModules } from '../../firmware/generate';
import { runCli } from '../../lib/cli';
import { deviceKeyPaths } from '../../lib/pki/device-keys';
import { AMAZON_ROOT_CA_1_SHA256 } from '../../lib/pki/root-ca';
import { readCertificateDer, readRsaPrivateKeyDer } from '../support/der';
import { mockDeployedStack as mockStack } from './deployed-stack';
import { makeTestCredentials, type TestCredentials } from './test-certificates';

const cloudFormation = mockClient(CloudFormationClient);
const secretsManager = mockClient(SecretsManagerClient);
const iot = mockClient(IoTClient);

const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:plamo-rps13-AbCdEf';
const CERT_ID = 'c'.repeat(64);
const WIFI_PASSWORD = 'sup3r "secret" \\ wifi';

const CONFIG = `module.exports = {
  cars: {
    rps13: {
      name: 'Nissan 180SX',
      wifi: { ssid: 'garage-2g' },
      lamps: {
        headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 },
        turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 6 },
      },
    },
    s30: { wifi: { ssid: 'garage-2g' }, certificate: { mode: 'csr' }, lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 8 } } },
  },
};
`;

let credentials: TestCredentials;
let project: string;
let out: string;

beforeAll(async () => {
  credentials = await makeTestCredentials();
});

function mockDeployedStack(secret: TestCredentials = credentials): void {
  mockStack(
    { cloudFormation, secretsManager, iot },
    { endpoint: ENDPOINT, secretArn: SECRET_ARN, certificateId: CERT_ID, credentials: secret },
  );
}

beforeEach(() => {
  cloudFormation.reset();
  secretsManager.reset();
  iot.reset();
  mockDeployedStack();
  project = mkdtempSync(join(tmpdir(), 'plamo-project-'));
  writeFileSync(join(project, 'plamo.config.js'), CONFIG);
  out = join(project, 'pico');
  process.env.PLAMO_WIFI_PASSWORD = WIFI_PASSWORD;
});
afterEach(() => {
  delete process.env.PLAMO_WIFI_PASSWORD;
  rmSync(project, { recursive: true, force: true });
});

async function plamo(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void stdout.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => void stderr.push(line));
  try {
    const code = await runCli(['--config', join(project, 'plamo.config.js'), ...argv]);
    return { code, out: stdout.join('\n'), err: stderr.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const mode = (path: string) => statSync(path).mode & 0o777;

/** Nothing of a failed run is left: no bundle, no temporary folder next to it. */
function expectNothingWritten(): void {
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(project)).toEqual(['plamo.config.js']);
}

describe('plamo device', () => {
  test('writes every firmware module, config.py and the three DER files', async () => {
    const { code } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(0);
    const expected = [...firmwareModules().keys(), 'config.py', 'certs/device.crt.der', 'certs/device.key.der', 'certs/root-ca.der'];
    const written = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(out.length + 1));
    expect(written.sort()).toEqual(expected.sort());
  });

  test('config.py points the firmware at the endpoint and the certificate files', async () => {
    await plamo('device', 'rps13', '--out', out);
    const configPy = readFileSync(join(out, 'config.py'), 'utf8');
    expect(configPy).toContain(`MQTT_HOST = "${ENDPOINT}"`);
    expect(configPy).toContain('MQTT_PORT = 8883');
    expect(configPy).toContain('CERT_FILE = "certs/device.crt.der"');
    expect(configPy).toContain('KEY_FILE = "certs/device.key.der"');
    expect(configPy).toContain('CA_FILE = "certs/root-ca.der"');
    expect(configPy).toContain('WIFI_PASSWORD = "sup3r \\"secret\\" \\\\ wifi"');
  });

  test('the key and config.py (it holds the Wi-Fi password) are mode 0600', async () => {
    await plamo('device', 'rps13', '--out', out);
    expect(mode(join(out, 'certs', 'device.key.der'))).toBe(0o600);
    expect(mode(join(out, 'config.py'))).toBe(0o600);
    expect(mode(join(out, 'certs', 'device.crt.der'))).toBe(0o644);
  });

  test('the DER certificate and key parse with a parser of their own and belong together', async () => {
    await plamo('device', 'rps13', '--out', out);
    const certificate = readCertificateDer(readFileSync(join(out, 'certs', 'device.crt.der')));
    const keyDer = readFileSync(join(out, 'certs', 'device.key.der'));
    expect(certificate.rsaModulus?.length).toBe(256); // RSA 2048, as AWS IoT makes them
    expect(readRsaPrivateKeyDer(keyDer).modulus).toEqual(certificate.rsaModulus);
    const key = createPrivateKey({ key: keyDer, format: 'der', type: 'pkcs1' });
    expect(createPublicKey(key).export({ format: 'der', type: 'spki' })).toEqual(certificate.publicKeyDer);
  });

  test('the root CA is Amazon Root CA 1', async () => {
    await plamo('device', 'rps13', '--out', out);
    expect(new X509Certificate(readFileSync(join(out, 'certs', 'root-ca.der'))).fingerprint256).toBe(AMAZON_ROOT_CA_1_SHA256);
  });

  test('prints one progress line per step, then the wiring and the flashing steps', async () => {
    const { out: output } = await plamo('device', 'rps13', '--out', out);
    const steps = output.split('\n').filter((line) => line.startsWith('✓'));
    expect(steps.map((line) => line.split(/[ :]/)[1])).toEqual([
      'output',
      'Wi-Fi',
      'stack',
      'certificate',
      'certificate',
      'DER',
      'root',
      'firmware',
      'wrote',
    ]);
    expect(output).toMatch(/headlights\s+GP2\s+4\s+white \(assumed\), Vf ≈ 3\.0 V\s+33 Ω\s+9\.1 mA/);
    expect(output).not.toContain('mip install');
    expect(output).toContain('  mpremote cp -r . :\n');
    expect(output).toContain('  mpremote reset\n');
    expect(output).toContain('mpremote cat :last_error.txt.old');
  });

  test('never prints the Wi-Fi password', async () => {
    const { out: output, err } = await plamo('device', 'rps13', '--out', out);
    expect(output).toContain('✓ Wi-Fi password for "garage-2g" from PLAMO_WIFI_PASSWORD');
    expect(`${output}${err}`).not.toContain('sup3r');
  });

  test('never prints key material', async () => {
    const { out: output, err } = await plamo('device', 'rps13', '--out', out);
    const keyBase64 = credentials.privateKeyPem.split('\n')[1];
    expect(`${output}${err}`).not.toContain('PRIVATE KEY');
    expect(`${output}${err}`).not.toContain(keyBase64);
  });

  test('reads the Wi-Fi password from the project .env', async () => {
    delete process.env.PLAMO_WIFI_PASSWORD;
    writeFileSync(join(project, '.env'), 'PLAMO_WIFI_PASSWORD=from-the-dotenv-file\n');
    const { code, out: output } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(0);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).toContain('WIFI_PASSWORD = "from-the-dotenv-file"');
    expect(output).not.toContain('from-the-dotenv-file');
  });

  test('a second run replaces the previous bundle', async () => {
    await plamo('device', 'rps13', '--out', out);
    writeFileSync(join(out, 'stale.py'), 'old');
    const { code } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(0);
    expect(existsSync(join(out, 'stale.py'))).toBe(false);
    expect(readdirSync(project).sort()).toEqual(['pico', 'plamo.config.js']);
  });
});

describe('plamo device in certificate mode "csr"', () => {
  test("takes the key from the project's .plamo and the certificate from AWS IoT", async () => {
    const paths = deviceKeyPaths('s30', join(project, '.plamo'));
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.privateKey, credentials.privateKeyPem, { mode: 0o600 });
    const { code } = await plamo('device', 's30', '--out', out);
    expect(code).toBe(0);
    expect(secretsManager.calls()).toHaveLength(0);
    const certificate = new X509Certificate(readFileSync(join(out, 'certs', 'device.crt.der')));
    expect(certificate.fingerprint256).toBe(new X509Certificate(credentials.certificatePem).fingerprint256);
  });
});

describe('plamo device refuses, says why and writes nothing', () => {
  test('an unknown car, listing the known ones', async () => {
    const { code, err } = await plamo('device', 'ae86', '--out', out);
    expect(code).toBe(1);
    expect(err).toBe("✗ unknown car 'ae86'; the config has: rps13, s30");
    expectNothingWritten();
  });

  test('no Wi-Fi password, before any AWS call', async () => {
    delete process.env.PLAMO_WIFI_PASSWORD;
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toContain('✗ no Wi-Fi password: set PLAMO_WIFI_PASSWORD in the environment or put a line PLAMO_WIFI_PASSWORD=…');
    expect(cloudFormation.calls()).toHaveLength(0);
    expectNothingWritten();
  });

  test('a stack that is not deployed', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id PlamoIot does not exist'), { name: 'ValidationError' }));
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toBe('✗ stack PlamoIot is not deployed in this account and region; run: npx cdk deploy');
    expectNothingWritten();
  });

  test('no AWS credentials', async () => {
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Could not load credentials'), { name: 'CredentialsProviderError' }));
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toContain('✗ no AWS credentials found');
    expectNothingWritten();
  });

  test('an inactive certificate', async () => {
    iot
      .on(DescribeCertificateCommand)
      .resolves({ certificateDescription: { status: 'INACTIVE', certificatePem: credentials.certificatePem } });
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toContain(`✗ certificate ${CERT_ID} of car 'rps13' is INACTIVE, not ACTIVE`);
    expectNothingWritten();
  });

  test('an expired certificate', async () => {
    const expired = await makeTestCredentials({ notBefore: new Date('2024-01-01'), notAfter: new Date('2025-01-01') });
    mockDeployedStack(expired);
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toBe(
      '✗ the device certificate expired on 2025-01-01T00:00:00.000Z; rotate it: bump cars.rps13.certificate.generation in the config and run npx cdk deploy',
    );
    expectNothingWritten();
  });

  test('a malformed secret', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"certificateId":"x"}' });
    const { code, err } = await plamo('device', 'rps13', '--out', out);
    expect(code).toBe(1);
    expect(err).toBe(
      `✗ the certificate secret ${SECRET_ARN} is malformed (certificateArn, certificatePem, privateKey); run: npx cdk deploy to write it again`,
    );
    expectNothingWritten();
  });
});

describe('plamo device refuses an output folder git could commit', () => {
  beforeEach(() => {
    execFileSync('git', ['init', '-q'], { cwd: project });
    writeFileSync(join(project, '.gitignore'), 'dist/\n');
    mkdirSync(join(project, 'firmware'));
    writeFileSync(join(project, 'firmware', 'main.py'), 'import app\n');
    execFileSync('git', ['add', '.gitignore', 'firmware/main.py'], { cwd: project });
  });

  test('one holding tracked files', async () => {
    const folder = join(project, 'firmware');
    const { code, err } = await plamo('device', 'rps13', '--out', folder);
    expect(code).toBe(1);
    expect(err).toBe(`✗ ${folder} holds files tracked by git (firmware/main.py); write the bundle to dist/device/rps13 instead`);
  });

  test('one git does not ignore', async () => {
    const folder = join(project, 'pico-bundle');
    const { code, err } = await plamo('device', 'rps13', '--out', folder);
    expect(code).toBe(1);
    expect(err).toBe(
      `✗ ${folder} is not ignored by git, so the private key would be one 'git add' away from a commit; write the bundle to dist/device/rps13 or add the folder to .gitignore`,
    );
    expect(existsSync(folder)).toBe(false);
  });

  test('but writes into an ignored one', async () => {
    const { code } = await plamo('device', 'rps13', '--out', join(project, 'dist', 'device', 'rps13'));
    expect(code).toBe(0);
  });
});

describe('plamo device --local', () => {
  test("uses the twin's CA and broker with no AWS call", async () => {
    const { code } = await plamo('device', 'rps13', '--local', '--mqtt-port', '18883', '--out', out);
    expect(code).toBe(0);
    expect(cloudFormation.calls().length + secretsManager.calls().length + iot.calls().length).toBe(0);
    const configPy = readFileSync(join(out, 'config.py'), 'utf8');
    expect(configPy).toContain('MQTT_HOST = "127.0.0.1"');
    expect(configPy).toContain('MQTT_PORT = 18883');
    const ca = new X509Certificate(readFileSync(join(out, 'certs', 'root-ca.der')));
    const cert = new X509Certificate(readFileSync(join(out, 'certs', 'device.crt.der')));
    expect(cert.subject).toBe('CN=rps13');
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(ca.fingerprint256).toBe(new X509Certificate(readFileSync(join(project, '.plamo', 'local', 'ca.crt.pem'))).fingerprint256);
  });

  test('needs no Wi-Fi password', async () => {
    delete process.env.PLAMO_WIFI_PASSWORD;
    const { code } = await plamo('device', 'rps13', '--local', '--out', out);
    expect(code).toBe(0);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).toContain('WIFI_PASSWORD = None');
  });
});

describe('plamo certs', () => {
  test('writes just the three DER files, the key 0600', async () => {
    const { code, out: output } = await plamo('certs', 'rps13', '--out', out);
    expect(code).toBe(0);
    expect(readdirSync(join(out))).toEqual(['certs']);
    expect(readdirSync(join(out, 'certs')).sort()).toEqual(['device.crt.der', 'device.key.der', 'root-ca.der']);
    expect(mode(join(out, 'certs', 'device.key.der'))).toBe(0o600);
    expect(output).toContain('  mpremote cp -r . :');
  });

  test('needs no Wi-Fi password', async () => {
    delete process.env.PLAMO_WIFI_PASSWORD;
    expect((await plamo('certs', 'rps13', '--out', out)).code).toBe(0);
  });

  test('into a device folder it replaces the certificates and keeps the firmware', async () => {
    expect((await plamo('device', 'rps13', '--out', out)).code).toBe(0);
    const oldKey = readFileSync(join(out, 'certs', 'device.key.der'));
    mockDeployedStack(await makeTestCredentials());
    expect((await plamo('certs', 'rps13', '--out', out)).code).toBe(0);
    expect(readFileSync(join(out, 'certs', 'device.key.der'))).not.toEqual(oldKey);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).toContain(`MQTT_HOST = "${ENDPOINT}"`);
    expect(mode(join(out, 'config.py'))).toBe(0o600);
  });
});
