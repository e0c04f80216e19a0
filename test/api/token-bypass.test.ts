import { request as httpRequest } from 'node:http';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { type ApiRequest, decodeRequestPath, generateToken } from '../../lib/api';
import { stageApiConfig } from '../../lib/cloud/lamp-api';
import { startHttpServer } from '../../lib/sim/http-server';
import { LOOPBACK } from '../../lib/sim/listen';
import { MemoryCarStore } from '../../lib/sim/memory-car-store';
import { createTwinApi } from '../../lib/sim/twin';
import { apiEvent } from '../lambda/events';
import { disguisedTarget, invalidAuthorization, lampBody, stateChangingOrReadingMethod } from './disguised-paths';
import { FakeLampPort, testConfig } from './fixtures';

/** The twin's car store, counting reads: reading it is reading car state. */
class WatchedStore extends MemoryCarStore {
  readonly carsRead: string[] = [];
  override async readCar(carId: string, lampCount: number) {
    this.carsRead.push(carId);
    return super.readCar(carId, lampCount);
  }
}

/** A twin API whose publishes and store reads are recorded. */
async function watchedTwinApi(token = generateToken()) {
  const port = new FakeLampPort();
  const store = new WatchedStore(testConfig.topicRoot);
  const { api } = await createTwinApi(testConfig, { lamps: port, store, token });
  return { api, port, store };
}

/** The path API Gateway's HTTP API would hand the Lambda for a target: decoded once, query cut off. */
function gatewayPath(target: string): string {
  try {
    return decodeRequestPath(target);
  } catch {
    return target.split('?', 1)[0];
  }
}

const request = fc.record({
  method: stateChangingOrReadingMethod,
  target: disguisedTarget,
  body: lampBody,
  authorization: invalidAuthorization,
});

function headersFor(authorization: string | undefined, body: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    // Node's client frames no body of a GET by itself.
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return headers;
}

describe('no request without a valid token changes or reads car state', () => {
  test('the twin API core, over 2,000 disguised paths, methods and bodies', async () => {
    const { api, port, store } = await watchedTwinApi();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, target, body, authorization }) => {
        const apiRequest: ApiRequest = { method, path: gatewayPath(target), headers: headersFor(authorization, body), body };
        const response = await api.handle(apiRequest);
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(port.published).toEqual([]);
        expect(store.carsRead).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  test('the same generated requests with the valid token do reach the lamps, so the property above is not vacuous', async () => {
    const token = generateToken();
    const { api, port } = await watchedTwinApi(token);
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ method, target, body }) => {
        const headers = headersFor(`Bearer ${token}`, body);
        statuses.add((await api.handle({ method, path: gatewayPath(target), headers, body })).status);
      }),
      { numRuns: 3000 },
    );
    expect([...statuses]).toEqual(expect.arrayContaining([200, 202]));
    expect(port.published.length).toBeGreaterThan(0);
  });

  test('the twin over HTTP: the request target exactly as sent, 300 runs', async () => {
    const { api, port, store } = await watchedTwinApi();
    const server = await startHttpServer(api, { port: 0 });
    const send = (method: string, target: string, headers: Record<string, string>, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const outgoing = httpRequest({
          host: LOOPBACK,
          port: server.port,
          method: method.toUpperCase(),
          path: target,
          headers,
          agent: false,
        });
        outgoing.on('response', (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    try {
      await fc.assert(
        fc.asyncProperty(request, async ({ method, target, body, authorization }) => {
          const status = await send(method, target.startsWith('/') ? target : `/${target}`, headersFor(authorization, body), body);
          expect(status).toBeGreaterThanOrEqual(400);
          expect(port.published).toEqual([]);
          expect(store.carsRead).toEqual([]);
        }),
        { numRuns: 300 },
      );
    } finally {
      await server.close();
    }
  });

  test('the Lambda handler, for requests that reach it without the authorizer (the public page routes)', async () => {
    process.env.PLAMO_API_CONFIG_FILE = stageApiConfig(testConfig);
    process.env.IOT_DATA_ENDPOINT = 'abc123-ats.iot.eu-west-1.amazonaws.com';
    process.env.CAR_STORE_TABLE_NAME = 'PlamoIot-CarStore';
    const iot = mockClient(IoTDataPlaneClient);
    iot.on(PublishCommand).resolves({});
    const dynamo = mockClient(DynamoDBClient);
    dynamo.on(QueryCommand).resolves({ Items: [] });
    const quiet = [process.stdout, process.stderr].map((stream) => jest.spyOn(stream, 'write').mockImplementation(() => true));
    const { handler } = await import('../../lambda/api');
    try {
      await fc.assert(
        fc.asyncProperty(request, async ({ method, target, body, authorization }) => {
          const event = apiEvent(method.toUpperCase(), gatewayPath(target), { body, headers: headersFor(authorization, body) });
          const unauthorized = { ...event, routeKey: 'GET /{file}', requestContext: { ...event.requestContext, authorizer: undefined } };
          const result = await handler(unauthorized as unknown as typeof event);
          expect(typeof result === 'object' && result.statusCode).toBeGreaterThanOrEqual(400);
          expect(iot.commandCalls(PublishCommand)).toEqual([]);
          expect(dynamo.commandCalls(QueryCommand)).toEqual([]);
        }),
        { numRuns: 1000 },
      );
    } finally {
      for (const spy of quiet) spy.mockRestore();
      iot.restore();
      dynamo.restore();
    }
  });
});
