import { App, CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { createApp } from '../../lib/cloud/app';
import { carGroupOf } from '../../lib/cloud/car-groups';
import { guardTemplateLimits, templateLimitProblems } from '../../lib/cloud/template-limits';
import { loadConfig, parseConfig } from '../../lib/config';

/** A stack with `shared` resources of its own and `cars` constructs of `perCar` resources and outputs each. */
function stackWithCars(cars: number, perCar: { resources: number; outputs: number }, shared = 10): App {
  const app = new App();
  const stack = new Stack(app, 'Cars');
  for (let i = 0; i < shared; i++) new CfnResource(stack, `Shared${i}`, { type: 'AWS::SNS::Topic' });
  const carScopes = Array.from({ length: cars }, (_, car) => {
    const scope = new Construct(stack, `Car${car}`);
    for (let i = 0; i < perCar.resources; i++) new CfnResource(scope, `Resource${i}`, { type: 'AWS::SNS::Topic' });
    for (let i = 0; i < perCar.outputs; i++) new CfnOutput(scope, `Output${i}`, { value: 'x' });
    return scope;
  });
  guardTemplateLimits(stack, carScopes);
  return app;
}

test('synth fails over 500 resources, naming what a car costs and how many cars fit', () => {
  expect(() => stackWithCars(100, { resources: 5, outputs: 0 }).synth()).toThrow(
    "100 cars need 510 CloudFormation resources (5 per car + 10 shared), over CloudFormation's limit of 500 resources per stack: " +
      'one stack holds at most 98 cars.',
  );
});

test('synth fails over 200 outputs, which CloudFormation would otherwise refuse only at deploy time', () => {
  expect(() => stackWithCars(67, { resources: 1, outputs: 3 }).synth()).toThrow(
    "67 cars need 201 CloudFormation outputs (3 per car + 0 shared), over CloudFormation's limit of 200 outputs per stack: " +
      'one stack holds at most 66 cars.',
  );
});

test('a stack with exactly 500 resources synthesizes', () => {
  expect(() => stackWithCars(98, { resources: 5, outputs: 2 }, 10).synth()).not.toThrow();
});

test("a car group over CloudFormation's 500 resources fails synth, naming the group, its cars and the fix", () => {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  // 70 ids that all hash into group 0: more than one nested stack holds (8 resources per car).
  const ids: string[] = [];
  for (let i = 0; ids.length < 70; i++) if (carGroupOf(`car${i}`) === 0) ids.push(`car${i}`);
  const config = parseConfig({ ...example, cars: Object.fromEntries(ids.map((id) => [id, car])) });
  expect(() => createApp(config).app.synth()).toThrow(
    new RegExp(
      `nested stack CarGroup00: 70 cars need \\d+ CloudFormation resources \\(9 per car \\+ \\d+ shared\\), over CloudFormation's limit of 500 resources per stack: one stack holds at most \\d+ cars\\. ` +
        `A car's nested stack is one of 16, chosen by a hash of its id, and these 70 share CarGroup00: ${ids.slice(0, 12).join(', ')} and 58 more\\. ` +
        'Remove some of them from `cars` in the config, or give one of them another id\\.',
    ),
  );
});

test('the cars of a config spread over the groups are not limited by one stack: 500 cars pass the guard', () => {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  const config = parseConfig({ ...example, cars: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`car${i}`, car])) });
  const { stack } = createApp(config, { context: { 'aws:cdk:bundling-stacks': [] } });
  const problems = stack.carGroups.flatMap((group) => templateLimitProblems(group, group.cars));
  expect(problems).toEqual([]);
  expect(stack.carGroups).toHaveLength(16);
});
