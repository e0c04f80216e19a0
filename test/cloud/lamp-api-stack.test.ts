import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/cloud/app';
import { testConfig } from '../api/fixtures';

describe('lamp API in the PlamoIot stack', () => {
  const { stack } = createApp(testConfig);
  const template = Template.fromStack(stack);

  test('the lamp Lambda publishes to the IoT data endpoint the stack discovers at deploy time', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { IOT_DATA_ENDPOINT: Stack.of(stack).resolve(stack.iotEndpoint) } },
    });
  });

  test('the stack outputs the API URL and the token table for plamo token', () => {
    expect(Object.keys(template.findOutputs('*'))).toEqual(expect.arrayContaining(['ApiUrl', 'TokenTableName']));
  });

  test('the whole app with two cars synthesizes with no unacknowledged cdk-nag finding', () => {
    // A fresh app: Template.fromStack above synthesized the other one already, and synth results are cached.
    const { app } = createApp(testConfig);
    expect(() => app.synth()).not.toThrow();
  });
});
