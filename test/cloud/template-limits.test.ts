import { App, CfnOutput, CfnResource, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { createApp } from '../../lib/cloud/app';
import { guardTemplateLimits } from '../../lib/cloud/template-limits';
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

test("the app's own stack is guarded: 80 copies of the example car fail synth", () => {
  const example = loadConfig('plamo.config.ts');
  const [car] = Object.values(example.cars);
  const config = parseConfig({ ...example, cars: Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`car${i}`, car])) });
  expect(() => createApp(config).app.synth()).toThrow(/80 cars need \d+ CloudFormation outputs .* one stack holds at most \d+ cars/);
});
