import type { IncomingMessage, ServerResponse } from 'node:http';
import { readCarView } from '../api/car-state';
import type { ApiConfig } from '../api/commands';
import { errorResponse, ApiError } from '../api/http';
import type { StreamingRoute } from './http-server';
import type { MemoryCarStore } from './memory-car-store';

/**
 * `GET /api/live`: server-sent events (WHATWG HTML, "Server-sent events") with a car's view each time the
 * store takes a message of that car, and every car's view on connect. The twin's answer to polling; in AWS
 * the HTTP API cannot hold a response open, there is no such route, and the page polls instead.
 */
export const LIVE_PATH = '/api/live';

/** A comment line this often keeps idle proxies and the browser from timing the stream out. */
const HEARTBEAT_MS = 15_000;

export interface LiveUpdatesOptions {
  readonly config: ApiConfig;
  readonly store: MemoryCarStore;
  readonly authorize: (authorization: string | undefined) => Promise<boolean>;
}

export interface LiveUpdates extends StreamingRoute {
  /** Streams open now. */
  readonly openStreams: number;
  /** Ends every stream, so a closing server does not wait for them. */
  closeAll(): void;
}

function refuse(response: ServerResponse, error: ApiError): void {
  const answer = errorResponse(error);
  response.writeHead(answer.status, answer.headers).end(answer.body);
}

export function createLiveUpdates(options: LiveUpdatesOptions): LiveUpdates {
  const { config, store } = options;
  const streams = new Set<ServerResponse>();

  const send = async (response: ServerResponse, carId: string) => {
    const view = await readCarView(store, carId, config.cars[carId]);
    if (!response.writableEnded) response.write(`event: car\ndata: ${JSON.stringify(view)}\n\n`);
  };

  // Several messages of one car in the same tick (a scene's states) become one read and one event.
  const dirty = new Set<string>();
  store.onChange((carId) => {
    if (!Object.hasOwn(config.cars, carId) || streams.size === 0 || dirty.has(carId)) return;
    dirty.add(carId);
    setImmediate(() => {
      dirty.delete(carId);
      for (const response of streams) void send(response, carId);
    });
  });

  return {
    get openStreams() {
      return streams.size;
    },
    async take(request: IncomingMessage, response: ServerResponse) {
      if (request.url?.split('?', 1)[0] !== LIVE_PATH) return false;
      if (request.method !== 'GET') {
        refuse(response, new ApiError(405, 'method_not_allowed', `${request.method} is not allowed here; use GET`, { allow: 'GET' }));
        return true;
      }
      if (!(await options.authorize(request.headers.authorization))) {
        refuse(
          response,
          new ApiError(401, 'unauthorized', 'send a valid token: Authorization: Bearer plamo_…', { 'www-authenticate': 'Bearer' }),
        );
        return true;
      }
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      response.flushHeaders();
      streams.add(response);
      const heartbeat = setInterval(() => response.write(': ping\n\n'), HEARTBEAT_MS);
      response.on('close', () => {
        clearInterval(heartbeat);
        streams.delete(response);
      });
      for (const carId of Object.keys(config.cars)) await send(response, carId);
      return true;
    },
    closeAll() {
      for (const response of streams) response.end();
      streams.clear();
    },
  };
}
