import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { loadConfig } from '../../lib/config';
import { createApp, STACK_NAME } from '../../lib/cloud/app';

const config = loadConfig('plamo.config.ts');

test('the app synthesizes one environment-agnostic stack with no AWS credentials', () => {
  const { app } = createApp(config);
  const assembly = app.synth();
  expect(assembly.stacks.map((artifact) => artifact.stackName)).toEqual([STACK_NAME]);
  expect(assembly.getStackByName(STACK_NAME).environment.account).toBe('unknown-account');
});

test('synth fails on a cdk-nag finding nobody acknowledged', () => {
  const { app, stack } = createApp(config);
  new Bucket(stack, 'CarelessBucket');
  expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
});

/** Runs the CDK app entry as `npx cdk synth` does, with the given config file. */
function synthEntry(configFile: string) {
  const outDir = mkdtempSync(join(tmpdir(), 'plamo-synth-'));
  try {
    return spawnSync('node_modules/.bin/tsx', ['bin/app.ts'], {
      encoding: 'utf8',
      env: { ...process.env, PLAMO_CONFIG: configFile, CDK_OUTDIR: outDir },
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

test('cdk synth of an invalid config lists its problems and exits 1, without a stack trace', () => {
  const result = synthEntry('test/fixtures/configs/invalid.config.ts');
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('✗ test/fixtures/configs/invalid.config.ts is invalid:\n');
  expect(result.stderr).toContain('  - cars.rps13.lamps.brake.pin: GP23 is used by the Wi-Fi chip on Pico W');
  expect(result.stderr).not.toMatch(/^\s+at /m);
});

test('cdk synth of a CSR-mode car without its CSR says how to make one and exits 1, without a stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plamo-config-'));
  try {
    const configFile = join(dir, 'plamo.config.ts');
    const car = {
      wifi: { ssid: 'garage' },
      certificate: { mode: 'csr' },
      lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } },
    };
    writeFileSync(configFile, `export default ${JSON.stringify({ cars: { 'no-csr-yet': car } })};\n`);
    const result = synthEntry(configFile);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^✗ car 'no-csr-yet' uses certificate mode "csr" but .* does not exist; run: npx plamo keys no-csr-yet$/m,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
