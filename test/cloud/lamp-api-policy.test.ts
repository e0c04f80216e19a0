import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, STACK_NAME } from '../../lib/cloud/app';
import { type IotArn, WIDEST_ARN } from '../../lib/cloud/device-policy';
import { iotStatementsSize, LAMP_API_IOT_POLICY_BUDGET, lampApiIotStatements } from '../../lib/cloud/lamp-api-policy';
import { loadConfig, type PlamoConfig, parseConfig } from '../../lib/config';
import { carTopics } from '../../lib/contract';
import { isAuthorized, localIotArn, twinPrincipals } from '../../lib/sim/aws-iot/principals';
import { CONTROLLER_COMMON_NAME } from '../../lib/pki/local-ca';

/** The lamp API's role lists every lamp's command topic while IAM's inline policy size allows, then one root pattern. */
const example = loadConfig('plamo.config.ts');
const [exampleCar] = Object.values(example.cars);
const carsOf = (count: number): PlamoConfig =>
  parseConfig({ ...example, cars: Object.fromEntries(Array.from({ length: count }, (_, i) => [`car${i}`, exampleCar])) });
const exact = (config: PlamoConfig) => lampApiIotStatements(config, WIDEST_ARN)[0].Resource.length > 1;

/** The most copies of the example car whose command topics are still listed one by one. */
const LAST_EXACT = (() => {
  let count = 1;
  while (exact(carsOf(count + 1))) count++;
  return count;
})();

const IAM_ROLE_INLINE_MAX = 10_240;

test('at the boundary every lamp of every car has its exact topic, within the budget', () => {
  const config = carsOf(LAST_EXACT);
  const statements = lampApiIotStatements(config, WIDEST_ARN);
  expect(iotStatementsSize(statements)).toBeLessThanOrEqual(LAMP_API_IOT_POLICY_BUDGET);
  const commands = Object.keys(config.cars).flatMap((car) =>
    Object.keys(exampleCar.lamps).map((lamp) => WIDEST_ARN('topic', carTopics(example.topicRoot, car).lampSet(lamp))),
  );
  expect(statements).toEqual([
    { Effect: 'Allow', Action: ['iot:Publish'], Resource: commands },
    { Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: commands },
  ]);
  // One car more would not fit: the boundary is where the budget says, not earlier.
  const arn: IotArn = WIDEST_ARN;
  const oneMore = Object.keys(carsOf(LAST_EXACT + 1).cars).flatMap((car) =>
    Object.keys(exampleCar.lamps).map((lamp) => arn('topic', carTopics(example.topicRoot, car).lampSet(lamp))),
  );
  const wouldBe = [
    { Effect: 'Allow', Action: ['iot:Publish'], Resource: oneMore },
    { Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: oneMore },
  ] as const;
  expect(iotStatementsSize(wouldBe as never)).toBeGreaterThan(LAMP_API_IOT_POLICY_BUDGET);
});

test('one car past the boundary, every command topic under the root is allowed with one pattern', () => {
  const statements = lampApiIotStatements(carsOf(LAST_EXACT + 1), WIDEST_ARN);
  const pattern = WIDEST_ARN('topic', `${example.topicRoot}/*/lamps/*/set`);
  expect(statements).toEqual([
    { Effect: 'Allow', Action: ['iot:Publish'], Resource: [pattern] },
    { Effect: 'Allow', Action: ['iot:RetainPublish'], Resource: [pattern] },
  ]);
});

test('past the boundary, without a car that restores, there is no RetainPublish', () => {
  const config = carsOf(LAST_EXACT + 1);
  const noRestore = parseConfig({
    ...config,
    cars: Object.fromEntries(Object.entries(config.cars).map(([id, car]) => [id, { ...car, powerOn: 'off' }])),
  });
  expect(lampApiIotStatements(noRestore, WIDEST_ARN).map((statement) => statement.Action)).toEqual([['iot:Publish']]);
});

test("the twin's evaluator: the root pattern allows every car's lamp commands and nothing a car reports", () => {
  const config = carsOf(LAST_EXACT + 1);
  const api = twinPrincipals(config).get(CONTROLLER_COMMON_NAME)!;
  const topics = carTopics(config.topicRoot, 'car3');
  const may = (topic: string, retain = false) => isAuthorized(api.documents, { kind: 'publish', topic, retain }, {}, localIotArn);
  expect(may(topics.lampSet('headlights'), true)).toBe(true);
  expect(may(carTopics(config.topicRoot, `car${LAST_EXACT}`).lampSet('brake'))).toBe(true);
  expect(may(topics.lampState('headlights'))).toBe(false);
  expect(may(topics.status)).toBe(false);
  expect(may(topics.telemetry)).toBe(false);
  expect(may(`other/car3/lamps/headlights/set`)).toBe(false);
});

test("at the boundary the synthesized role keeps all of it inline, under IAM's 10,240 characters, with no managed policy", () => {
  const outdir = mkdtempSync(join(tmpdir(), 'plamo-api-policy-'));
  try {
    const { app } = createApp(carsOf(LAST_EXACT), { outdir });
    const template = Template.fromJSON(app.synth().getStackByName(STACK_NAME).template);
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith('LampApiApiFunctionRole'));
    const attached = Object.values(
      template.toJSON().Resources as Record<string, { Type: string; Properties: { Roles?: unknown[]; PolicyDocument: unknown } }>,
    ).filter((resource) => JSON.stringify(resource.Properties?.Roles ?? []).includes(`"${roleId}"`));
    expect(attached.map((resource) => resource.Type)).toEqual(['AWS::IAM::Policy']);
    // Resolved with the longest partition, region and account, and 150 characters for each ARN only known
    // at deploy time (log group, car store), as IAM would count it: no whitespace.
    const widest = JSON.stringify(resolveWidest(attached[0].Properties.PolicyDocument));
    expect(widest.length).toBeLessThanOrEqual(IAM_ROLE_INLINE_MAX);
    expect(widest).toContain(`lamps/headlights/set`);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

const WIDEST_PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws-iso-b',
  'AWS::Region': 'ap-southeast-9',
  'AWS::AccountId': '123456789012',
};

function resolveWidest(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveWidest);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string' && object.Ref in WIDEST_PSEUDO) return WIDEST_PSEUDO[object.Ref];
  if ('Fn::GetAtt' in object) return 'x'.repeat(150);
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => String(resolveWidest(part))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolveWidest(inner)]));
}
