import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EFFECT_FIELD, EVENT_TTL_S, STORE_KEYS } from '../api/car-store';
import { CAR_STORE_ATTRIBUTES as A } from '../aws/dynamo-car-store';
import { ANY_LEVEL, carTopics } from '../contract';
import { createAfterRolePolicy, IOT_SQL_VERSION } from './topic-rules';

const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * The columns every item gets: the car from the topic, when the rule ran, and the payload exactly as sent
 * (`encode(*, 'base64')`, AWS IoT developer guide "Working with binary payloads"), so a payload that is not
 * JSON is stored too instead of failing the rule.
 */
function itemSql(sortKey: string, from: string, extra = ''): string {
  return `SELECT topic(2) AS ${A.car}, ${sortKey} AS ${A.sortKey}, timestamp() AS ${A.at}, encode(*, 'base64') AS ${A.payload}${extra} FROM ${sqlString(from)}`;
}

/** The four rules' SQL, keyed by rule name; the sort keys are `STORE_KEYS` spelled in IoT SQL. */
export function carStoreRuleSql(topicRoot: string): Record<'Lamps' | 'Status' | 'Telemetry' | 'Events', string> {
  const topics = carTopics(topicRoot, ANY_LEVEL);
  const lampFilter = topics.lampSet(ANY_LEVEL).replace(/\/set$/, `/${ANY_LEVEL}`);
  return {
    // An effect on a `set` topic is not the lamp's command: it leaves the lamp's state as it was (EFFECT_FIELD).
    Lamps: `${itemSql(`concat(${sqlString(STORE_KEYS.lampPrefix)}, topic(4), '#', topic(5))`, lampFilter)} WHERE (topic(5) = 'set' AND isUndefined(${EFFECT_FIELD})) OR topic(5) = 'state'`,
    Status: itemSql(sqlString(STORE_KEYS.status), topics.status),
    Telemetry: itemSql(sqlString(STORE_KEYS.telemetry), topics.telemetry),
    Events: itemSql(
      `concat(${sqlString(STORE_KEYS.eventPrefix)}, cast(timestamp() AS String), '#', newuuid())`,
      topics.events,
      `, floor(timestamp() / 1000) + ${EVENT_TTL_S} AS ${A.expiresAt}`,
    ),
  };
}

export interface CarStoreTableProps {
  /** First level of every topic (`config.topicRoot`). */
  readonly topicRoot: string;
  /** Where a rule writes the messages it could not store. */
  readonly errorLogs: LogGroup;
}

/**
 * The car store: one DynamoDB item per car and sort key, written by topic rules from the cars' lamp states,
 * the API's commands, status, telemetry and events, so the API reads a car with one Query instead of a
 * `GetRetainedMessage` per topic (each billed as IoT messaging). Events expire after `EVENT_TTL_S`.
 */
export class CarStoreTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: CarStoreTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: A.car, type: AttributeType.STRING },
      sortKey: { name: A.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: A.expiresAt,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Everything in it is the cars' latest word, sent again within a minute of their next connection.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = this.ruleRole(props.errorLogs);
    for (const [name, sql] of Object.entries(carStoreRuleSql(props.topicRoot))) {
      const rule = new CfnTopicRule(this, `${name}Rule`, {
        topicRulePayload: {
          description: `plamo-iot: ${name.toLowerCase()} of every car into the car store the lamp API reads`,
          sql,
          awsIotSqlVersion: IOT_SQL_VERSION,
          ruleDisabled: false,
          actions: [{ dynamoDBv2: { roleArn: role.roleArn, putItem: { tableName: this.table.tableName } } }],
          errorAction: { cloudwatchLogs: { logGroupName: props.errorLogs.logGroupName, roleArn: role.roleArn } },
        },
      });
      createAfterRolePolicy(rule, role);
    }
  }

  /** PutItem on this table, and the CloudWatch Logs calls of the error action; only this account's rules may assume it. */
  private ruleRole(errorLogs: LogGroup): Role {
    const role = new Role(this, 'RuleRole', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': Stack.of(this).formatArn({ service: 'iot', resource: 'rule', resourceName: '*' }) },
        },
      }),
    });
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:PutItem'], resources: [this.table.tableArn] }));
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: [errorLogs.logGroupArn],
      }),
    );
    return role;
  }
}
