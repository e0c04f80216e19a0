import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { THING_NAME_VARIABLE } from '../../lib/cloud/device-update-policy';
import { UpdatePolicy, updatePolicyName } from '../../lib/cloud/update-policy';

/** One group's update policy on its own, with the certificate provider it brings along (not bundled here). */
function synthesize() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UpdatePolicyTest');
  const policy = new UpdatePolicy(stack, 'UpdatePolicy', { policyName: updatePolicyName(7) });
  return { policy, template: Template.fromStack(stack) };
}

const { policy, template } = synthesize();
type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
const resources = template.toJSON().Resources as Record<string, Resource>;
const [policyId] = Object.keys(template.findResources('AWS::IoT::Policy'));

test("a group's update policy is named after the group, with two digits like its nested stack", () => {
  expect(updatePolicyName(0)).toBe('plamo.updates.00');
  expect(updatePolicyName(15)).toBe('plamo.updates.15');
  template.resourceCountIs('AWS::IoT::Policy', 1);
  template.hasResourceProperties('AWS::IoT::Policy', { PolicyName: 'plamo.updates.07' });
});

test('its name and ARN are resolved through the policy, so what attaches it depends on the policy', () => {
  expect(Stack.of(policy).resolve(policy.policyName)).toEqual({ Ref: policyId });
  expect(Stack.of(policy).resolve(policy.policyArn)).toEqual({ 'Fn::GetAtt': [policyId, 'Arn'] });
});

test("the update policy lets a car use only its own thing's job and stream topics, and connect nowhere", () => {
  const statements = resources[policyId].Properties.PolicyDocument as { Statement: { Action: string; Resource: unknown[] }[] };
  expect(statements.Statement.map((statement) => statement.Action)).toEqual(['iot:Publish', 'iot:Subscribe', 'iot:Receive']);
  const names = statements.Statement.flatMap((statement) =>
    statement.Resource.map((resource) =>
      ((resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1].at(-1) as string).replace(/^:/, ''),
    ),
  );
  const thing = THING_NAME_VARIABLE;
  for (const name of names) expect(name).toMatch(/^(topic|topicfilter)\/\$aws\/things\/\$\{iot:Connection\.Thing\.ThingName\}\//);
  expect(names.filter((name) => name.includes('*'))).toEqual([`topic/$aws/things/${thing}/jobs/plamo-ota-*/update`]);
});

test('CloudFormation keeps the policy; a deletion step of its own deletes it by its name, through the provider', () => {
  expect(resources[policyId]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  const deletions = Object.entries(resources).filter(([, resource]) => resource.Type === 'Custom::IotDeletion');
  expect(deletions).toHaveLength(1);
  const [deletionId, deletion] = deletions[0];
  expect(deletion.Properties).toEqual({
    ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^DeviceCertificateProvider/), 'Arn'] },
    Kind: 'policy',
    Name: { Ref: policyId },
  });
  expect(Stack.of(policy).resolve(policy.deletion.ref)).toEqual({ Ref: deletionId });
});

test('the provider may list the targets of, and delete, exactly this policy and no other', () => {
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (resource) => (resource.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
  );
  const deleting = statements.filter((statement) => [statement.Action].flat().includes('iot:DeletePolicy'));
  expect(deleting).toEqual([
    {
      Effect: 'Allow',
      Action: ['iot:DeletePolicy', 'iot:DeletePolicyVersion', 'iot:ListPolicyVersions', 'iot:ListTargetsForPolicy'],
      Resource: { 'Fn::GetAtt': [policyId, 'Arn'] },
    },
  ]);
  // Without a car, the provider is granted no thing and no secret.
  expect(JSON.stringify(statements)).not.toMatch(/iot:DeleteThing|secretsmanager:/);
  template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('deletes device certificates') });
});
