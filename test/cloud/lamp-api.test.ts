import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CarStoreTable } from '../../lib/cloud/car-store';
import { API_CONFIG_FILE, apiConfigOf } from '../../lib/api';
import { LampApi } from '../../lib/cloud/lamp-api';
import { STACK_OUTPUTS } from '../../lib/contract/stack';
import { FakeLampPort, testConfig } from '../api/fixtures';
import type { CarStore } from '../../lib/api';
import { loadPhonePage } from '../../lib/api/phone-page';
import { lambdaLampApi } from '../../lambda/api';

const ENDPOINT = 'abc123-ats.iot.eu-west-1.amazonaws.com';

function synthesize(props: Partial<ConstructorParameters<typeof LampApi>[2]> = {}) {
  const app = new App();
  const stack = new Stack(app, 'LampApiTest');
  const carStore = new CarStoreTable(stack, 'CarStore', { topicRoot: testConfig.topicRoot, errorLogs: new LogGroup(stack, 'Errors') })
    .table;
  const api = new LampApi(stack, 'LampApi', { config: testConfig, iotDataEndpoint: ENDPOINT, carStore, ...props });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack, api, template: Template.fromStack(stack) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** The statements of the inline policy attached to the role whose logical id starts with `rolePrefix`. */
function statementsOf(template: Template, rolePrefix: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
  }[];
  const policy = policies.find((p) => p.Properties.Roles.some((role) => role.Ref.startsWith(rolePrefix)));
  return policy?.Properties.PolicyDocument.Statement ?? [];
}

/** `{"Fn::Join": ["", [...]]}` with pseudo parameters written as `<AWS::X>`, as cdk-nag shows them. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return `<${node.Ref}>`;
  if ('Fn::Join' in node) return (node['Fn::Join'] as [string, unknown[]])[1].map(flatten).join('');
  if ('Fn::GetAtt' in node) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  return JSON.stringify(value);
}

const arn = (topic: string) => `arn:<AWS::Partition>:iot:<AWS::Region>:<AWS::AccountId>:topic/${topic}`;

describe('LampApi construct', () => {
  let template: Template;
  let app: App;
  beforeAll(() => {
    ({ template, app } = synthesize());
  });

  test('every /api/ route has the token authorizer', () => {
    const routes = (Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as { Properties: Record<string, unknown> }[]).filter(
      (route) => String(route.Properties.RouteKey).includes(' /api'),
    );
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([
      'ANY /api/{proxy+}',
      'GET /api/cars',
      'GET /api/cars/{car}',
      'PATCH /api/cars/{car}/lamps',
      'POST /api/cars/{car}/effects/{effect}',
      'POST /api/cars/{car}/scenes/{scene}',
      'PUT /api/cars/{car}/lamps/{target}',
    ]);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'CUSTOM',
        AuthorizerId: { Ref: expect.stringMatching(/TokenAuthorizer/) },
      });
    }
  });

  test('every route the Lambda serves is a route of the stack, with the token authorizer unless it is public', () => {
    const store: CarStore = {
      readCar: async () => {
        throw new Error('not read: only the routes are looked at');
      },
    };
    const served = lambdaLampApi({ config: apiConfigOf(testConfig), lamps: new FakeLampPort(), store, page: loadPhonePage() }).routes;
    const stackRoutes = new Map(
      (
        Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as {
          Properties: { RouteKey: string; AuthorizationType?: string };
        }[]
      ).map((route) => [route.Properties.RouteKey, route.Properties.AuthorizationType ?? 'NONE']),
    );
    expect(served.length).toBeGreaterThan(6);
    for (const route of served) {
      expect([`${route.method} ${route.path}`, stackRoutes.get(`${route.method} ${route.path}`)]).toEqual([
        `${route.method} ${route.path}`,
        route.public ? 'NONE' : 'CUSTOM',
      ]);
    }
  });

  test('the authorizer gives simple responses, cached 300 s per Authorization header', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 300,
      IdentitySource: ['$request.header.Authorization'],
    });
  });

  test("the lamp Lambda may publish only to each configured lamp's exact set topic", () => {
    const publish = statementsOf(template, 'LampApiApiFunctionRole').filter((s) => s.Action === 'iot:Publish');
    expect(publish).toHaveLength(1);
    expect((publish[0].Resource as unknown[]).map(flatten)).toEqual([
      arn('garage/rps13/lamps/headlights/set'),
      arn('garage/rps13/lamps/turnLeft/set'),
      arn('garage/rps13/lamps/turnRight/set'),
      arn('garage/rps13/lamps/brake/set'),
      arn('garage/ae86-trueno/lamps/foglamps/set'),
    ]);
  });

  test('no IoT resource of the lamp Lambda has a wildcard', () => {
    const iot = statementsOf(template, 'LampApiApiFunctionRole').filter((s) => String(s.Action).startsWith('iot:'));
    for (const resource of iot.flatMap((s) => [s.Resource].flat()).map(flatten)) expect(resource).not.toMatch(/[*?+#]/);
  });

  test('the lamp Lambda may only Query the car store, and reads nothing from IoT Core', () => {
    const statements = statementsOf(template, 'LampApiApiFunctionRole').filter((s) => String(s.Action).startsWith('dynamodb:'));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CarStoreTable/), 'Arn'] } },
    ]);
  });

  test('the lamp Lambda may publish retained commands only for cars that restore their lamps', () => {
    const retain = statementsOf(template, 'LampApiApiFunctionRole').filter((s) => s.Action === 'iot:RetainPublish');
    expect(retain).toHaveLength(1);
    expect([retain[0].Resource].flat().map(flatten)).toEqual(
      ['headlights', 'turnLeft', 'turnRight', 'brake'].map((lamp) => arn(`garage/rps13/lamps/${lamp}/set`)),
    );
  });

  test('the lamp Lambda has no other IoT or data permission than those three', () => {
    const actions = statementsOf(template, 'LampApiApiFunctionRole').flatMap((s) => s.Action);
    expect(actions.filter((action) => !action.startsWith('logs:')).sort()).toEqual(['dynamodb:Query', 'iot:Publish', 'iot:RetainPublish']);
  });

  test('the authorizer may only GetItem on the token table', () => {
    const statements = statementsOf(template, 'LampApiAuthorizerFunctionRole').filter((s) => !String(s.Action).startsWith('logs:'));
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: { 'Fn::GetAtt': [expect.stringMatching(/TokenTable/), 'Arn'] } },
    ]);
  });

  test('no role has an AWS managed policy', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the token table is on-demand with point-in-time recovery, keyed by the token hash', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: 'tokenHash', KeyType: 'HASH' }],
    });
  });

  test('both functions run on the newest Node.js runtime on arm64', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  test('the lamp Lambda gets the IoT endpoint as a variable and no config in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: { IOT_DATA_ENDPOINT: ENDPOINT } } });
    expect(JSON.stringify(template.toJSON())).not.toContain('PLAMO_API_CONFIG');
  });

  test("the lamp Lambda's asset holds the config's cars in a file beside the bundle, without Wi-Fi or certificate settings", () => {
    const [fn] = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Handler: 'index.handler', Description: Match.stringLikeRegexp('lamp API') },
      }),
    );
    const assetDir = join(app.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
    expect(readdirSync(assetDir).sort()).toEqual([API_CONFIG_FILE, 'index.js']);
    const config = JSON.parse(readFileSync(join(assetDir, API_CONFIG_FILE), 'utf8'));
    expect(config).toEqual(apiConfigOf(testConfig));
    expect(JSON.stringify(config)).not.toMatch(/wifi|certificate/);
  });

  test("the default stage is throttled with the config's rate and burst and logs access as JSON", () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
  });

  test("the public page routes have their own route-level throttle; every /api/ route keeps the config's", () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: { RouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> };
      DependsOn: string[];
    };
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((route) => (route as { Properties: { RouteKey: string } }).Properties.RouteKey);
    expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual([...keys].sort());
    for (const key of ['GET /', 'GET /{file}']) {
      expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    }
    for (const key of keys.filter((key) => key.includes('/api/'))) {
      expect(stage.Properties.RouteSettings[key]).toEqual({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 });
    }
    // RouteSettings name routes by key, so the stage must come after them.
    expect(stage.DependsOn).toEqual(expect.arrayContaining(Object.keys(routes)));
  });

  test('throttling can be set on the construct', () => {
    const { template: custom } = synthesize({ throttle: { rateLimit: 3, burstLimit: 5 } });
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 3, ThrottlingBurstLimit: 5 } });
  });

  test('every log group has a retention period', () => {
    const groups = Object.entries(template.findResources('AWS::Logs::LogGroup'))
      .filter(([id]) => id.startsWith('LampApi'))
      .map(([, group]) => group);
    expect(groups).toHaveLength(3);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  test('the API URL and the token table name are stack outputs under their shared names', () => {
    template.hasOutput(STACK_OUTPUTS.apiUrl, { Value: Match.anyValue() });
    template.hasOutput(STACK_OUTPUTS.tokenTable, { Value: { Ref: Match.stringLikeRegexp('TokenTable') } });
  });

  test('cdk-nag AwsSolutions and Serverless find nothing unacknowledged', () => {
    const { app } = synthesize();
    expect(() => app.synth()).not.toThrow();
  });
});
