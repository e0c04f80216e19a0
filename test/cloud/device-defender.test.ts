import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createApp, STACK_NAME } from '../../lib/cloud/app';
import { IOT_LOG_GROUP } from '../../lib/cloud/iot-logging';
import { parseConfig } from '../../lib/config';
import { type CarTemplates, carTemplates } from '../support/car-templates';

/** What AWS IoT Device Defender's audit would look at in the synthesized template. */
const lamps = { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } };
const config = parseConfig({ cars: { rps13: { wifi: { ssid: 'garage' }, lamps }, s15: { wifi: { ssid: 'garage' }, lamps } } });

let template: Template;
let cars: CarTemplates;
let outDir: string;

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'plamo-defender-'));
  const { app, stack } = createApp(config, { outdir: outDir });
  const assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName(STACK_NAME).template);
  cars = carTemplates(assembly, stack);
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

type Resource = { Properties: Record<string, unknown> };

test('AWS IoT logging is on at WARN, with a role of its own', () => {
  const [logging] = Object.values(template.findResources('AWS::IoT::Logging')) as Resource[];
  expect(logging.Properties).toMatchObject({ AccountId: { Ref: 'AWS::AccountId' }, DefaultLogLevel: 'WARN' });
  const roleId = (logging.Properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const role = template.toJSON().Resources[roleId] as Resource;
  expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
    Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'iot.amazonaws.com' } }],
  });
  // Nothing but the logging setting and the role's own policy refers to it.
  const users = Object.entries(template.toJSON().Resources as Record<string, { Type: string }>)
    .filter(([id, resource]) => id !== roleId && JSON.stringify(resource).includes(`"${roleId}"`))
    .map(([, resource]) => resource.Type);
  expect(users.sort()).toEqual(['AWS::IAM::Policy', 'AWS::IoT::Logging']);
});

test("the logging role may write only to AWS IoT's own log group", () => {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  const policy = policies.find((p) => JSON.stringify(p.Properties.Roles).includes('IotLoggingRole'));
  expect(policy).toBeDefined();
  const statements = (policy!.Properties.PolicyDocument as { Statement: { Action: string[]; Resource: unknown[] }[] }).Statement;
  expect(statements).toHaveLength(1);
  expect(statements[0].Action).toEqual(['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  const resources = JSON.stringify(statements[0].Resource);
  expect(resources).toContain(`:log-group:${IOT_LOG_GROUP}"`);
  expect(resources).toContain(`:log-group:${IOT_LOG_GROUP}:*"`);
  expect(resources).not.toMatch(/log-group:\*/);
});

test('every certificate is attached to its thing exclusively', () => {
  const attachments = Object.values(cars.cars.findResources('AWS::IoT::ThingPrincipalAttachment')) as Resource[];
  expect(attachments).toHaveLength(2);
  for (const attachment of attachments) expect(attachment.Properties.ThingPrincipalType).toBe('EXCLUSIVE_THING');
});

test("the certificate provider may list, detach and delete only the cars' things and their principals", () => {
  // rps13 and s15 hash into the same car group, so one provider serves both.
  expect(cars.ofCar('rps13')).toBe(cars.ofCar('s15'));
  cars.ofCar('rps13').hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['iot:DeleteThing', 'iot:DetachThingPrincipal', 'iot:ListThingPrincipals'],
          Resource: [
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^Carrps13IdentityThing'), 'Arn'] },
            { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cars15IdentityThing'), 'Arn'] },
          ],
        }),
      ]),
    },
  });
});

test('a car may connect with a last will but never with a persistent session', () => {
  const policies = Object.values(cars.cars.findResources('AWS::IoT::Policy')) as Resource[];
  expect(policies).toHaveLength(2);
  for (const policy of policies) {
    const statements = (policy.Properties.PolicyDocument as { Statement: { Action: string; Condition?: object }[] }).Statement;
    const connect = statements.filter((statement) => statement.Action === 'iot:Connect');
    expect(connect).toHaveLength(1);
    expect(connect[0].Condition).toMatchObject({ 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } });
  }
});

test("every car's certificate gets the shared update policy, in the car's own nested stack, after the policy exists", () => {
  const attachments = Object.values(cars.cars.findResources('AWS::IoT::PolicyPrincipalAttachment')) as Resource[];
  const updates = attachments.filter((attachment) => attachment.Properties.PolicyName === 'plamo.updates');
  expect(updates).toHaveLength(2);
  const groups = Object.values(template.findResources('AWS::CloudFormation::Stack')) as { DependsOn?: string[] }[];
  const policyId = Object.keys(template.findResources('AWS::IoT::Policy', { Properties: { PolicyName: 'plamo.updates' } }))[0];
  expect(policyId).toBeDefined();
  for (const group of groups) expect(group.DependsOn).toContain(policyId);
});
