import type { Template } from 'aws-cdk-lib/assertions';
import { LOCAL_AWS } from '../../lib/sim/aws-iot/principals';
import type { PolicyDocumentJson } from '../../lib/sim/aws-iot/policy-evaluator';

/**
 * The policy documents of a synthesized template, for an evaluator to judge: each thing's IoT policy (found
 * through the certificate both are attached to) and the `iot:` statements of the lamp API's role. Intrinsics
 * are resolved with the twin's fixed partition, region and account, so the ARNs compare with the twin's.
 */

type Json = unknown;
type Resources = Record<string, { Type: string; Properties: Record<string, Json> }>;

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': LOCAL_AWS.partition,
  'AWS::Region': LOCAL_AWS.region,
  'AWS::AccountId': LOCAL_AWS.account,
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolve(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  if ('Ref' in object && typeof object.Ref === 'string' && object.Ref in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[object.Ref];
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return parts.map((part) => String(resolve(part))).join(separator);
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner)]));
}

const same = (a: Json, b: Json) => JSON.stringify(a) === JSON.stringify(b);

/** Each thing's attached IoT policies, by thing name; every attachment refers to a policy of the same template. */
export function iotPoliciesByThing(template: Template): Map<string, PolicyDocumentJson[]> {
  const resources = template.toJSON().Resources as Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const byThing = new Map<string, PolicyDocumentJson[]>();
  for (const [, thingAttachment] of ofType('AWS::IoT::ThingPrincipalAttachment')) {
    const thingRef = thingAttachment.Properties.ThingName as { Ref: string };
    const thingName = resources[thingRef.Ref].Properties.ThingName as string;
    const policies = ofType('AWS::IoT::PolicyPrincipalAttachment')
      .filter(([, attachment]) => same(attachment.Properties.Principal, thingAttachment.Properties.Principal))
      .map(([, attachment]) => attachment.Properties.PolicyName as { Ref: string } | string);
    byThing.set(
      thingName,
      policies.map((name) => {
        // A plain name would attach whatever policy has it, and CloudFormation would not order the two.
        if (typeof name === 'string') throw new Error(`an attachment names policy ${name} instead of referring to it`);
        return resolve(resources[name.Ref].Properties.PolicyDocument) as PolicyDocumentJson;
      }),
    );
  }
  return byThing;
}

/** The `iot:` statements of every IAM policy attached to the role of the Lambda that has `environmentKey`. */
export function iotStatementsOfFunctionRole(template: Template, environmentKey: string): PolicyDocumentJson {
  const resources = template.toJSON().Resources as Resources;
  const fn = Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::Function' &&
      environmentKey in (((resource.Properties.Environment as { Variables?: object })?.Variables ?? {}) as object),
  );
  if (!fn) throw new Error(`no Lambda function with environment variable ${environmentKey}`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
    .filter((resource) => ((resource.Properties.Roles as Json[]) ?? []).some((role) => same(role, { Ref: roleId })))
    .flatMap((resource) => (resolve(resource.Properties.PolicyDocument) as { Statement: { Action: string | string[] }[] }).Statement)
    .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('iot:')));
  return { Statement: statements as unknown as PolicyDocumentJson['Statement'] };
}
