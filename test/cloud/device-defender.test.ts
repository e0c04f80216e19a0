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
  // Each car's own, and the group's update policy, which grants no connection at all.
  expect(policies.map((policy) => policy.Properties.PolicyName).sort()).toEqual(['plamo-rps13', 'plamo-s15', 'plamo.updates.13']);
  for (const policy of policies) {
    const statements = (policy.Properties.PolicyDocument as { Statement: { Action: string; Condition?: object }[] }).Statement;
    const connect = statements.filter((statement) => statement.Action === 'iot:Connect');
    if (policy.Properties.PolicyName === 'plamo.updates.13') {
      expect(connect).toEqual([]);
      continue;
    }
    expect(connect).toHaveLength(1);
    expect(connect[0].Condition).toMatchObject({ 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } });
  }
});

test("every car's certificate gets its group's update policy, from the group's own nested stack", () => {
  // The parent has none; it would be deleted before AWS IoT let go of the groups' attachments.
  template.resourceCountIs('AWS::IoT::Policy', 0);
  const group = cars.ofCar('rps13');
  const [policyId, ...others] = Object.keys(group.findResources('AWS::IoT::Policy', { Properties: { PolicyName: 'plamo.updates.13' } }));
  expect({ policyId, others }).toEqual({ policyId: expect.any(String), others: [] });
  const attachments = Object.values(group.findResources('AWS::IoT::PolicyPrincipalAttachment')) as Resource[];
  const updates = attachments.filter(
    (attachment) => JSON.stringify(attachment.Properties.PolicyName) === JSON.stringify({ Ref: policyId }),
  );
  expect(updates).toHaveLength(2);
  const certificates = Object.values(group.findResources('AWS::IoT::ThingPrincipalAttachment')) as Resource[];
  expect(updates.map((update) => JSON.stringify(update.Properties.Principal)).sort()).toEqual(
    certificates.map((attachment) => JSON.stringify(attachment.Properties.Principal)).sort(),
  );
});
