import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/http';
import { ApiError, decodeRequestPath, errorResponse, MAX_BODY_BYTES, payloadTooLarge } from '../api/http';
import { LOOPBACK, listenOn } from './listen';
import { type OriginGuard, originGuard } from './origin-guard';

/** Anything that answers transport-independent requests: the lamp API core. */
export interface RequestHandler {
  handle(request: ApiRequest): Promise<ApiResponse>;
}

export interface LocalHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** A response that stays open (server-sent events); it answers only the requests it takes. */
export interface StreamingRoute {
  /** True when it took the request and owns the response from then on. */
  take(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

export interface HttpServerOptions {
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Asked first for every request that passes the Host and Origin checks. @default - none */
  readonly streaming?: StreamingRoute;
  /**
   * Names the twin answers to in `Host` (and, with its port, the only `Origin` allowed to change state).
   * @default - `host`, '127.0.0.1' and 'localhost'
   */
  readonly hostnames?: readonly string[];
  /**
   * How long a client may take to send its headers and its whole request, and how often that is checked.
   * @default - 10 s for headers, 30 s for the request, checked every 5 s
   */
  readonly timeouts?: { readonly headersMs: number; readonly requestMs: number; readonly checkEveryMs: number };
}

const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, checkEveryMs: 5_000 };

/** Node's parser errors as the API's own answers (`code` values from Node's `clientError` documentation). */
function transportError(code: string | undefined): ApiError {
  if (code === 'HPE_HEADER_OVERFLOW') return new ApiError(431, 'headers_too_large', 'headers: too large; send fewer or shorter headers');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new ApiError(408, 'request_timeout', 'request: not received in time; send it again');
  return new ApiError(400, 'bad_request', 'request: not valid HTTP/1.1');
}

/** A whole HTTP/1.1 response as bytes, for a socket Node's parser has given up on. */
function rawResponse(answer: ApiResponse): string {
  const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)), connection: 'close' };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${lines.join('\r\n')}\r\n\r\n${answer.body}`;
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset socket or one a response is already being written to cannot take another answer.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  socket.end(rawResponse(errorResponse(transportError(error.code))));
}

/**
 * The body, or undefined as soon as `Content-Length` or the bytes read pass the API's limit: the rest is
 * never read, so a huge upload costs the twin neither time nor memory.
 */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.off('data', onData).pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function send(response: ServerResponse, answer: ApiResponse, close = false): void {
  const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) };
  response.writeHead(answer.status, close ? { ...headers, connection: 'close' } : headers).end(answer.body);
}

async function serve(
  handler: RequestHandler,
  guard: OriginGuard,
  streaming: StreamingRoute | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const method = request.method ?? 'GET';
  let path: string;
  try {
    guard.check(method, request.headers.host, request.headers.origin);
    path = decodeRequestPath(request.url ?? '/');
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // The body is not read; closing keeps its bytes from being parsed as the next request.
    return send(response, errorResponse(error), true);
  }
  if (await streaming?.take(request, response)) return;
  const body = await readBody(request);
  if (body === undefined) return send(response, errorResponse(payloadTooLarge()), true);
  send(response, await handler.handle({ method, path, headers: headersOf(request), body }));
}

/** The node:http adapter of the lamp API, bound to 127.0.0.1 unless told; a taken port rejects with PortInUseError. */
export async function startHttpServer(handler: RequestHandler, options: HttpServerOptions): Promise<LocalHttpServer> {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  let guard: OriginGuard | undefined;
  const server: Server = createServer(
    { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: timeouts.checkEveryMs },
    (request, response) => {
      serve(handler, guard as OriginGuard, options.streaming, request, response).catch(() => {
        // The API core turns its own failures into JSON answers; this is a broken connection or request stream.
        if (!response.headersSent) response.writeHead(400).end();
      });
    },
  );
  server.on('clientError', answerClientError);
  const host = options.host ?? LOOPBACK;
  const bound = await listenOn(server, host, options.port, '--port');
  guard = originGuard(options.hostnames ?? [...new Set([host, LOOPBACK, 'localhost'])], bound);
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
