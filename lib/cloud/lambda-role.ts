import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './lambda-bundling';

/**
 * An execution role that may only write to the function's own log group. It replaces the managed
 * AWSLambdaBasicExecutionRole, which lets a function create and write any log group in the account.
 */
export function logOnlyLambdaRole(scope: Construct, id: string, logGroup: ILogGroup): Role {
  const role = new Role(scope, id, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return role;
}

export interface PlamoFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly retention: RetentionDays;
  /** @default LAMBDA_BUNDLING */
  readonly bundling?: BundlingOptions;
  /** @default - no variables */
  readonly environment?: Record<string, string>;
  /** @default - the runtime's default (JSON for Powertools) */
  readonly loggingFormat?: LoggingFormat;
}

/**
 * A Node.js function as every plamo-iot function is made: the pinned runtime on arm64, its own log group
 * (`<id>Logs`, with retention) and a role (`<id>Role`) that may only write there; callers add what else it may do.
 */
export function plamoFunction(scope: Construct, id: string, props: PlamoFunctionProps): { fn: NodejsFunction; role: Role } {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.retention, removalPolicy: RemovalPolicy.DESTROY });
  const role = logOnlyLambdaRole(scope, `${id}Role`, logGroup);
  const fn = new NodejsFunction(scope, id, {
    entry: props.entry,
    description: props.description,
    runtime: LAMBDA_RUNTIME,
    architecture: Architecture.ARM_64,
    memorySize: 256,
    timeout: props.timeout,
    role,
    logGroup,
    loggingFormat: props.loggingFormat,
    environment: props.environment,
    bundling: props.bundling ?? LAMBDA_BUNDLING,
  });
  return { fn, role };
}
