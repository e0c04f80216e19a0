import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../lib/cli';
import { DEFAULT_PKI_DIR } from '../../lib/pki/local-ca';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualCar } from '../../lib/sim/virtual-car';
import { twoCarConfig } from '../sim/support';

/** `npx plamo ota <car> --local` as a user runs it, against a twin started from the same project folder. */
jest.setTimeout(90_000);

const config = twoCarConfig();
let dir: string;
let twin: Twin;

function writeConfig(blinkPerMin: number): string {
  const file = join(dir, 'plamo.config.js');
  const cars = Object.fromEntries(
    Object.entries(config.cars).map(([id, car]) => [id, { ...car, blinkPerMin: id === 'carA' ? blinkPerMin : car.blinkPerMin }]),
  );
  writeFileSync(file, `module.exports = ${JSON.stringify({ ...config, cars })};\n`);
  return file;
}

async function plamo(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
  try {
    return { code: await runCli(args), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plamo-ota-cli-'));
  // The twin keeps its CA, token and bucket in the project's .plamo/local, where the CLI looks for them.
  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: join(dir, DEFAULT_PKI_DIR), startVirtualCar, liveUpdates: false });
});

afterAll(async () => {
  await twin?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('plamo ota --local updates the running virtual car and ends once it is online with the new firmware; --status lists the job', async () => {
  const file = writeConfig(100);
  const port = new URL(twin.url).port;
  const ports = ['--port', port, '--mqtt-port', String(twin.mqttPort)];
  const { code, out } = await plamo('-c', file, 'ota', 'carA', '--local', ...ports, '--timeout', '60');
  expect(code).toBe(0);
  expect(out).toContain("✓ the twin's policy for carA allows its lamps: headlights, turnLeft, turnRight");
  expect(out).toMatch(/✓ carA is online with firmware 0\.1\.0\+[0-9a-f]{8}$/);
  const status = await plamo('-c', file, 'ota', 'carA', '--local', ...ports, '--status');
  expect(status.code).toBe(0);
  expect(status.out).toMatch(
    /^carA: online, firmware 0\.1\.0\+[0-9a-f]{8}\n {2}plamo-ota-\S+ {2}SUCCEEDED {2}\(version: 0\.1\.0\+[0-9a-f]{8}\)$/,
  );
});

test('without a running twin it says how to start one', async () => {
  const file = writeConfig(90);
  const { code, out } = await plamo('-c', file, 'ota', 'carA', '--local', '--port', '1', '--mqtt-port', String(twin.mqttPort));
  expect(code).toBe(1);
  expect(out).toContain('the local twin does not answer on http://127.0.0.1:1: start it with `npm start`');
});

test('a bad --timeout is refused with the option and the range', async () => {
  const file = writeConfig(90);
  const { code, out } = await plamo('-c', file, 'ota', 'carA', '--local', '--timeout', '0');
  expect(code).not.toBe(0);
  expect(out).toContain("--timeout must be a number of seconds (1–86400), not '0'");
});

test('against AWS, a stack deployed before updates existed is named with the fix', async () => {
  const { mockClient } = await import('aws-sdk-client-mock');
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudFormation = mockClient(CloudFormationClient);
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'PlamoIot',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [{ OutputKey: 'IotEndpoint', OutputValue: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com' }],
      },
    ],
  });
  try {
    const { code, out } = await plamo('-c', writeConfig(90), 'ota', 'carA');
    expect(code).toBe(1);
    expect(out).toContain('stack PlamoIot has no update bucket yet (outputs OtaBucketName, OtaStreamRoleArn); run: npx cdk deploy');
  } finally {
    cloudFormation.restore();
  }
});
