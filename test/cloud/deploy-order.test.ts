import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { createApp, STACK_NAME } from '../../lib/cloud/app';
import { DELETION_POLL } from '../../lib/cloud/certificate-provider';
import { carGroupOf } from '../../lib/cloud/car-groups';
import { updatePolicyName } from '../../lib/cloud/update-policy';
import { createDeviceKeyPair, deviceKeyPaths, writeDeviceKeyPair } from '../../lib/pki/device-keys';
import { parseConfig } from '../../lib/config';
import { carTemplates } from '../support/car-templates';

/** The order CloudFormation creates (and, reversed, deletes) things in, where AWS is eventually consistent. */
const lamps = { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } };
const config = parseConfig({
  cars: {
    rps13: { wifi: { ssid: 'garage' }, lamps },
    s15: { wifi: { ssid: 'garage' }, certificate: { mode: 'csr' }, lamps },
  },
});

/** The parent stack: topic rules, the lamp API and the update bucket. */
let template: Template;
/** The car group holding both cars (rps13 and s15 hash into the same one): things, certificates, update policy, provider. */
let cars: Template;
let outDir: string;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'plamo-order-'));
  const keysDir = join(outDir, 'keys');
  writeDeviceKeyPair(deviceKeyPaths('s15', keysDir), await createDeviceKeyPair('s15'));
  const { app, stack } = createApp(config, { outdir: join(outDir, 'cdk.out') }, { keysDir });
  const assembly = app.synth();
  template = Template.fromJSON(assembly.getStackByName(STACK_NAME).template);
  const groups = carTemplates(assembly, stack);
  cars = groups.ofCar('rps13');
  expect(groups.ofCar('s15')).toBe(cars);
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

/** Logical ids of the roles a resource refers to with Fn::GetAtt [role, Arn]. */
function rolesUsedBy(resource: Resource, resources: Record<string, Resource>): string[] {
  const ids = [...JSON.stringify(resource.Properties).matchAll(/"Fn::GetAtt":\["([^"]+)","Arn"\]/g)].map((match) => match[1]);
  return [...new Set(ids)].filter((id) => resources[id]?.Type === 'AWS::IAM::Role');
}

test("every topic rule is created after each of its roles' policies", () => {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const rules = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::IoT::TopicRule');
  expect(rules.length).toBeGreaterThanOrEqual(3);
  for (const [ruleId, rule] of rules) {
    const roles = rolesUsedBy(rule, resources);
    expect(roles.length).toBeGreaterThan(0);
    for (const roleId of roles) {
      const policies = Object.entries(resources)
        .filter(([, resource]) => resource.Type === 'AWS::IAM::Policy' && JSON.stringify(resource.Properties.Roles).includes(`"${roleId}"`))
        .map(([id]) => id);
      expect(policies.length).toBeGreaterThan(0);
      for (const policy of policies)
        expect({ ruleId, dependsOn: rule.DependsOn ?? [] }).toEqual({ ruleId, dependsOn: expect.arrayContaining([policy]) });
    }
  }
});

/** The logical id a `{ Ref }` or `{ Fn::GetAtt: [id, …] }` names. */
function referenced(value: unknown): string | undefined {
  const ref = (value ?? {}) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return ref.Ref ?? ref['Fn::GetAtt']?.[0];
}

/** The `Custom::IotDeletion` that deletes the resource with `logicalId`. */
function deletionOf(resources: Record<string, Resource>, logicalId: string): string {
  const ids = Object.entries(resources)
    .filter(([, r]) => r.Type === 'Custom::IotDeletion' && referenced(r.Properties.Name) === logicalId)
    .map(([id]) => id);
  expect({ logicalId, deletions: ids.length }).toEqual({ logicalId, deletions: 1 });
  return ids[0];
}

const RETAINED = ['AWS::IoT::Thing', 'AWS::IoT::Policy', 'AWS::IoT::Certificate'];

test('CloudFormation keeps every thing, policy and CSR certificate; a deletion step of its own deletes each', () => {
  const resources = cars.toJSON().Resources as Record<string, Resource>;
  const retained = Object.entries(resources).filter(([, r]) => RETAINED.includes(r.Type));
  // Two things, two car policies and the group's update policy, the s15 certificate (rps13's is the
  // provider's own Custom::DeviceCertificate).
  expect(retained.map(([, r]) => r.Type).sort()).toEqual([
    'AWS::IoT::Certificate',
    'AWS::IoT::Policy',
    'AWS::IoT::Policy',
    'AWS::IoT::Policy',
    'AWS::IoT::Thing',
    'AWS::IoT::Thing',
  ]);
  for (const [id, resource] of retained) {
    expect({ id, deletion: resource.DeletionPolicy, replace: resource.UpdateReplacePolicy }).toEqual({
      id,
      deletion: 'Retain',
      replace: 'Retain',
    });
    const kind = deletionOf(resources, id);
    expect(resources[kind].Properties.Kind).toBe(resource.Type.split('::')[2].toLowerCase());
  }
});

test('every attachment is deleted before the deletion steps of what it binds, so they run once it is detached', () => {
  const resources = cars.toJSON().Resources as Record<string, Resource>;
  const attachments = Object.entries(resources).filter(([, r]) =>
    ['AWS::IoT::ThingPrincipalAttachment', 'AWS::IoT::PolicyPrincipalAttachment'].includes(r.Type),
  );
  // Per car: its thing's, its own policy's and the update policy's.
  expect(attachments).toHaveLength(6);
  for (const [id, attachment] of attachments) {
    const bound = [attachment.Properties.ThingName, attachment.Properties.PolicyName, attachment.Properties.Principal]
      .map(referenced)
      .filter((ref): ref is string => ref !== undefined && RETAINED.includes(resources[ref].Type));
    expect(bound.length).toBeGreaterThan(0);
    // A resource a deletion depends on is deleted after it: the attachment goes first.
    for (const target of bound)
      expect({ id, dependsOn: attachment.DependsOn ?? [] }).toEqual({
        id,
        dependsOn: expect.arrayContaining([deletionOf(resources, target)]),
      });
  }
});

test("each car's certificate gets its group's update policy by reference, detached before the policy's and a CSR certificate's deletion steps", () => {
  const resources = cars.toJSON().Resources as Record<string, Resource>;
  const policies = Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::IoT::Policy' && r.Properties.PolicyName === updatePolicyName(carGroupOf('rps13')),
  );
  expect(policies).toHaveLength(1);
  const [policyId] = policies[0];
  const policyDeletion = deletionOf(resources, policyId);
  const updates = Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::IoT::PolicyPrincipalAttachment' && referenced(r.Properties.PolicyName) === policyId,
  );
  expect(updates).toHaveLength(2);
  const principals = updates.map(([, attachment]) => referenced(attachment.Properties.Principal)!);
  // One per car: the aws car's Custom::DeviceCertificate and the csr car's retained certificate.
  expect(principals.map((ref) => resources[ref].Type).sort()).toEqual(['AWS::IoT::Certificate', 'Custom::DeviceCertificate']);
  for (const [id, attachment] of updates) {
    const principal = referenced(attachment.Properties.Principal)!;
    const steps = RETAINED.includes(resources[principal].Type) ? [policyDeletion, deletionOf(resources, principal)] : [policyDeletion];
    expect({ id, dependsOn: attachment.DependsOn ?? [] }).toEqual({ id, dependsOn: expect.arrayContaining(steps) });
  }
});

test('the parent has no IoT policy, and no car group waits for anything of the parent', () => {
  template.resourceCountIs('AWS::IoT::Policy', 0);
  const groups = Object.values(template.findResources('AWS::CloudFormation::Stack')) as Resource[];
  expect(groups.length).toBeGreaterThan(0);
  for (const group of groups) expect(group.DependsOn ?? []).toEqual([]);
});

test('the aws-mode certificate is deleted by its own resource, after its attachments (they refer to it)', () => {
  const resources = cars.toJSON().Resources as Record<string, Resource>;
  const [certificate] = Object.keys(cars.findResources('Custom::DeviceCertificate'));
  const users = Object.values(resources)
    .filter((r) => JSON.stringify(r.Properties).includes(`"${certificate}"`))
    .map((r) => r.Type);
  // Its policy's, its thing's and the shared update policy's.
  expect(users.sort()).toEqual([
    'AWS::IoT::PolicyPrincipalAttachment',
    'AWS::IoT::PolicyPrincipalAttachment',
    'AWS::IoT::ThingPrincipalAttachment',
  ]);
});

test('the provider polls deletions with isComplete through a waiter, bounded by its total timeout', () => {
  const [waiter] = Object.values(cars.findResources('AWS::StepFunctions::StateMachine')) as Resource[];
  const definition = JSON.stringify(waiter.Properties.DefinitionString);
  const interval = DELETION_POLL.queryInterval.toSeconds();
  expect(definition).toContain(`\\"IntervalSeconds\\":${interval}`);
  expect(definition).toContain(`\\"MaxAttempts\\":${DELETION_POLL.totalTimeout.toSeconds() / interval}`);
  expect(definition).toContain('\\"BackoffRate\\":1');
});
