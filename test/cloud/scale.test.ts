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

test('a car with many lamps gets several IoT policies, all attached to its certificate', () => {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  const pins = ['GP0', 'GP1', 'GP2', 'GP3', 'GP4', 'GP5', 'GP6', 'GP7', 'GP8', 'GP9', 'GP10', 'GP11', 'GP12', 'GP13', 'GP14', 'GP15'];
  const lamps = Object.fromEntries(
    pins.map((pin, i) => [`interiorLamp${i}`, { pin, kind: 'switch' as const, currentMa: 5, driver: 'transistor' as const }]),
  );
  const { stack } = createApp(
    parseConfig({ ...example, cars: { car0: { ...car, lamps, servos: {}, groups: {}, scenes: {}, effects: {} } } }),
  );
  const template = Template.fromStack(stack);
  const policies = template.findResources('AWS::IoT::Policy');
  expect(Object.keys(policies).length).toBeGreaterThan(1);
  const attached = Object.values(template.findResources('AWS::IoT::PolicyPrincipalAttachment')).map((a) => a.Properties.PolicyName.Ref);
  expect(attached.sort()).toEqual(Object.keys(policies).sort());
  const principals = new Set(
    Object.values(template.findResources('AWS::IoT::PolicyPrincipalAttachment')).map((a) => JSON.stringify(a.Properties.Principal)),
  );
  expect(principals.size).toBe(1);
});
