import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/cloud/app';
import { CAR_GROUP_COUNT, carGroupId, carGroupOf } from '../../lib/cloud/car-groups';
import { loadConfig, type PlamoConfig, parseConfig } from '../../lib/config';

/** `count` copies of the example car. */
function exampleCars(count: number): PlamoConfig {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  return parseConfig({ ...example, cars: Object.fromEntries(Array.from({ length: count }, (_, i) => [`car${i}`, car])) });
}

test('60 cars synthesize and pass cdk-nag, spread over nested stacks by car id, with no output per car', () => {
  const config = exampleCars(60);
  const { app, stack } = createApp(config);
  expect(() => app.synth()).not.toThrow();
  // Only the groups that have cars exist.
  expect(stack.carGroups.length).toBe(new Set(Object.keys(config.cars).map(carGroupOf)).size);
  expect(stack.carGroups.length).toBeGreaterThan(1);
  expect(stack.carGroups.flatMap((group) => group.cars.map((car) => car.carId)).sort()).toEqual(Object.keys(config.cars).sort());
  for (const group of stack.carGroups) for (const car of group.cars) expect(carGroupId(carGroupOf(car.carId))).toBe(group.node.id);
  // IotEndpoint, ApiUrl, TokenTableName, OtaBucketName, OtaStreamRoleArn: none per car.
  expect(Object.keys(Template.fromStack(stack).toJSON().Outputs)).toHaveLength(5);
});

test("past the exact topics' budget the lamp API's role stays inline: one root pattern, no managed policy", () => {
  const { stack } = createApp(exampleCars(60));
  const template = Template.fromStack(stack);
  expect(template.findResources('AWS::IAM::ManagedPolicy')).toEqual({});
  const policy = JSON.stringify(template.findResources('AWS::IAM::Policy'));
  expect(policy).toContain(':topic/cars/*/lamps/*/set');
  expect(policy).not.toContain(':topic/cars/car0/lamps/');
});

test("a car's group depends on its id alone: adding cars moves none of the others", () => {
  const before = exampleCars(40);
  const after = exampleCars(60);
  const groupsOf = (config: PlamoConfig) => Object.fromEntries(Object.keys(config.cars).map((id) => [id, carGroupOf(id)]));
  const moved = Object.entries(groupsOf(before)).filter(([id, group]) => groupsOf(after)[id] !== group);
  expect(moved).toEqual([]);
  expect(new Set(Object.values(groupsOf(after))).size).toBeGreaterThan(1);
  expect(Math.max(...Object.values(groupsOf(after)))).toBeLessThan(CAR_GROUP_COUNT);
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
  const template = Template.fromStack(stack.carGroups[0]);
  const policies = template.findResources('AWS::IoT::Policy');
  expect(Object.keys(policies).length).toBeGreaterThan(1);
  const attached = Object.values(template.findResources('AWS::IoT::PolicyPrincipalAttachment')).map((a) => a.Properties.PolicyName.Ref);
  expect(attached.sort()).toEqual(Object.keys(policies).sort());
  const principals = new Set(
    Object.values(template.findResources('AWS::IoT::PolicyPrincipalAttachment')).map((a) => JSON.stringify(a.Properties.Principal)),
  );
  expect(principals.size).toBe(1);
});

test('the groups of deployed cars never change: the hash is part of every deployment', () => {
  // Moving a car to another group replaces its thing and certificate, so these must stay as deployed stacks have them.
  expect(Object.fromEntries(['rps13', 'ae-86', 's15', 'ae86-trueno', 'car001'].map((id) => [id, carGroupOf(id)]))).toEqual({
    rps13: 13,
    'ae-86': 15,
    s15: 13,
    'ae86-trueno': 4,
    car001: 4,
  });
  expect(CAR_GROUP_COUNT).toBe(16);
});
