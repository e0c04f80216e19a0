import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { APIGatewayProxyEventV2WithLambdaAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { join } from 'node:path';
import type { CarStore } from '../../lib/api/car-store';
import type { ApiConfig } from '../../lib/api/commands';
import { API_CONFIG_FILE, readApiConfigFile } from '../../lib/api/config-file';
import { DynamoCarStore } from '../../lib/aws/dynamo-car-store';
import type { ApiRequest } from '../../lib/api/http';
import { type ApiObserver, createLampApi, type LampApi } from '../../lib/api/lamp-api';
import type { LampPort } from '../../lib/api/lamp-port';
import { logger, MetricUnit, metrics } from '../shared/observability';
import { type PhonePage, parsePhonePage, phonePageRoutes } from '../../lib/api/phone-page';
import { IotDataLampPort } from '../../lib/aws/iot-data-port';

/** What the authorizer hands on (its `context`); see lambda/authorizer. */
export interface AuthorizerContext {
  readonly tokenName?: string;
}
export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;

/**
 * HTTP API payload v2 → the transport-independent request. Bodies that are not text arrive base64-encoded.
 * `rawPath` is taken as it is: the HTTP API has percent-decoded it already (`/a%2Fb` arrives as `/a/b`),
 * so decoding it again would turn `/%2561pi` into `/api`. The query string is not used by any route.
 */
export function toApiRequest(event: ApiEvent): ApiRequest {
  const body = event.body !== undefined && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const principal = event.requestContext.authorizer?.lambda?.tokenName || undefined;
  return { method: event.requestContext.http.method, path: event.rawPath, headers: event.headers ?? {}, body, principal };
}

/** API Gateway ran the token authorizer on every route but the phone page's, and named the token it accepted. */
export const authorizedByGateway = async (request: ApiRequest): Promise<boolean> => request.principal !== undefined;

export const observer: ApiObserver = {
  commandPublished(car, lamp, payload) {
    logger.info('lamp command published', { car, lamp, payload });
    metrics.addMetric('LampCommandPublished', MetricUnit.Count, 1);
  },
  requestFailed(error) {
    // A 500 is logged with its error by unexpectedError; every other answer, throttling's 503 included, here.
    if (error.status !== 500) logger.warn('request refused', { status: error.status, code: error.code, detail: error.message });
    const single = metrics.singleMetric();
    single.addDimension('code', error.code);
    single.addMetric('ApiError', MetricUnit.Count, 1);
  },
  unexpectedError(error, request) {
    logger.error('request failed', { error: error as Error, method: request.method, path: request.path });
  },
};

export function createApiHandler(api: LampApi) {
  return async (event: ApiEvent, context?: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    if (context) logger.addContext(context);
    const request = toApiRequest(event);
    if (request.principal) logger.appendKeys({ tokenName: request.principal });
    try {
      const response = await api.handle(request);
      return { statusCode: response.status, headers: response.headers, body: response.body };
    } finally {
      // A warm Lambda keeps the logger between invocations: without this, a request with no authorizer
      // context would be logged under the previous caller's token name.
      logger.resetKeys();
      // Reads publish no metric; flushing an empty set would log a Powertools warning on every GET.
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

/** The API this Lambda serves: the lamp API behind API Gateway's token check, and the phone page. */
export function lambdaLampApi(parts: { config: ApiConfig; lamps: LampPort; store: CarStore; page: PhonePage }): LampApi {
  const { config, lamps, store, page } = parts;
  return createLampApi({ config, lamps, store, authorize: authorizedByGateway, observer, extraRoutes: phonePageRoutes(page) });
}

function apiFromEnvironment(): LampApi {
  // The stack puts the cars beside the bundle (API_CONFIG_FILE); tests point PLAMO_API_CONFIG_FILE elsewhere.
  const config = readApiConfigFile(process.env.PLAMO_API_CONFIG_FILE ?? join(__dirname, API_CONFIG_FILE));
  // The endpoint and the table name are known only at deploy time, so they are real variables.
  const endpoint = process.env.IOT_DATA_ENDPOINT;
  const tableName = process.env.CAR_STORE_TABLE_NAME;
  if (!endpoint || !tableName) throw new Error('IOT_DATA_ENDPOINT and CAR_STORE_TABLE_NAME must be set');
  const client = new IoTDataPlaneClient({ endpoint: `https://${endpoint}` });
  const store = new DynamoCarStore(new DynamoDBClient({}), tableName);
  // The phone page, of a fixed size, is compiled into the bundle (PHONE_PAGE_DEFINE in lib/api/phone-page.ts).
  const page = parsePhonePage(process.env.PLAMO_PHONE_PAGE ?? '{}');
  return lambdaLampApi({ config, lamps: new IotDataLampPort(client), store, page });
}

let handle: ReturnType<typeof createApiHandler> | undefined;

/** The Lambda entry point; the API is built on the first call so a cold start reads its settings once. */
export async function handler(event: ApiEvent, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  handle ??= createApiHandler(apiFromEnvironment());
  return handle(event, context);
}
