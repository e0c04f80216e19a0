import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, type HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LoggingFormat } from 'aws-cdk-lib/aws-lambda';
import type { BundlingOptions, ICommandHooks, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { apiConfigOf } from '../api/commands';
import { API_CONFIG_FILE } from '../api/config-file';
import { LAMP_API_ROUTE_KEYS } from '../api/lamp-api';
import { TOKEN_TABLE_KEY } from '../api/tokens';
import type { PlamoConfig } from '../config';
import { loadPhonePage, PHONE_PAGE_DEFINE, PHONE_PAGE_ROUTE_PATHS, serializePhonePage } from '../api/phone-page';
import type { IotArn } from './device-policy';
import { lampApiIotStatements, longestIotArn, rootScopedCommands } from './lamp-api-policy';
import { LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './lambda-bundling';
import { STACK_OUTPUTS } from '../contract/stack';
import { PlamoFunction } from './plamo-function';

export { LAMBDA_BUNDLING, LAMBDA_RUNTIME };

/** The lamp API's bundling: the shared options, the phone page compiled in and the cars in a file beside the bundle. */
export function lampApiBundling(config: PlamoConfig): BundlingOptions {
  return {
    ...LAMBDA_BUNDLING,
    // The page has a fixed size (about 25 KB), so it fits on esbuild's command line; the cars do not.
    define: { [PHONE_PAGE_DEFINE]: JSON.stringify(serializePhonePage(loadPhonePage())) },
    commandHooks: new ApiConfigBesideBundle(stageApiConfig(config)),
  };
}

/**
 * Writes the lamp API's config (`apiConfigOf`) to a file named by its content hash in the system's temporary
 * folder, from where bundling copies it into the asset; the same config always gives the same file.
 */
export function stageApiConfig(config: PlamoConfig): string {
  const json = JSON.stringify(apiConfigOf(config));
  const dir = join(tmpdir(), 'plamo-api-config');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash('sha256').update(json).digest('hex').slice(0, 32)}.json`);
  writeFileSync(file, json);
  return file;
}

/**
 * Copies the staged config into the bundle's folder after esbuild has run (NodejsFunction runs these commands
 * in a shell only when it bundles). `stagedFile` is a public field on purpose: CDK keys its in-process cache of
 * bundles on the bundling options' JSON, so another config must not reuse a bundle made for this one.
 */
export class ApiConfigBesideBundle implements ICommandHooks {
  constructor(readonly stagedFile: string) {}

  beforeBundling(): string[] {
    return [];
  }

  beforeInstall(): string[] {
    return [];
  }

  afterBundling(_inputDir: string, outputDir: string): string[] {
    const copy = platform() === 'win32' ? 'copy /y' : 'cp';
    return [`${copy} "${this.stagedFile}" "${join(outputDir, API_CONFIG_FILE)}"`];
  }
}

export const LAMP_API_ENTRY = join(__dirname, '..', '..', 'lambda', 'api', 'index.ts');
export const AUTHORIZER_ENTRY = join(__dirname, '..', '..', 'lambda', 'authorizer', 'index.ts');

/**
 * The lamp API's routes, taken from its own table; each needs the token authorizer. `ANY /api/{proxy+}` lets
 * the Lambda answer 404/405 as JSON; it would also quietly catch a route missing above, so none is typed here.
 */
export const LAMP_API_ROUTES: readonly { method: HttpMethod; path: string }[] = [
  ...LAMP_API_ROUTE_KEYS.map(({ method, path }) => ({ method: method as HttpMethod, path })),
  { method: HttpMethod.ANY, path: '/api/{proxy+}' },
];

/**
 * The phone page's own route-level limit: a page load is five small files. Public routes get their own
 * bucket, so anonymous requests for them can exhaust only it, never the `/api/` routes' limits.
 */
export const PHONE_PAGE_THROTTLE = { rateLimit: 5, burstLimit: 10 } as const;

/** The context key through which CDK's IAM module takes its estimate of an unresolved ARN's length. */
const ARN_SIZE_ESTIMATE_CONTEXT = '@aws-cdk/aws-iam.arnSizeEstimate';

/** How long API Gateway caches the authorizer's answer per token, and so how long a revoked token may still work. */
export const AUTHORIZER_CACHE_TTL = Duration.seconds(300);

export interface LampApiProps {
  /** The validated config; its cars, lamps, groups and scenes go into a file beside the Lambda bundle. */
  readonly config: PlamoConfig;
  /** The account's IoT data endpoint (`…-ats.iot.<region>.amazonaws.com`), usually a deploy-time token. */
  readonly iotDataEndpoint: string;
  /** The car store the topic rules fill (`CarStoreTable`); the API only queries it. */
  readonly carStore: ITable;
  /**
   * Steady-state requests per second and burst for the whole API.
   * @default - `api.rateLimit` and `api.burstLimit` from the config (10 and 20)
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * How long the function and access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/** HTTP API → lamp Lambda, with a token authorizer backed by a DynamoDB table of token hashes. */
export class LampApi extends Construct {
  readonly httpApi: HttpApi;
  readonly tokenTable: Table;
  readonly apiFunction: NodejsFunction;
  readonly authorizerFunction: NodejsFunction;
  /** `https://<id>.execute-api.<region>.amazonaws.com`, no trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: LampApiProps) {
    super(scope, id);
    // Before any child: the roles below read it when CDK decides whether their policies stay inline.
    this.node.setContext(ARN_SIZE_ESTIMATE_CONTEXT, longestIotArn(props.config));
    const throttle = props.throttle ?? props.config.api;
    if (throttle.burstLimit < 1 || throttle.rateLimit < 1) {
      throw new Error(`Throttle limits must be at least 1, got rate ${throttle.rateLimit} and burst ${throttle.burstLimit}`);
    }
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.tokenTable = new Table(this, 'TokenTable', {
      partitionKey: { name: TOKEN_TABLE_KEY, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Tokens are cheap to issue again; a torn-down stack should not leave a table behind.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.apiFunction = this.lampFunction(props, retention);
    this.authorizerFunction = this.tokenAuthorizer(retention);
    this.httpApi = this.api(throttle, retention);
    this.url = this.httpApi.apiEndpoint;

    new CfnOutput(Stack.of(this), STACK_OUTPUTS.apiUrl, { value: this.url, description: 'Base URL of the lamp API and the phone page' });
    new CfnOutput(Stack.of(this), STACK_OUTPUTS.tokenTable, {
      value: this.tokenTable.tableName,
      description: 'DynamoDB table of token hashes (npx plamo token …)',
    });
  }

  private lampFunction(props: LampApiProps, retention: RetentionDays): NodejsFunction {
    const { fn, role } = new PlamoFunction(this, 'ApiFunction', {
      entry: LAMP_API_ENTRY,
      description: 'plamo-iot lamp API: publishes lamp commands to AWS IoT Core, reads the cars from the car store',
      timeout: Duration.seconds(10),
      retention,
      environment: { IOT_DATA_ENDPOINT: props.iotDataEndpoint, CAR_STORE_TABLE_NAME: props.carStore.tableName },
      bundling: lampApiBundling(props.config),
    });
    for (const statement of lampApiIotPolicyStatements(this, props.config)) role.addToPrincipalPolicy(statement);
    const pattern = rootScopedCommands(props.config);
    if (pattern) {
      Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/${pattern}]`,
        reason:
          "Every car's exact lamp command topics would exceed IAM's 10,240 characters of inline policy per role; the pattern covers only lamp command topics under the config's topic root, never what a car reports.",
      });
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:Query'], resources: [props.carStore.tableArn] }),
    );
    acknowledgeSynchronousFunction(fn);
    return fn;
  }

  private tokenAuthorizer(retention: RetentionDays): NodejsFunction {
    const { fn, role } = new PlamoFunction(this, 'AuthorizerFunction', {
      entry: AUTHORIZER_ENTRY,
      description: 'plamo-iot token authorizer: SHA-256 of the bearer token looked up in the token table',
      timeout: Duration.seconds(5),
      retention,
      loggingFormat: LoggingFormat.TEXT,
      environment: { TOKEN_TABLE_NAME: this.tokenTable.tableName },
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:GetItem'], resources: [this.tokenTable.tableArn] }),
    );
    acknowledgeSynchronousFunction(fn);
    return fn;
  }

  private api(throttle: { rateLimit: number; burstLimit: number }, retention: RetentionDays): HttpApi {
    const httpApi = new HttpApi(this, 'HttpApi', { description: 'plamo-iot lamp API', createDefaultStage: false });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    const authorizer = new HttpLambdaAuthorizer('TokenAuthorizer', this.authorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: AUTHORIZER_CACHE_TTL,
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('LampApiIntegration', this.apiFunction);
    const limited: ThrottledRoute[] = [];
    for (const { method, path } of LAMP_API_ROUTES) {
      const [route] = httpApi.addRoutes({ path, methods: [method], integration, authorizer });
      limited.push({ route, key: `${method} ${path}`, limits: throttle });
    }
    for (const path of PHONE_PAGE_ROUTE_PATHS) {
      const [route] = httpApi.addRoutes({ path, methods: [HttpMethod.GET], integration });
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'The phone page is public static files with no data in them; the token it needs stays in the URL fragment and every /api/ route checks it.',
      });
      limited.push({ route, key: `GET ${path}`, limits: PHONE_PAGE_THROTTLE });
    }
    throttleRoutes(stage, limited);
    return httpApi;
  }
}

/**
 * Each route gets its own explicit limits (HTTP API route-level throttling, set as the stage's
 * `RouteSettings` by route key), so the public page routes have a bucket of their own. The stage refers to
 * the routes by key, so it is created after them.
 */
interface ThrottledRoute {
  readonly route: HttpRoute;
  /** `METHOD /path`, as API Gateway names routes in RouteSettings. */
  readonly key: string;
  readonly limits: { readonly rateLimit: number; readonly burstLimit: number };
}

function throttleRoutes(stage: HttpStage, routes: readonly ThrottledRoute[]): void {
  const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
  for (const { route, key, limits } of routes) {
    settings[key] = { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit };
    stage.node.addDependency(route);
  }
  (stage.node.defaultChild as CfnStage).routeSettings = settings;
}

/** API Gateway calls both functions synchronously and answers the phone itself when one fails. */
function acknowledgeSynchronousFunction(fn: NodejsFunction): void {
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason:
      'Invoked synchronously by API Gateway only; a dead-letter queue applies to asynchronous invocations and would never receive anything.',
  });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaTracing',
    reason: 'One hop to IoT Core or DynamoDB; structured logs, EMF metrics and access logs with request ids cover it without X-Ray cost.',
  });
}

/** One JSON object per request; the token name comes from the authorizer, the token itself is never logged. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    method: '$context.httpMethod',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    tokenName: '$context.authorizer.tokenName',
    authorizerError: '$context.authorizer.error',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/** The lamp API's `iot:` statements (`lampApiIotStatements`) as IAM statements with the stack's ARNs. */
function lampApiIotPolicyStatements(scope: Construct, config: PlamoConfig): PolicyStatement[] {
  const stack = Stack.of(scope);
  const arn: IotArn = (resource, resourceName) => stack.formatArn({ service: 'iot', resource, resourceName });
  return lampApiIotStatements(config, arn).map(
    (statement) => new PolicyStatement({ effect: Effect.ALLOW, actions: statement.Action, resources: statement.Resource }),
  );
}
