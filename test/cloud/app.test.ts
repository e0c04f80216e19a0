import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

test('cdk synth of an invalid config lists its problems and exits 1, without a stack trace', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'plamo-synth-'));
  try {
    const result = spawnSync('node_modules/.bin/tsx', ['bin/app.ts'], {
      encoding: 'utf8',
      env: { ...process.env, PLAMO_CONFIG: 'test/fixtures/configs/invalid.config.ts', CDK_OUTDIR: outDir },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('✗ test/fixtures/configs/invalid.config.ts is invalid:\n');
    expect(result.stderr).toContain('  - cars.rps13.lamps.brake.pin: GP23 is used by the Wi-Fi chip on Pico W');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});
