import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { EVENT_TTL_S } from '../../lib/api/car-store';
import { CarStoreTable, carStoreRuleSql } from '../../lib/cloud/car-store';

function synthesize() {
  const app = new App();
  const stack = new Stack(app, 'CarStoreTest');
  const errorLogs = new LogGroup(stack, 'RuleErrors', { retention: RetentionDays.ONE_MONTH });
  new CarStoreTable(stack, 'CarStore', { topicRoot: 'garage', errorLogs });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, template: Template.fromStack(stack) };
}

const { app, template } = synthesize();

describe('car store', () => {
  test('one item per car and sort key; events expire through the TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'car', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  test("the rules store every lamp's command (not its effects) and state, the status, the telemetry and the events", () => {
    const sql = carStoreRuleSql('garage');
    expect(sql.Lamps).toBe(
      "SELECT topic(2) AS car, concat('lamp#', topic(4), '#', topic(5)) AS sk, timestamp() AS at, encode(*, 'base64') AS payload FROM 'garage/+/lamps/+/+' WHERE (topic(5) = 'set' AND isUndefined(effect)) OR topic(5) = 'state'",
    );
    expect(sql.Status).toContain("'status' AS sk");
    expect(sql.Status).toContain("FROM 'garage/+/status'");
    expect(sql.Telemetry).toContain("'telemetry' AS sk");
    expect(sql.Events).toContain(`floor(timestamp() / 1000) + ${EVENT_TTL_S} AS expires_at FROM 'garage/+/events'`);
    const rules = Object.values(template.findResources('AWS::IoT::TopicRule'));
    expect(rules.map((rule) => rule.Properties.TopicRulePayload.Sql).sort()).toEqual(Object.values(sql).sort());
  });

  test('each rule puts items with a role that may only PutItem on the table, and logs what it could not store', () => {
    for (const rule of Object.values(template.findResources('AWS::IoT::TopicRule'))) {
      const payload = rule.Properties.TopicRulePayload;
      expect(payload.Actions).toEqual([{ DynamoDBv2: { PutItem: { TableName: expect.anything() }, RoleArn: expect.anything() } }]);
      expect(payload.ErrorAction.CloudwatchLogs).toBeDefined();
    }
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action);
    expect(actions).toEqual(['dynamodb:PutItem', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
  });

  test('synth passes cdk-nag with no acknowledgement', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
