import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ANY_LEVEL, carTopics, METRICS_NAMESPACE } from '../contract';

/** AWS IoT SQL version with literals and nested objects (AWS IoT developer guide, "SQL versions"). */
export const IOT_SQL_VERSION = '2016-03-23';
/** The per-car dimension of every telemetry metric. */
export const CAR_DIMENSION = 'car';

/** Telemetry fields that become CloudWatch metrics, with their units; the names are the contract's payload keys. */
export const TELEMETRY_METRICS = [
  { name: 'heap_free', unit: 'Bytes' },
  { name: 'rssi', unit: 'None' },
  { name: 'reconnects', unit: 'Count' },
  { name: 'uptime_s', unit: 'Seconds' },
] as const;

const sqlString = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Telemetry as a CloudWatch embedded-metric-format (EMF) log event: CloudWatch Logs extracts one metric per
 * field with the car as a dimension. The IoT `cloudwatchMetric` action cannot do that: it has no dimensions
 * (AWS::IoT::TopicRule CloudwatchMetricAction: MetricName, MetricNamespace, MetricUnit, MetricValue, MetricTimestamp).
 */
export function telemetryMetricsSql(topicRoot: string, namespace: string): string {
  const values = TELEMETRY_METRICS.map(({ name }) => `${sqlString(name)}: ${name}`).join(', ');
  const metrics = TELEMETRY_METRICS.map(({ name, unit }) => `{'Name': ${sqlString(name)}, 'Unit': ${sqlString(unit)}}`).join(', ');
  const emf = `{'Timestamp': timestamp(), 'CloudWatchMetrics': [{'Namespace': ${sqlString(namespace)}, 'Dimensions': [[${sqlString(CAR_DIMENSION)}]], 'Metrics': [${metrics}]}]}`;
  return `SELECT VALUE {${sqlString(CAR_DIMENSION)}: topic(2), ${values}, '_aws': ${emf}} FROM ${sqlString(carTopics(topicRoot, ANY_LEVEL).telemetry)}`;
}

/** A device message as it was sent, with the car and the message kind (`status` or `events`) added for searching. */
export function deviceLogSql(topicRoot: string, kind: 'status' | 'events'): string {
  return `SELECT *, topic(2) AS car, topic(3) AS kind FROM ${sqlString(carTopics(topicRoot, ANY_LEVEL)[kind])}`;
}

export interface DeviceTopicRulesProps {
  /** First level of every topic (`config.topicRoot`). */
  readonly topicRoot: string;
  /**
   * CloudWatch namespace of the telemetry metrics.
   * @default METRICS_NAMESPACE
   */
  readonly metricsNamespace?: string;
  /**
   * How long status and event messages are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly deviceLogRetention?: RetentionDays;
  /**
   * How long the raw telemetry events behind the metrics are kept (the metrics themselves stay 15 months).
   * @default RetentionDays.ONE_WEEK
   */
  readonly telemetryLogRetention?: RetentionDays;
  /**
   * How long messages a rule could not deliver are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly errorLogRetention?: RetentionDays;
}

/**
 * Makes CloudFormation create a topic rule only once its role's permissions exist. The rule refers to the
 * role alone, so without this it may be created while the role's policy is still being made, and AWS IoT
 * checks the role when the rule is created: a fresh role fails "unable to assume role", with no retry.
 */
export function createAfterRolePolicy(rule: CfnTopicRule, role: Role): void {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!policy) throw new Error(`Role '${role.node.path}' has no policy yet; add its statements before the rule that uses it`);
  rule.node.addDependency(policy);
}

/**
 * Topic rules for what the cars send: telemetry → CloudWatch metrics per car, status and events → a log group.
 * Every rule has an error action into its own log group, and each rule's role may write only its own log
 * group and that error log group.
 */
export class DeviceTopicRules extends Construct {
  readonly deviceLogs: LogGroup;
  readonly telemetryLogs: LogGroup;
  readonly errorLogs: LogGroup;

  constructor(scope: Construct, id: string, props: DeviceTopicRulesProps) {
    super(scope, id);
    const prefix = `/plamo-iot/${Stack.of(this).stackName}`;
    const logGroup = (name: string, logGroupName: string, retention: RetentionDays) =>
      new LogGroup(this, name, { logGroupName, retention, removalPolicy: RemovalPolicy.DESTROY });
    this.deviceLogs = logGroup('DeviceLogs', `${prefix}/devices`, props.deviceLogRetention ?? RetentionDays.ONE_MONTH);
    this.telemetryLogs = logGroup('TelemetryLogs', `${prefix}/telemetry`, props.telemetryLogRetention ?? RetentionDays.ONE_WEEK);
    this.errorLogs = logGroup('RuleErrorLogs', `${prefix}/rule-errors`, props.errorLogRetention ?? RetentionDays.ONE_MONTH);

    const namespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    this.rule(
      'Telemetry',
      'telemetry of every car as CloudWatch metrics (EMF) with a car dimension',
      telemetryMetricsSql(props.topicRoot, namespace),
      this.telemetryLogs,
    );
    this.rule('Status', 'status and last-will messages of every car', deviceLogSql(props.topicRoot, 'status'), this.deviceLogs);
    this.rule('Events', 'diagnostic events of every car', deviceLogSql(props.topicRoot, 'events'), this.deviceLogs);
  }

  private rule(name: string, description: string, sql: string, target: LogGroup): CfnTopicRule {
    const role = this.ruleRole(`${name}RuleRole`, [target, this.errorLogs]);
    const rule = new CfnTopicRule(this, `${name}Rule`, {
      topicRulePayload: {
        description: `plamo-iot: ${description}`,
        sql,
        awsIotSqlVersion: IOT_SQL_VERSION,
        ruleDisabled: false,
        actions: [{ cloudwatchLogs: { logGroupName: target.logGroupName, roleArn: role.roleArn } }],
        errorAction: { cloudwatchLogs: { logGroupName: this.errorLogs.logGroupName, roleArn: role.roleArn } },
      },
    });
    createAfterRolePolicy(rule, role);
    return rule;
  }

  /** The three calls the CloudWatch Logs rule action makes (AWS IoT developer guide, "CloudWatch Logs" action). */
  private ruleRole(id: string, logGroups: LogGroup[]): Role {
    const stack = Stack.of(this);
    const role = new Role(this, id, {
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        // Only this account's topic rules may use the role (confused-deputy protection).
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'iot', resource: 'rule', resourceName: '*' }) },
        },
      }),
    });
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: logGroups.map((group) => group.logGroupArn),
      }),
    );
    return role;
  }
}
