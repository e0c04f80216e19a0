import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './lambda-bundling';
import { logOnlyLambdaRole, plamoFunction } from './lambda-role';

/** CloudFormation resource type of a device certificate made by this provider. */
export const DEVICE_CERTIFICATE_RESOURCE_TYPE = 'Custom::DeviceCertificate';

const HANDLER_ENTRY = join(__dirname, '../../lambda/certificate-provider/index.ts');

export interface DeviceCertificateProviderProps {
  /**
   * How long the handler's and the framework's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The Lambda behind every `Custom::DeviceCertificate` (one per stack, shared by all cars in "aws" mode).
 * Its role starts with what no car can narrow (CreateKeysAndCertificate has no resource type) and gets each
 * car's thing and secret through `allowCar`.
 */
export class DeviceCertificateProvider extends Construct {
  /** The one provider of a stack, created on first use. */
  static of(scope: Construct): DeviceCertificateProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('DeviceCertificateProvider');
    return existing instanceof DeviceCertificateProvider ? existing : new DeviceCertificateProvider(stack, 'DeviceCertificateProvider');
  }

  readonly serviceToken: string;
  private readonly handler: NodejsFunction;
  private carSecrets?: PolicyStatement;
  private carThings?: PolicyStatement;

  constructor(scope: Construct, id: string, props: DeviceCertificateProviderProps = {}) {
    super(scope, id);
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.handler = plamoFunction(this, 'Handler', {
      entry: HANDLER_ENTRY,
      description: 'plamo-iot: creates, rotates and deletes device certificates; keys go only to Secrets Manager',
      // The slowest path is a delete that waits for a thing detachment to propagate (about 31 s of backoff).
      timeout: Duration.minutes(2),
      retention,
      bundling: {
        ...LAMBDA_BUNDLING,
        // The SDK's ES module builds let esbuild drop the commands the handler does not send (about 20 % smaller).
        mainFields: ['module', 'main'],
        // Bundled rather than taken from the runtime: the handler runs the exact SDK version its tests mock,
        // and a runtime SDK update cannot change how certificates are created or deleted.
        externalModules: [],
      },
    }).fn;
    this.allowCertificateLifecycle();

    const frameworkLogs = new LogGroup(this, 'ProviderLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler,
      logGroup: frameworkLogs,
      frameworkOnEventRole: logOnlyLambdaRole(this, 'ProviderRole', frameworkLogs),
    });
    this.serviceToken = provider.serviceToken;
    this.settleFrameworkFunction(provider);
  }

  /**
   * Lets the handler write the car's secret (and read it back on a retry), and list and detach the
   * certificates of the car's thing: what it needs to tell the car's certificate from any other.
   */
  allowCar(thingArn: string, secret: ISecret): void {
    if (!this.carSecrets || !this.carThings) {
      this.carSecrets = new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
      });
      this.carThings = new PolicyStatement({ effect: Effect.ALLOW, actions: ['iot:DetachThingPrincipal', 'iot:ListThingPrincipals'] });
      this.handler.addToRolePolicy(this.carSecrets);
      this.handler.addToRolePolicy(this.carThings);
    }
    // One statement per kind with every car in it keeps the role policy small as cars are added.
    this.carSecrets.addResources(secret.secretArn);
    this.carThings.addResources(thingArn);
  }

  private allowCertificateLifecycle(): void {
    const certificates = Stack.of(this).formatArn({ service: 'iot', resource: 'cert', resourceName: '*' });
    this.handler.addToRolePolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['iot:CreateKeysAndCertificate'], resources: ['*'] }),
    );
    this.handler.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['iot:UpdateCertificate', 'iot:DescribeCertificate', 'iot:DeleteCertificate'],
        resources: [certificates],
      }),
    );
    const policy = this.handler.role!.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'iot:CreateKeysAndCertificate has no resource type in the IAM service authorization reference, so only "*" is possible; it is the only action on "*".',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:cert/*]',
        reason:
          "A certificate's id exists only after AWS IoT has made it, so Update/Describe/DeleteCertificate cannot name it in advance; the handler acts only on the certificate in the car's secret or attached to the car's thing.",
      },
    );
    const cfn = this.handler.node.defaultChild!;
    Validations.of(cfn).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by the Provider framework, which reports every failure to CloudFormation; a dead-letter queue would hold nothing to replay.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'Runs a few times per deployment; its log carries the request type and ids, and X-Ray would need a role grant on "*".',
      },
    );
  }

  /** The framework's own function comes from aws-cdk-lib; give it an explicit memory size and explain what cannot change. */
  private settleFrameworkFunction(provider: Provider): void {
    const framework = provider.node.findChild('framework-onEvent') as LambdaFunction;
    (framework.node.defaultChild as CfnFunction).memorySize = 128;
    Validations.of(framework).acknowledge(
      {
        id: 'Serverless-LambdaDLQ',
        reason:
          'CloudFormation waits for this function to answer the custom resource request; a failure fails the deployment, so there is nothing to replay.',
      },
      { id: 'Serverless-LambdaTracing', reason: 'aws-cdk-lib framework function; its log records every request it relays.' },
    );
    Validations.of(framework.role!.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::<DeviceCertificateProviderHandlerE37C2D65.Arn>:*]',
      reason: 'Provider.grantInvoke allows the handler and its versions (<arn>:*); it is the only function the framework may invoke.',
    });
  }
}
