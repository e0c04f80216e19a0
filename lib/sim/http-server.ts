import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/http';
import { MAX_BODY_BYTES } from '../api/http';
import { LOOPBACK, listenOn } from './listen';

/** Anything that answers transport-independent requests: the lamp API core. */
export interface RequestHandler {
  handle(request: ApiRequest): Promise<ApiResponse>;
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
  /** Asked first for every request. @default - none */
  readonly streaming?: StreamingRoute;
}

export interface LocalHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Reads the body, but never more than one byte past the API's limit: that is enough for the API to answer
 * 413, and a huge upload costs the twin no memory.
 */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > MAX_BODY_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    request.on('end', () =>
      resolve(
        Buffer.concat(chunks)
          .subarray(0, MAX_BODY_BYTES + 1)
          .toString('utf8'),
      ),
    );
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

/** The node:http adapter of the lamp API, bound to 127.0.0.1 unless told; a taken port rejects with PortInUseError. */
export async function startHttpServer(handler: RequestHandler, options: HttpServerOptions): Promise<LocalHttpServer> {
  const server: Server = createServer(async (request, response) => {
    try {
      if (await options.streaming?.take(request, response)) return;
      const body = await readBody(request);
      const answer = await handler.handle({ method: request.method ?? 'GET', path: request.url ?? '/', headers: headersOf(request), body });
      response.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      // The API core turns its own failures into JSON answers; this is a broken connection or request stream.
      if (!response.headersSent) response.writeHead(400).end();
    }
  });
  const bound = await listenOn(server, options.host ?? LOOPBACK, options.port, '--port');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
