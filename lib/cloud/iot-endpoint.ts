import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { logOnlyLambdaRole } from './lambda-role';

/** The endpoint type devices and the data-plane SDK use: Amazon Trust Services certificates (Amazon Root CA 1). */
export const IOT_DATA_ENDPOINT_TYPE = 'iot:Data-ATS';

/**
 * The account's AWS IoT data endpoint (`xxxxxxxx-ats.iot.<region>.amazonaws.com`), looked up with
 * DescribeEndpoint at deploy time so that the stack stays environment-agnostic and synthesizes offline.
 */
export class IotDataEndpoint extends Construct {
  /** The endpoint host name; a deploy-time token. */
  readonly address: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const logs = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const role = logOnlyLambdaRole(this, 'Role', logs);
    const lookup = new AwsCustomResource(this, 'DescribeEndpoint', {
      onUpdate: {
        service: 'Iot',
        action: 'describeEndpoint',
        parameters: { endpointType: IOT_DATA_ENDPOINT_TYPE },
        physicalResourceId: PhysicalResourceId.fromResponse('endpointAddress'),
      },
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      role,
      memorySize: 256,
      installLatestAwsSdk: false,
      logGroup: logs,
    });
    this.address = lookup.getResponseField('endpointAddress');

    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'iot:DescribeEndpoint has no resource type in the IAM service authorization reference; it is the only action granted.',
    });
    // AwsCustomResource runs in a singleton function of the stack; it is the one with this construct's role.
    const lookupFunction = Stack.of(this)
      .node.findAll()
      .find((node): node is LambdaFunction => node instanceof LambdaFunction && node.role === role);
    if (!lookupFunction)
      throw new Error(`No Lambda function runs with role '${role.node.path}'; has AwsCustomResource changed how it makes its function?`);
    Validations.of(lookupFunction.node.defaultChild as CfnFunction).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'aws-cdk-lib AwsCustomResource function answering CloudFormation; a failure fails the deployment, so there is nothing to replay.',
      },
      { id: 'Serverless-LambdaTracing', reason: 'One read-only DescribeEndpoint call per deployment; its log records the call.' },
    );
  }
}
