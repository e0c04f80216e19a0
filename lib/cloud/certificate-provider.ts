import { join } from 'node:path';
import { type CfnResource, CustomResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { Provider, WaiterStateMachine } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './lambda-bundling';
import { logOnlyLambdaRole } from './lambda-role';
import { PlamoFunction } from './plamo-function';
import { IOT_DELETION_RESOURCE_TYPE } from './resource-types';

export { DEVICE_CERTIFICATE_RESOURCE_TYPE, IOT_DELETION_RESOURCE_TYPE } from './resource-types';

/**
 * How often the framework asks whether a deletion is complete, and when it gives up. The handler fails with
 * a message of its own after `DELETE_WAIT_BOUND_MS` (8 minutes); the framework's timeout is a backstop above it.
 */
export const DELETION_POLL = { queryInterval: Duration.seconds(10), totalTimeout: Duration.minutes(10) } as const;

const HANDLER_ENTRY = join(__dirname, '../../lambda/certificate-provider/index.ts');

export interface DeviceCertificateProviderProps {
  /**
   * How long the handler's and the framework's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * The Lambdas behind every `Custom::DeviceCertificate` and `Custom::IotDeletion` of a stack (one provider per
 * stack, shared by its cars). onEvent makes, rotates, deactivates and detaches; isComplete, polled by the
 * framework, deletes once AWS IoT has let go. Its role starts with what no car can narrow
 * (CreateKeysAndCertificate has no resource type) and gets each car's thing, policies and secret through `allowCar`.
 */
export class DeviceCertificateProvider extends Construct {
  /** The one provider of a stack, created on first use. */
  static of(scope: Construct): DeviceCertificateProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.children.find((child) => child instanceof DeviceCertificateProvider);
    return (existing as DeviceCertificateProvider | undefined) ?? new DeviceCertificateProvider(stack, 'DeviceCertificateProvider');
  }

  readonly serviceToken: string;
  private readonly handler: PlamoFunction;
  private carSecrets?: PolicyStatement;
  private readonly carThings: PolicyStatement;
  private readonly carPolicies: PolicyStatement;

  constructor(scope: Construct, id: string, props: DeviceCertificateProviderProps = {}) {
    super(scope, id);
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const bundling = {
      ...LAMBDA_BUNDLING,
      // The SDK's ES module builds let esbuild drop the commands the handler does not send (about 20 % smaller).
      mainFields: ['module', 'main'],
      // Bundled rather than taken from the runtime: the handler runs the exact SDK version its tests mock,
      // and a runtime SDK update cannot change how certificates are created or deleted.
      externalModules: [],
    };
    this.handler = new PlamoFunction(this, 'Handler', {
      entry: HANDLER_ENTRY,
      description: 'plamo-iot: creates, rotates and deletes device certificates; keys go only to Secrets Manager',
      // Every call is a few IoT and Secrets Manager requests; waiting is the framework's (isComplete).
      timeout: Duration.minutes(1),
      retention,
      bundling,
    });
    const completion = new PlamoFunction(this, 'IsComplete', {
      entry: HANDLER_ENTRY,
      handler: 'isComplete',
      description: 'plamo-iot: deletes device certificates, things and policies once AWS IoT has let go of their attachments',
      timeout: Duration.minutes(1),
      retention,
      bundling,
      sharesRoleOf: this.handler,
    });
    this.allowCertificateLifecycle();
    this.carThings = this.carStatement(['iot:DeleteThing', 'iot:DetachThingPrincipal', 'iot:ListThingPrincipals']);
    this.carPolicies = this.carStatement([
      'iot:DeletePolicy',
      'iot:DeletePolicyVersion',
      'iot:ListPolicyVersions',
      'iot:ListTargetsForPolicy',
    ]);

    const frameworkLogs = new LogGroup(this, 'ProviderLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    const provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.fn,
      isCompleteHandler: completion.fn,
      ...DELETION_POLL,
      logGroup: frameworkLogs,
      // Execution data would log each request's presigned ResponseURL.
      waiterStateMachineLogOptions: { destination: frameworkLogs, level: LogLevel.ALL, includeExecutionData: false },
      disableWaiterStateMachineLogging: false,
      frameworkOnEventRole: logOnlyLambdaRole(this, 'ProviderRole', frameworkLogs),
      frameworkCompleteAndTimeoutRole: logOnlyLambdaRole(this, 'ProviderWaitRole', frameworkLogs),
    });
    this.serviceToken = provider.serviceToken;
    for (const fn of [this.handler.fn, completion.fn]) acknowledgeProviderFunction(fn.node.defaultChild as CfnFunction);
    this.settleFramework(provider);
  }

  /** A statement of the handler's role that `allowCar` adds each car's resources to (none until then: no statement). */
  private carStatement(actions: string[]): PolicyStatement {
    return new PolicyStatement({ effect: Effect.ALLOW, actions });
  }

  /** Adds `resources` to `statement`, and the statement to the handler's role when it gets its first. */
  private grant(statement: PolicyStatement, ...resources: string[]): void {
    // One statement per kind with every resource in it keeps the role policy small as cars are added.
    if (statement.resources.length === 0) this.handler.role.addToPrincipalPolicy(statement);
    statement.addResources(...resources);
  }

  /**
   * Lets the handler write the car's secret (and read it back on a retry), and list and detach the
   * certificates of the car's thing: what it needs to tell the car's certificate from any other.
   */
  allowCar(car: { readonly thingArn: string; readonly policyArns: readonly string[]; readonly secret?: ISecret }): void {
    this.grant(this.carThings, car.thingArn);
    this.allowPolicy(...car.policyArns);
    if (!car.secret) return;
    this.carSecrets ??= this.carStatement(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']);
    this.grant(this.carSecrets, car.secret.secretArn);
  }

  /** Lets the handler delete an IoT policy of this stack that is no car's own (the group's update policy). */
  allowPolicy(...policyArns: string[]): void {
    this.grant(this.carPolicies, ...policyArns);
  }

  /**
   * CloudFormation keeps `resource` (a thing, policy or certificate) when it leaves the stack; the returned
   * step, `id` in `scope`, deletes it instead, through this provider, once AWS IoT has let go of its
   * attachments. Whatever attaches to `resource` must depend on the step, so that it is removed first.
   * `properties` are the `Custom::IotDeletion` properties: `Kind`, `Name` (and a certificate's `ThingName`).
   */
  deletionOf(scope: Construct, id: string, resource: CfnResource, properties: Record<string, string>): CustomResource {
    resource.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return new CustomResource(scope, id, { serviceToken: this.serviceToken, resourceType: IOT_DELETION_RESOURCE_TYPE, properties });
  }

  /** The policy `Role.addToPrincipalPolicy` makes on first use, named `DefaultPolicy` as documented by aws-iam. */
  private defaultPolicy(): Policy {
    return this.handler.role.node.findChild('DefaultPolicy') as Policy;
  }

  private allowCertificateLifecycle(): void {
    const certificates = Stack.of(this).formatArn({ service: 'iot', resource: 'cert', resourceName: '*' });
    this.handler.role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['iot:CreateKeysAndCertificate'], resources: ['*'] }),
    );
    this.handler.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['iot:UpdateCertificate', 'iot:DescribeCertificate', 'iot:DeleteCertificate'],
        resources: [certificates],
      }),
    );
    Validations.of(this.defaultPolicy()).acknowledge(
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
  }

  /**
   * The framework's own functions and waiter come from aws-cdk-lib: give them an explicit memory size and
   * explain what cannot change. They are found by type, whatever ids aws-cdk-lib gives them.
   */
  private settleFramework(provider: Provider): void {
    const stack = Stack.of(this);
    for (const fn of provider.node.findAll().filter((node): node is LambdaFunction => node instanceof LambdaFunction)) {
      const cfn = fn.node.defaultChild as CfnFunction;
      cfn.memorySize = 128;
      Validations.of(fn).acknowledge(
        {
          id: 'Serverless-LambdaDLQ',
          reason:
            'CloudFormation waits for this function (or the waiter it starts) to answer the custom resource request; a failure fails the deployment, so there is nothing to replay.',
        },
        { id: 'Serverless-LambdaTracing', reason: 'aws-cdk-lib framework function; its log records every request it relays.' },
      );
    }
    // Provider.grantInvoke and the waiter allow each function they call and its versions (<arn>:*).
    const functions = this.node.findAll().filter((node): node is LambdaFunction => node instanceof LambdaFunction);
    const invokeFindings = functions.map((fn) => ({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason: 'The framework may invoke only the functions of this provider, and their versions (<arn>:*).',
    }));
    const frameworkPolicies = this.node.findAll().filter((node) => node instanceof Policy && node !== this.defaultPolicy());
    for (const policy of frameworkPolicies) {
      Validations.of(policy).acknowledge(...invokeFindings);
    }
    for (const waiter of provider.node.findAll().filter((node) => node instanceof WaiterStateMachine)) {
      const reason =
        'aws-cdk-lib waiter that polls one isComplete function; its executions are logged, and X-Ray would need a role grant on "*".';
      Validations.of(waiter).acknowledge(
        { id: 'AwsSolutions-SF2', reason },
        { id: 'Serverless-StepFunctionStateMachineXray', reason },
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'The log delivery actions Step Functions needs to write execution logs (logs:CreateLogDelivery and the like) support no resource type; aws-cdk-lib grants them on "*".',
        },
      );
    }
  }
}

/** Both handlers are called synchronously by the framework, which reports every failure to CloudFormation. */
function acknowledgeProviderFunction(cfn: CfnFunction): void {
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
