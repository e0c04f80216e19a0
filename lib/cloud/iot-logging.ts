import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnLogging } from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';

/** Where AWS IoT writes its own logs (AWS IoT developer guide, "Monitor AWS IoT using CloudWatch Logs"). */
export const IOT_LOG_GROUP = 'AWSIotLogsV2';

export interface IotLoggingProps {
  /**
   * What AWS IoT logs: refused connections, denied publishes and failed rule actions are WARN or worse.
   * @default 'WARN'
   */
  readonly level?: 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
}

/**
 * Account-level AWS IoT logging (Device Defender audit check "Logging disabled") with a role of its own that
 * may write only to AWS IoT's log group. It is one setting per account and region: this stack owns it.
 */
export class IotLogging extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: IotLoggingProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com'),
      description: 'plamo-iot: lets AWS IoT write its own logs to the AWSIotLogsV2 log group',
    });
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: IOT_LOG_GROUP,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroupArn, `${logGroupArn}:*`],
      }),
    );
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${IOT_LOG_GROUP}:*]`,
      reason: "AWS IoT names its log streams itself; the wildcard covers only the streams of AWS IoT's own log group.",
    });
    new CfnLogging(this, 'Logging', { accountId: stack.account, defaultLogLevel: props.level ?? 'WARN', roleArn: this.role.roleArn });
  }
}
