import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LampApi, stageApiConfig } from '../../lib/cloud/lamp-api';
import { loadPhonePage, parsePhonePage, serializePhonePage } from '../../lib/api/phone-page';
import { twoCarConfig } from '../sim/support';

/** The phone page as AWS serves it: routes on the HTTP API and the page inside the lamp Lambda's bundle. */

test('the page survives the trip into the bundle and back', () => {
  const page = loadPhonePage();
  expect(parsePhonePage(serializePhonePage(page))).toEqual(page);
});

test('only the page’s own files come back out of the bundle text', () => {
  const parsed = parsePhonePage(JSON.stringify({ 'index.html': '<p>', 'secret.txt': 'x' }));
  expect([...parsed.keys()]).toEqual(['index.html']);
});

test('the HTTP API routes GET / and GET /{file} to the lamp Lambda without the token authorizer', () => {
  const stack = new Stack(new App(), 'PhonePageRoutes');
  const carStore = new Table(stack, 'CarStore', { partitionKey: { name: 'car', type: AttributeType.STRING } });
  new LampApi(stack, 'LampApi', { config: twoCarConfig(), iotDataEndpoint: 'abc-ats.iot.eu-west-1.amazonaws.com', carStore });
  const template = Template.fromStack(stack);
  for (const routeKey of ['GET /', 'GET /{file}']) {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'NONE' });
  }
});

const BAKED = ['PLAMO_API_CONFIG_FILE', 'IOT_DATA_ENDPOINT', 'CAR_STORE_TABLE_NAME', 'PLAMO_PHONE_PAGE'] as const;
afterAll(() => {
  for (const name of BAKED) delete process.env[name];
});

test('the lamp Lambda serves the page baked into it', async () => {
  process.env.PLAMO_API_CONFIG_FILE = stageApiConfig(twoCarConfig());
  process.env.IOT_DATA_ENDPOINT = 'abc-ats.iot.eu-west-1.amazonaws.com';
  process.env.CAR_STORE_TABLE_NAME = 'PlamoIot-CarStore';
  process.env.PLAMO_PHONE_PAGE = serializePhonePage(loadPhonePage());
  const { handler } = await import('../../lambda/api/index');
  const event = { rawPath: '/', rawQueryString: '', headers: {}, requestContext: { http: { method: 'GET' } }, isBase64Encoded: false };
  const response = (await handler(event as never)) as APIGatewayProxyStructuredResultV2;
  expect(response.statusCode).toBe(200);
  expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
  expect(response.body).toBe(loadPhonePage().get('index.html'));
});
