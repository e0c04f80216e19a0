import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import type { ApiEvent } from '../../lambda/api';

/** An HTTP API (payload 2.0) event as API Gateway sends it after the authorizer accepted the token. */
export function apiEvent(
  method: string,
  rawPath: string,
  options: { body?: string; headers?: Record<string, string>; base64?: boolean } = {},
): ApiEvent {
  const headers = { host: 'abc123.execute-api.eu-west-1.amazonaws.com', ...(options.headers ?? {}) };
  if (options.body !== undefined && !('content-type' in headers)) Object.assign(headers, { 'content-type': 'application/json' });
  return {
    version: '2.0',
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString: '',
    headers,
    isBase64Encoded: options.base64 ?? false,
    body: options.base64 && options.body !== undefined ? Buffer.from(options.body).toString('base64') : options.body,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl/8' },
      requestId: 'req-1',
      routeKey: `${method} ${rawPath}`,
      stage: '$default',
      time: '25/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_764_064_800_000,
      authorizer: { lambda: { tokenName: 'my-phone' } },
    },
  };
}

export function authorizerEvent(authorization?: string): APIGatewayRequestAuthorizerEventV2 {
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/$default/GET/api/cars',
    identitySource: authorization === undefined ? [] : [authorization],
    routeKey: 'GET /api/cars',
    rawPath: '/api/cars',
    rawQueryString: '',
    cookies: [],
    headers: authorization === undefined ? {} : { authorization },
    queryStringParameters: {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'GET', path: '/api/cars', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'curl/8' },
      requestId: 'req-1',
      routeKey: 'GET /api/cars',
      stage: '$default',
      time: '25/Nov/2026:10:00:00 +0000',
      timeEpoch: 1_764_064_800_000,
    },
    pathParameters: {},
    stageVariables: {},
  };
}
