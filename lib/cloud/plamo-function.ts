import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { Architecture, type LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './lambda-bundling';
import { logOnlyLambdaRole } from './lambda-role';

export interface PlamoFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly retention: RetentionDays;
  /**
   * The exported function of `entry` Lambda calls.
   * @default 'handler'
   */
  readonly handler?: string;
  /** @default LAMBDA_BUNDLING */
  readonly bundling?: BundlingOptions;
  /** @default - no variables */
  readonly environment?: Record<string, string>;
  /** @default - the runtime's default (JSON for Powertools) */
  readonly loggingFormat?: LoggingFormat;
  /**
   * Another function whose role this one runs with (two handlers of one entry that need the same rights);
   * that role may then write this function's log group too.
   * @default - a role of its own
   */
  readonly sharesRoleOf?: PlamoFunction;
}

/**
 * A Node.js function as every plamo-iot function is made: the pinned runtime on arm64, its own log group
 * (`Logs`, with retention) and a role (`Role`) that may only write there; callers add what else it may do.
 * The function itself is the `Default` child, so its logical id is this construct's.
 */
export class PlamoFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PlamoFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.retention, removalPolicy: RemovalPolicy.DESTROY });
    if (props.sharesRoleOf) {
      this.role = props.sharesRoleOf.role;
      this.logGroup.grantWrite(this.role);
    } else {
      this.role = logOnlyLambdaRole(this, 'Role', this.logGroup);
    }
    this.fn = new NodejsFunction(this, 'Default', {
      entry: props.entry,
      handler: props.handler,
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: props.loggingFormat,
      environment: props.environment,
      bundling: props.bundling ?? LAMBDA_BUNDLING,
    });
  }
}
