import { DynamoDBClient, ProvisionedThroughputExceededException, QueryCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand, ThrottlingException } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { stageApiConfig } from '../../lib/cloud/lamp-api';
import { carTopics, lampCommandSchema, lampEffectSchema } from '../../lib/contract';
import { testConfig } from '../api/fixtures';
import { apiEvent } from './events';

/** The test cars' topics, from the contract. */
const topics = (car: string) => carTopics(testConfig.topicRoot, car);

const iot = mockClient(IoTDataPlaneClient);
const dynamo = mockClient(DynamoDBClient);
let output: string[] = [];

process.env.PLAMO_API_CONFIG_FILE = stageApiConfig(testConfig);
process.env.IOT_DATA_ENDPOINT = 'abc123-ats.iot.eu-west-1.amazonaws.com';
process.env.CAR_STORE_TABLE_NAME = 'PlamoIot-CarStore';

/** An item as the topic rules write it. */
const storeItem = (sortKey: string, at: number, payload: string) => ({
  car: { S: 'rps13' },
  sk: { S: sortKey },
  at: { N: String(at) },
  payload: { S: Buffer.from(payload).toString('base64') },
});

async function call(...args: Parameters<typeof apiEvent>) {
  const { handler } = await import('../../lambda/api');
  const result = (await handler(apiEvent(...args))) as APIGatewayProxyStructuredResultV2;
  return { ...result, json: JSON.parse(result.body ?? 'null') };
}

/** Every PublishCommand sent, decoded: topic, qos, retain and the JSON payload. */
function publishes() {
  return iot.commandCalls(PublishCommand).map(({ args: [command] }) => ({
    topic: command.input.topic,
    qos: command.input.qos,
    retain: command.input.retain,
    payload: JSON.parse(Buffer.from(command.input.payload as Uint8Array).toString('utf8')),
  }));
}

beforeEach(() => {
  iot.reset();
  iot.on(PublishCommand).resolves({});
  dynamo.reset();
  dynamo.on(QueryCommand).resolves({ Items: [] });
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

describe('lamp API Lambda: routes', () => {
  test('GET /api/cars answers the cars of the config file written at synth without calling AWS', async () => {
    const { statusCode, json } = await call('GET', '/api/cars');
    expect(statusCode).toBe(200);
    expect(json.cars.map((car: { id: string }) => car.id)).toEqual(['rps13', 'ae86-trueno']);
    expect(iot.calls()).toHaveLength(0);
    expect(dynamo.calls()).toHaveLength(0);
  });

  test('GET /api/cars/{car} is one Query of the car store, newest first, and no IoT call', async () => {
    dynamo.on(QueryCommand).resolves({
      Items: [
        storeItem('telemetry', 9000, '{"uptime_s":60,"heap_free":60000,"heap_min_free":50000,"rssi":-58,"reconnects":0,"fw":"1"}'),
        storeItem('status', 1000, '{"online":true,"fw":"1","ip":"10.0.0.2"}'),
        storeItem('lamp#headlights#state', 5020, '{"mode":"on","brightness":100,"id":"x","ts":5}'),
        storeItem('lamp#headlights#set', 5000, '{"mode":"on","id":"x","ts":5}'),
        storeItem('event#0000000004000#a', 4000, '{"level":"warn","code":"bad_payload","detail":"not JSON"}'),
      ],
    });
    const { statusCode, json } = await call('GET', '/api/cars/rps13');
    expect(statusCode).toBe(200);
    expect(json).toMatchObject({ online: true, since: 1000, lastSeen: 9000, lastCommandLatencyMs: 20 });
    expect(json.lamps.headlights).toEqual({
      desired: { mode: 'on', id: 'x', ts: 5 },
      reported: { mode: 'on', brightness: 100, id: 'x', ts: 5 },
      pending: false,
    });
    expect(json.health.rssi).toBe(-58);
    expect(json.events).toEqual([{ at: 4000, level: 'warn', code: 'bad_payload', detail: 'not JSON' }]);
    const queries = dynamo.commandCalls(QueryCommand).map(({ args: [command] }) => command.input);
    expect(queries).toEqual([
      expect.objectContaining({
        TableName: 'PlamoIot-CarStore',
        ExpressionAttributeValues: { ':car': { S: 'rps13' } },
        ScanIndexForward: false,
        Limit: 2 + 2 * 4 + 20,
      }),
    ]);
    expect(iot.calls()).toHaveLength(0);
  });

  test('PUT on a lamp publishes to its set topic with QoS 1, retained, and a contract payload', async () => {
    const { statusCode, json } = await call('PUT', '/api/cars/rps13/lamps/brake', { body: '{"mode":"on","brightness":20}' });
    expect(statusCode).toBe(202);
    const [published] = publishes();
    expect(published).toMatchObject({ topic: topics('rps13').lampSet('brake'), qos: 1, retain: true });
    expect(published.payload).toEqual({ mode: 'on', brightness: 20, id: json.id, ts: expect.any(Number) });
    expect(lampCommandSchema.parse(published.payload).id).toHaveLength(36);
  });

  test('an effect publishes to each of its lamps with QoS 1, never retained, so the retained state stays the one to restore', async () => {
    const { statusCode, json } = await call('POST', '/api/cars/rps13/effects/welcome', {});
    expect(statusCode).toBe(202);
    expect(publishes().map(({ topic, qos, retain, payload }) => [topic, qos, retain, payload])).toEqual(
      ['turnLeft', 'turnRight', 'headlights'].map((lamp) => [
        topics('rps13').lampSet(lamp),
        1,
        false,
        { effect: 'welcome', id: json.id, ts: expect.any(Number) },
      ]),
    );
    for (const { payload } of publishes()) expect(lampEffectSchema.safeParse(payload).success).toBe(true);
  });

  test('PUT on a group publishes once per lamp of the group', async () => {
    await call('PUT', '/api/cars/rps13/lamps/hazard', { body: '{"mode":"blink"}' });
    expect(publishes().map(({ topic, qos, retain, payload }) => [topic, qos, retain, payload.mode])).toEqual([
      [topics('rps13').lampSet('turnLeft'), 1, true, 'blink'],
      [topics('rps13').lampSet('turnRight'), 1, true, 'blink'],
    ]);
  });

  test('PATCH publishes each named lamp; a powerOn "off" car gets unretained commands', async () => {
    const { statusCode } = await call('PATCH', '/api/cars/ae86-trueno/lamps', { body: '{"foglamps":"on"}' });
    expect(statusCode).toBe(202);
    expect(publishes()).toEqual([
      {
        topic: topics('ae86-trueno').lampSet('foglamps'),
        qos: 1,
        retain: false,
        payload: { mode: 'on', id: expect.any(String), ts: expect.any(Number) },
      },
    ]);
  });

  test('POST a scene publishes every lamp of the scene with its brightness', async () => {
    const { statusCode } = await call('POST', '/api/cars/rps13/scenes/night');
    expect(statusCode).toBe(202);
    expect(publishes().map(({ topic, payload }) => [topic, payload.mode, payload.brightness])).toEqual([
      [topics('rps13').lampSet('headlights'), 'on', undefined],
      [topics('rps13').lampSet('brake'), 'on', 20],
    ]);
  });

  test('a base64-encoded body is decoded before it is parsed', async () => {
    const { statusCode } = await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"off"}', base64: true });
    expect(statusCode).toBe(202);
    expect(publishes()[0].payload.mode).toBe('off');
  });
});

describe('lamp API Lambda: errors', () => {
  test.each([
    ['bad JSON', 'PUT', '/api/cars/rps13/lamps/headlights', { body: '{' }, 400, 'bad_request'],
    ['bad field', 'PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on","brightness":"max"}' }, 400, 'bad_request'],
    ['unknown car', 'GET', '/api/cars/s15', {}, 404, 'not_found'],
    ['unknown lamp', 'PUT', '/api/cars/rps13/lamps/fog', { body: '{"mode":"on"}' }, 404, 'not_found'],
    ['unknown group or scene', 'POST', '/api/cars/rps13/scenes/rave', {}, 404, 'not_found'],
    ['wrong method', 'DELETE', '/api/cars/rps13/lamps/headlights', {}, 405, 'method_not_allowed'],
    ['body over 4 KB', 'PATCH', '/api/cars/rps13/lamps', { body: `{"headlights":"${'x'.repeat(4100)}"}` }, 413, 'payload_too_large'],
    [
      'not JSON',
      'PATCH',
      '/api/cars/rps13/lamps',
      { body: 'headlights=on', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
    ],
  ] as const)('%s is a JSON error with its status and publishes nothing', async (_name, method, path, options, status, code) => {
    const { statusCode, json, headers } = await call(method, path, options);
    expect(statusCode).toBe(status);
    expect(json.error).toEqual({ code, message: expect.any(String) });
    expect(headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(iot.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('IoT throttling is a 503 with Retry-After', async () => {
    iot.on(PublishCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const { statusCode, headers, json } = await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on"}' });
    expect(statusCode).toBe(503);
    expect(headers?.['retry-after']).toBe('1');
    expect(json.error.code).toBe('broker_busy');
  });

  test('IoT throttling is logged as a warning with its code, not only counted', async () => {
    iot.on(PublishCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on"}' });
    expect(output.join('')).toMatch(/"level":"WARN".*"status":503.*"code":"broker_busy"/);
  });

  test('DynamoDB throttling while reading state is a 503 too', async () => {
    dynamo.on(QueryCommand).rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
    expect((await call('GET', '/api/cars/rps13')).statusCode).toBe(503);
  });

  test('any other IoT failure is a 500 without details, and is logged', async () => {
    iot.on(PublishCommand).rejects(new Error('AccessDeniedException: not authorized to iot:Publish'));
    const { statusCode, body } = await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on"}' });
    expect(statusCode).toBe(500);
    expect(body).not.toMatch(/AccessDenied|iot:Publish|at /);
    expect(output.join('')).toMatch(/"level":"ERROR".*AccessDeniedException/);
  });
});

describe('lamp API Lambda: logs and metrics', () => {
  test('each published command is counted as a metric', async () => {
    await call('PUT', '/api/cars/rps13/lamps/hazard', { body: '{"mode":"blink"}' });
    const emf = output.map((line) => line.trim()).filter((line) => line.includes('"_aws"'));
    const counted = emf.map((line) => JSON.parse(line)).find((record) => record.LampCommandPublished !== undefined);
    expect(counted.LampCommandPublished).toEqual([1, 1]);
  });

  test('each error is counted with its code as a dimension', async () => {
    await call('GET', '/api/cars/s15');
    const records = output.filter((line) => line.includes('"ApiError"')).map((line) => JSON.parse(line));
    expect(records).toEqual([expect.objectContaining({ ApiError: 1, code: 'not_found' })]);
  });

  test('a read that publishes nothing writes no metrics warning', async () => {
    await call('GET', '/api/cars');
    expect(output.join('')).not.toMatch(/No application metrics/);
  });

  test('logs carry the token name, never a token', async () => {
    await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on"}', headers: { authorization: 'Bearer plamo_secret' } });
    const logged = output.join('');
    expect(logged).toMatch(/"tokenName":"my-phone"/);
    expect(logged).not.toContain('plamo_secret');
  });

  test("a second invocation never carries the first one's token name", async () => {
    await call('PUT', '/api/cars/rps13/lamps/headlights', { body: '{"mode":"on"}' });
    output = [];
    const { handler } = await import('../../lambda/api');
    const page = apiEvent('GET', '/api/cars');
    await handler({ ...page, requestContext: { ...page.requestContext, authorizer: undefined } } as unknown as typeof page);
    const logged = output.join('');
    expect(logged).toMatch(/"message":"request refused"/);
    expect(logged).not.toContain('my-phone');
  });

  test("a request that reaches the function without the authorizer's token name is a 401, whatever its path", async () => {
    const { handler } = await import('../../lambda/api');
    const event = apiEvent('GET', '/api/cars/rps13');
    const result = await handler({
      ...event,
      requestContext: { ...event.requestContext, authorizer: undefined },
    } as unknown as typeof event);
    expect(result.statusCode).toBe(401);
    expect(iot.calls()).toHaveLength(0);
  });

  test('rawPath arrives decoded from API Gateway and is not decoded again', async () => {
    const { statusCode, json } = await call('GET', '/api/cars/rps%2513');
    expect(statusCode).toBe(404);
    expect(json.error.message).toMatch(/^car 'rps%2513' not found/);
  });
});
