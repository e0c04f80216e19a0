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
