import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DeviceTopicRules, deviceLogSql, TELEMETRY_METRICS, telemetryMetricsSql } from '../../lib/cloud/topic-rules';
import { telemetrySchema } from '../../lib/contract';

let template: Template;

beforeAll(() => {
  const stack = new Stack(new App(), 'PlamoIot');
  new DeviceTopicRules(stack, 'DeviceTopicRules', { topicRoot: 'cars' });
  template = Template.fromStack(stack);
});

const logGroupId = (suffix: string) => {
  const ids = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: `/plamo-iot/PlamoIot/${suffix}` } }));
  expect(ids).toHaveLength(1);
  return ids[0];
};

function ruleWithSql(sql: string) {
  const rules = Object.values(template.findResources('AWS::IoT::TopicRule')).filter((rule) => rule.Properties.TopicRulePayload.Sql === sql);
  expect(rules).toHaveLength(1);
  return rules[0].Properties.TopicRulePayload;
}

/**
 * What the telemetry rule writes for one message: the SQL object literal with the functions and payload fields
 * replaced by values, read as JSON.
 */
function telemetryLogEvent(sql: string): Record<string, unknown> {
  const literal = /^SELECT VALUE (\{.*\}) FROM '[^']+'$/.exec(sql)![1];
  const json = literal
    .replace('topic(2)', "'rps13'")
    .replace('timestamp()', '1764000000000')
    .replace(/: ([a-z_]+)(?=[,}])/g, ': 42')
    .replace(/'/g, '"');
  return JSON.parse(json);
}

describe('telemetry rule', () => {
  test('writes telemetry as CloudWatch embedded metric format into the telemetry log group', () => {
    const rule = ruleWithSql(telemetryMetricsSql('cars', 'PlamoIot'));
    expect(rule.Actions).toEqual([{ CloudwatchLogs: { LogGroupName: { Ref: logGroupId('telemetry') }, RoleArn: expect.anything() } }]);
  });

  test('selects from every car telemetry topic of the contract', () => {
    expect(telemetryMetricsSql('cars', 'PlamoIot')).toMatch(/ FROM 'cars\/\+\/telemetry'$/);
    expect(telemetryMetricsSql('garage', 'PlamoIot')).toMatch(/ FROM 'garage\/\+\/telemetry'$/);
  });

  test('each message becomes heap_free, rssi, reconnects and uptime_s metrics in the PlamoIot namespace with a car dimension', () => {
    const event = telemetryLogEvent(telemetryMetricsSql('cars', 'PlamoIot'));
    expect(event).toEqual({
      car: 'rps13',
      heap_free: 42,
      rssi: 42,
      reconnects: 42,
      uptime_s: 42,
      _aws: {
        Timestamp: 1764000000000,
        CloudWatchMetrics: [
          {
            Namespace: 'PlamoIot',
            Dimensions: [['car']],
            Metrics: [
              { Name: 'heap_free', Unit: 'Bytes' },
              { Name: 'rssi', Unit: 'None' },
              { Name: 'reconnects', Unit: 'Count' },
              { Name: 'uptime_s', Unit: 'Seconds' },
            ],
          },
        ],
      },
    });
  });

  test('every metric is a field of the contract telemetry payload', () => {
    for (const { name } of TELEMETRY_METRICS) expect(Object.keys(telemetrySchema.shape)).toContain(name);
  });
});

describe('status and events rules', () => {
  test('status messages go to the device log group with the car and kind added', () => {
    expect(deviceLogSql('cars', 'status')).toBe("SELECT *, topic(2) AS car, topic(3) AS kind FROM 'cars/+/status'");
    expect(ruleWithSql(deviceLogSql('cars', 'status')).Actions).toEqual([
      { CloudwatchLogs: { LogGroupName: { Ref: logGroupId('devices') }, RoleArn: expect.anything() } },
    ]);
  });

  test('events go to the device log group with the car and kind added', () => {
    expect(deviceLogSql('cars', 'events')).toBe("SELECT *, topic(2) AS car, topic(3) AS kind FROM 'cars/+/events'");
    expect(ruleWithSql(deviceLogSql('cars', 'events')).Actions).toEqual([
      { CloudwatchLogs: { LogGroupName: { Ref: logGroupId('devices') }, RoleArn: expect.anything() } },
    ]);
  });
});

describe('every rule', () => {
  test('uses SQL version 2016-03-23 and is enabled', () => {
    template.resourceCountIs('AWS::IoT::TopicRule', 3);
    template.allResourcesProperties('AWS::IoT::TopicRule', { TopicRulePayload: { AwsIotSqlVersion: '2016-03-23', RuleDisabled: false } });
  });

  test('has an error action into the rule-errors log group', () => {
    template.allResourcesProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: {
        ErrorAction: { CloudwatchLogs: { LogGroupName: { Ref: logGroupId('rule-errors') }, RoleArn: Match.anyValue() } },
      },
    });
  });

  test('has its own role that may write only its target log group and the error log group', () => {
    const resources = template.toJSON().Resources;
    for (const rule of Object.values(template.findResources('AWS::IoT::TopicRule'))) {
      const payload = rule.Properties.TopicRulePayload;
      const roleId = payload.Actions[0].CloudwatchLogs.RoleArn['Fn::GetAtt'][0];
      expect(payload.ErrorAction.CloudwatchLogs.RoleArn['Fn::GetAtt'][0]).toBe(roleId);
      const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
      expect(policies).toHaveLength(1);
      const statements = policies[0].Properties.PolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      expect(statements[0].Action).toEqual(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
      const target = payload.Actions[0].CloudwatchLogs.LogGroupName.Ref;
      expect(statements[0].Resource.map((arn: { 'Fn::GetAtt': [string, string] }) => arn['Fn::GetAtt'][0]).sort()).toEqual(
        [target, logGroupId('rule-errors')].sort(),
      );
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  test('role may be assumed only by AWS IoT on behalf of this account', () => {
    template.allResourcesProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'iot.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          },
        ],
      },
    });
  });
});

describe('log groups', () => {
  test('device logs are kept 30 days', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/plamo-iot/PlamoIot/devices', RetentionInDays: 30 });
  });

  test('raw telemetry events are kept 7 days (the metrics extracted from them stay in CloudWatch)', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/plamo-iot/PlamoIot/telemetry', RetentionInDays: 7 });
  });

  test('rule errors are kept 30 days', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/plamo-iot/PlamoIot/rule-errors', RetentionInDays: 30 });
  });

  test('are deleted with the stack', () => {
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });
});
