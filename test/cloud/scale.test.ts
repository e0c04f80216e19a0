import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/cloud/app';
import { loadConfig, type PlamoConfig, parseConfig } from '../../lib/config';

/** `count` copies of the example car. */
function exampleCars(count: number): PlamoConfig {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  return parseConfig({ ...example, cars: Object.fromEntries(Array.from({ length: count }, (_, i) => [`car${i}`, car])) });
}

test("with 60 cars the lamp API's policy overflows into a managed policy, and synth still passes cdk-nag", () => {
  const { app, stack } = createApp(exampleCars(60));
  expect(() => app.synth()).not.toThrow();
  const overflow = Object.keys(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).filter((id) => id.includes('Overflow'));
  expect(overflow.length).toBeGreaterThan(0);
});
