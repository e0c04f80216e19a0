import {
  evaluatePolicies,
  type PolicyDocumentJson,
  type PolicyRequest,
  type PolicyStatementJson,
} from '../../../lib/sim/aws-iot/policy-evaluator';
import { isAuthorized } from '../../../lib/sim/aws-iot/principals';

const ARN = 'arn:aws:iot:us-east-1:123456789012';
const allow = (
  Action: string | string[],
  Resource: string | string[],
  Condition?: PolicyStatementJson['Condition'],
): PolicyDocumentJson => ({
  Statement: [{ Effect: 'Allow', Action, Resource, Condition }],
});
const request = (action: string, resource: string, context: PolicyRequest['context'] = {}): PolicyRequest => ({
  action,
  resource: `${ARN}:${resource}`,
  context,
});

describe('AWS IoT policy semantics', () => {
  test('ForAllValues:StringEquals on iot:ConnectAttributes allows only the listed attributes, and none at all', () => {
    const documents = [
      allow('iot:Connect', `${ARN}:client/rps13`, { 'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] } }),
    ];
    const connect = (attributes: string[]) =>
      evaluatePolicies(documents, request('iot:Connect', 'client/rps13', { 'iot:ConnectAttributes': attributes }));
    expect(connect(['LastWill'])).toBe('allow');
    expect(connect([])).toBe('allow');
    expect(connect(['LastWill', 'PersistentConnect'])).toBe('implicit-deny');
    expect(connect(['PersistentConnect'])).toBe('implicit-deny');
  });

  test('a list-valued key is no policy variable and satisfies no single-valued operator', () => {
    const documents = [
      allow('iot:Publish', `${ARN}:topic/\${iot:ConnectAttributes}`, { StringEquals: { 'iot:ConnectAttributes': 'LastWill' } }),
    ];
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/LastWill', { 'iot:ConnectAttributes': ['LastWill'] }))).toBe(
      'implicit-deny',
    );
  });

  test('* matches any run of characters, slashes included, and ? exactly one', () => {
    const documents = [allow('iot:Publish', [`${ARN}:topic/cars/*/status`, `${ARN}:topic/cars/rps1?/events`])];
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/rps13/status'))).toBe('allow');
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/a/b/status'))).toBe('allow');
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/rps13/events'))).toBe('allow');
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/rps130/events'))).toBe('implicit-deny');
  });

  test('+ and # are literal in resources: a topicfilter grant of a/+/b allows that filter only', () => {
    const documents = [allow('iot:Subscribe', `${ARN}:topicfilter/cars/rps13/lamps/+/set`)];
    expect(evaluatePolicies(documents, request('iot:Subscribe', 'topicfilter/cars/rps13/lamps/+/set'))).toBe('allow');
    expect(evaluatePolicies(documents, request('iot:Subscribe', 'topicfilter/cars/rps13/lamps/headlights/set'))).toBe('implicit-deny');
  });

  test('topic/ and topicfilter/ are different resources', () => {
    const documents = [allow('iot:Subscribe', `${ARN}:topic/cars/rps13/status`)];
    expect(evaluatePolicies(documents, request('iot:Subscribe', 'topicfilter/cars/rps13/status'))).toBe('implicit-deny');
  });

  test('actions match case-insensitively with wildcards; resources are case-sensitive', () => {
    const documents = [allow('IoT:*', `${ARN}:topic/cars/rps13/status`)];
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/rps13/status'))).toBe('allow');
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/RPS13/status'))).toBe('implicit-deny');
  });

  test('an explicit deny wins over any allow', () => {
    const documents: PolicyDocumentJson[] = [
      allow('iot:*', `${ARN}:*`),
      { Statement: { Effect: 'Deny', Action: 'iot:RetainPublish', Resource: `${ARN}:topic/cars/*/telemetry` } },
    ];
    expect(evaluatePolicies(documents, request('iot:RetainPublish', 'topic/cars/rps13/telemetry'))).toBe('explicit-deny');
    expect(evaluatePolicies(documents, request('iot:Publish', 'topic/cars/rps13/telemetry'))).toBe('allow');
  });

  test('policy variables come from the connection, literally; an unresolved one matches nothing', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable.
    const documents = [
      allow('iot:Connect', `${ARN}:client/\${iot:Connection.Thing.ThingName}`, { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } }),
    ];
    const attached = { 'iot:Connection.Thing.ThingName': 'rps13', 'iot:Connection.Thing.IsAttached': 'true' };
    expect(evaluatePolicies(documents, request('iot:Connect', 'client/rps13', attached))).toBe('allow');
    expect(
      evaluatePolicies(documents, request('iot:Connect', 'client/rps13', { ...attached, 'iot:Connection.Thing.IsAttached': 'false' })),
    ).toBe('implicit-deny');
    expect(evaluatePolicies(documents, request('iot:Connect', 'client/rps13'))).toBe('implicit-deny');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable.
    const byClient = [allow('iot:Publish', `${ARN}:topic/\${iot:ClientId}/x`)];
    expect(evaluatePolicies(byClient, request('iot:Publish', 'topic/abc/x', { 'iot:ClientId': 'a*' }))).toBe('implicit-deny');
  });

  test('a condition operator the evaluator does not model is an error, not a guess', () => {
    const documents = [allow('iot:Connect', `${ARN}:client/x`, { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } })];
    expect(() => evaluatePolicies(documents, request('iot:Connect', 'client/x'))).toThrow(
      "Condition operator 'DateGreaterThan' is not modelled by the local twin",
    );
  });

  test('a retained publish needs iot:RetainPublish on top of iot:Publish', () => {
    const publishOnly = [allow('iot:Publish', `${ARN}:topic/cars/rps13/status`)];
    const both = [allow(['iot:Publish', 'iot:RetainPublish'], `${ARN}:topic/cars/rps13/status`)];
    const retained = { kind: 'publish', topic: 'cars/rps13/status', retain: true } as const;
    expect(isAuthorized(publishOnly, { ...retained, retain: false }, {})).toBe(true);
    expect(isAuthorized(publishOnly, retained, {})).toBe(false);
    expect(isAuthorized(both, retained, {})).toBe(true);
  });
});
