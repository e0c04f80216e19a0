import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { ApiRequest, ApiResponse } from '../api/http';
import { MAX_BODY_BYTES } from '../api/http';
import { listenOnLoopback } from './listen';

/** Anything that answers transport-independent requests: the lamp API core. */
export interface RequestHandler {
  handle(request: ApiRequest): Promise<ApiResponse>;
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

/** The node:http adapter of the lamp API, bound to 127.0.0.1; a taken port rejects with PortInUseError. */
export async function startHttpServer(handler: RequestHandler, port: number): Promise<LocalHttpServer> {
  const server: Server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      const answer = await handler.handle({ method: request.method ?? 'GET', path: request.url ?? '/', headers: headersOf(request), body });
      response.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      // The API core turns its own failures into JSON answers; this is a broken connection or request stream.
      if (!response.headersSent) response.writeHead(400).end();
    }
  });
  const bound = await listenOnLoopback(server, port, '--port');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
