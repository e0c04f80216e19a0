import { connect, type Socket } from 'node:net';
import type { ApiRequest } from '../../lib/api';
import { jsonResponse } from '../../lib/api';
import { type LocalHttpServer, startHttpServer } from '../../lib/sim/http-server';
import { LOOPBACK } from '../../lib/sim/listen';

/** A handler that records what reached it and answers 202, like a lamp command. */
function recordingHandler() {
  const seen: ApiRequest[] = [];
  const handle = async (request: ApiRequest) => {
    seen.push(request);
    return jsonResponse(202, { ok: true });
  };
  return { seen, handle };
}

let server: LocalHttpServer;
let handler: ReturnType<typeof recordingHandler>;

beforeEach(async () => {
  handler = recordingHandler();
  server = await startHttpServer(handler, { port: 0, timeouts: { headersMs: 300, requestMs: 300, checkEveryMs: 50 } });
});
afterEach(() => server.close());

/** Sends raw bytes and resolves with everything the server wrote before it closed the connection. */
function exchange(bytes: string, options: { keepSending?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(server.port, LOOPBACK);
    let answer = '';
    let pump: NodeJS.Timeout | undefined;
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
    );
    socket.on('close', () => {
      clearInterval(pump);
      resolve(answer);
    });
    socket.write(bytes);
    if (options.keepSending) pump = setInterval(() => socket.writable && socket.write('x'.repeat(1024)), 5);
  });
}

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n', 2);
  const status = Number(head.split(' ', 2)[1]);
  return { status, head: head.toLowerCase(), json: JSON.parse(body) };
}

const host = () => `127.0.0.1:${server.port}`;

describe('twin HTTP server: origin safety', () => {
  test.each([
    ['a rebound name', 'attacker.example:80'],
    ['the right name on another port', 'localhost:1'],
    ['no port', '127.0.0.1'],
  ])("a Host that is not the twin's own (%s) is refused with 403 before anything is handled", async (_name, wrongHost) => {
    const response = parse(await exchange(`GET /api/cars HTTP/1.1\r\nHost: ${wrongHost}\r\n\r\n`));
    expect(response.status).toBe(403);
    expect(response.json.error.code).toBe('forbidden_host');
    expect(handler.seen).toEqual([]);
  });

  test("localhost and 127.0.0.1 on the twin's port are both its own", async () => {
    for (const name of ['127.0.0.1', 'localhost', 'LOCALHOST']) {
      const response = parse(await exchange(`GET /api/cars HTTP/1.1\r\nHost: ${name}:${server.port}\r\nConnection: close\r\n\r\n`));
      expect(response.status).toBe(202);
    }
  });

  test.each(['http://127.0.0.1:9999', 'http://evil.example', 'null'])(
    'a state-changing request with Origin %s is refused',
    async (origin) => {
      const body = '{"mode":"on"}';
      const response = parse(
        await exchange(
          `PUT /api/cars/rps13/lamps/headlights HTTP/1.1\r\nHost: ${host()}\r\nOrigin: ${origin}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        ),
      );
      expect(response.status).toBe(403);
      expect(response.json.error.code).toBe('forbidden_origin');
      expect(handler.seen).toEqual([]);
    },
  );

  test("the twin's own origin, and a client that sends none (curl), may change state", async () => {
    for (const origin of [`Origin: http://${host()}\r\n`, '']) {
      const raw = await exchange(
        `POST /api/cars/rps13/scenes/parked HTTP/1.1\r\nHost: ${host()}\r\n${origin}Content-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      expect(parse(raw).status).toBe(202);
    }
    expect(handler.seen).toHaveLength(2);
  });

  test('the path reaches the API decoded exactly once', async () => {
    await exchange(`GET /%61pi/cars/rps%2513?x=%41 HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(handler.seen.map((request) => request.path)).toEqual(['/api/cars/rps%13']);
  });

  test('malformed percent-encoding is a JSON 400', async () => {
    const response = parse(await exchange(`GET /api/cars/%E0%A4%A HTTP/1.1\r\nHost: ${host()}\r\n\r\n`));
    expect(response.status).toBe(400);
    expect(response.json.error.message).toMatch(/^path: '\/api\/cars\/%E0%A4%A' is not valid percent-encoding/);
  });
});

describe('twin HTTP server: transport errors and bodies', () => {
  test("headers over Node's limit are a JSON 431", async () => {
    const response = parse(await exchange(`GET /api/cars HTTP/1.1\r\nHost: ${host()}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`));
    expect(response.status).toBe(431);
    expect(response.json.error.code).toBe('headers_too_large');
  });

  test('a request Node cannot parse is a JSON 400', async () => {
    const response = parse(await exchange('NOT HTTP AT ALL\r\n\r\n'));
    expect(response.status).toBe(400);
    expect(response.json.error).toEqual({ code: 'bad_request', message: 'request: not valid HTTP/1.1' });
  });

  test('headers that never finish are a JSON 408 and the connection is closed', async () => {
    const response = parse(await exchange(`GET /api/cars HTTP/1.1\r\nHost: ${host()}\r\n`));
    expect(response.status).toBe(408);
    expect(response.json.error.code).toBe('request_timeout');
  });

  test('a Content-Length over 4 KB is a 413 before any of the body is sent', async () => {
    const raw = await exchange(`PUT /api/cars/rps13/lamps/headlights HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 209715200\r\n\r\n`);
    const response = parse(raw);
    expect(response.status).toBe(413);
    expect(response.json.error.message).toBe('body: at most 4096 bytes');
    expect(response.head).toContain('connection: close');
    expect(handler.seen).toEqual([]);
  });

  test('a chunked body is refused with 413 as soon as it passes 4 KB, while the client is still sending', async () => {
    const chunk = (text: string) => `${text.length.toString(16)}\r\n${text}\r\n`;
    const raw = await exchange(
      `PUT /api/cars/rps13/lamps/headlights HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\n\r\n${chunk('y'.repeat(5000))}`,
      { keepSending: true },
    );
    expect(parse(raw).status).toBe(413);
    expect(handler.seen).toEqual([]);
  });
});
