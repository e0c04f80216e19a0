import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { generateToken } from '../../lib/api';
import { carTopics, deviceSubscriptions } from '../../lib/contract';
import { PortInUseError } from '../../lib/sim/listen';
import { RetainedStoreBusyError } from '../../lib/sim/aws-iot/retained-store';
import { InvalidTokenError, startTwin, type Twin } from '../../lib/sim/twin';
import { connectAs, nextMessage, temporaryPki, twoCarConfig } from './support';

const config = twoCarConfig();
const topics = carTopics(config.topicRoot, 'carA');
let pkiDir: { dir: string; remove(): void };
let twin: Twin;
const clients: MqttClient[] = [];

beforeAll(async () => {
  const pki = await temporaryPki([]);
  pkiDir = pki;
  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pki.dir });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});

afterAll(async () => {
  await twin.close();
  pkiDir.remove();
});

async function call(method: string, path: string, body?: unknown, token: string | null = twin.token) {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${twin.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), json: () => JSON.parse(text), text };
}

/** A stand-in for carA's firmware: connected with carA's certificate, subscribed to its commands. */
async function fakeCar(): Promise<MqttClient> {
  const car = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.cars.carA, 'carA', {
    will: { topic: topics.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  });
  clients.push(car);
  await car.subscribeAsync([...deviceSubscriptions(config.topicRoot, 'carA', Object.keys(config.cars.carA.lamps))], { qos: 1 });
  await car.publishAsync(topics.status, JSON.stringify({ online: true, fw: 'test', ip: '127.0.0.1' }), { qos: 1, retain: true });
  return car;
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the phone page is served at / without a token', async () => {
  const page = await call('GET', '/', undefined, null);
  expect(page.status).toBe(200);
  expect(page.type).toBe('text/html; charset=utf-8');
});

test('the API refuses a request without the local token', async () => {
  expect((await call('GET', '/api/cars', undefined, null)).status).toBe(401);
});

test('the API lists the configured cars with the local token', async () => {
  const cars = (await call('GET', '/api/cars')).json().cars.map((car: { id: string }) => car.id);
  expect(cars).toEqual(['carA', 'carB']);
});

test('a PUT reaches the car over MQTT as a retained command with a fresh id', async () => {
  const car = await fakeCar();
  const command = nextMessage(car, topics.lampSet('headlights'));
  const answer = await call('PUT', '/api/cars/carA/lamps/headlights', { mode: 'on', brightness: 40 });
  expect(answer.status).toBe(202);
  const received = JSON.parse((await command).payload);
  expect(received).toMatchObject({ mode: 'on', brightness: 40, id: answer.json().id });
});

test('GET shows a command as pending until the car reports it, then as reported', async () => {
  const car = await fakeCar();
  const { id } = (await call('PUT', '/api/cars/carA/lamps/turnLeft', { mode: 'blink' })).json();
  const pending = (await call('GET', '/api/cars/carA')).json().lamps.turnLeft;
  expect(pending).toMatchObject({ desired: { mode: 'blink', id }, pending: true });
  await car.publishAsync(topics.lampState('turnLeft'), JSON.stringify({ mode: 'blink', brightness: 100, id, ts: 1 }), {
    qos: 1,
    retain: true,
  });
  const done = await eventually(
    async () => (await call('GET', '/api/cars/carA')).json().lamps.turnLeft,
    (lamp) => lamp.pending === false,
  );
  expect(done.reported).toMatchObject({ mode: 'blink', id });
});

test("a car's last will turns it offline in the API", async () => {
  const car = await fakeCar();
  await eventually(
    async () => (await call('GET', '/api/cars/carA')).json().online,
    (online) => online === true,
  );
  (car.stream as unknown as { destroy(): void }).destroy();
  const online = await eventually(
    async () => (await call('GET', '/api/cars/carA')).json().online,
    (value) => value === false,
  );
  expect(online).toBe(false);
});

test('the twin listens on 127.0.0.1 only', async () => {
  const port = Number(new URL(twin.url).port);
  const refused = await new Promise<string>((resolve) => {
    const attempt = request({ host: '127.0.0.2', port, path: '/' }, () => resolve('answered'));
    attempt.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    attempt.end();
  });
  expect(refused).toBe('ECONNREFUSED');
});

test('the broker listens on 127.0.0.1 only', async () => {
  const refused = await new Promise<string>((resolve) => {
    const socket = connect({ host: '127.0.0.2', port: twin.mqttPort }, () => {
      socket.destroy();
      resolve('answered');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  expect(refused).toBe('ECONNREFUSED');
});

test('a malformed PLAMO_TOKEN is refused before anything starts', async () => {
  await expect(startTwin({ config, token: 'secret', pkiDir: pkiDir.dir })).rejects.toBeInstanceOf(InvalidTokenError);
});

test('a fixed token is the one the API accepts', async () => {
  const token = generateToken();
  const own = await temporaryPki([]);
  const fixed = await startTwin({ config, token, httpPort: 0, mqttPort: 0, pkiDir: own.dir });
  try {
    const response = await fetch(`${fixed.url}/api/cars`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  } finally {
    await fixed.close();
    own.remove();
  }
});

test('a taken HTTP port is reported with --port, and the broker started before it is closed again', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const own = await temporaryPki([]);
  try {
    const starting = startTwin({ config, httpPort: port, mqttPort: 0, pkiDir: own.dir });
    await expect(starting).rejects.toBeInstanceOf(PortInUseError);
    await expect(starting).rejects.toThrow(`choose another port with --port`);
    // Closed again: the folder's retained store is free for the next start.
    await (await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: own.dir })).close();
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
    own.remove();
  }
});

test('the token is kept in the certificate folder (mode 0600), so the next start accepts the same one', async () => {
  const own = await temporaryPki([]);
  try {
    const first = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: own.dir });
    await first.close();
    const file = join(own.dir, 'token');
    expect(readFileSync(file, 'utf8').trim()).toBe(first.token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: own.dir });
    await again.close();
    expect(again.token).toBe(first.token);
  } finally {
    own.remove();
  }
});

test('a second twin on a folder another running twin keeps is refused, and the running one keeps its retained messages', async () => {
  const starting = startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pkiDir.dir });
  await expect(starting).rejects.toBeInstanceOf(RetainedStoreBusyError);
  await expect(starting).rejects.toThrow(`(process ${process.pid}); stop that one first`);
  const car = await fakeCar();
  await car.publishAsync(topics.lampState('turnLeft'), '{"mode":"off","brightness":0,"id":"after","ts":2}', { qos: 1, retain: true });
  const logged = readFileSync(join(pkiDir.dir, 'retained.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => Buffer.from(JSON.parse(line).payload, 'base64').toString());
  expect(logged).toContain('{"mode":"off","brightness":0,"id":"after","ts":2}');
});

/** Reads server-sent events from /api/live until `accept` takes one; the stream is closed after. */
async function liveEvent(accept: (view: { id: string; online: boolean | null }) => boolean, token = twin.token) {
  const controller = new AbortController();
  const response = await fetch(`${twin.url}/api/live`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  if (!response.body) throw new Error(`no stream: ${response.status}`);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const data = buffer.slice(0, end).match(/^data: (.*)$/m)?.[1];
        buffer = buffer.slice(end + 2);
        if (data && accept(JSON.parse(data))) return { type: response.headers.get('content-type'), view: JSON.parse(data) };
      }
    }
  } finally {
    controller.abort();
  }
}

test('GET /api/live streams every car on connect, then each change of a car as it happens', async () => {
  const first = await liveEvent((view) => view.id === 'carB');
  expect(first.type).toBe('text/event-stream; charset=utf-8');
  const changed = liveEvent((view) => view.id === 'carA' && view.online === false);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const car = await fakeCar();
  await car.publishAsync(topics.status, '{"online":false}', { qos: 1, retain: true });
  expect((await changed).view).toMatchObject({ id: 'carA', online: false, since: expect.any(Number) });
});

test('GET /api/live needs the token', async () => {
  const response = await fetch(`${twin.url}/api/live`);
  expect(response.status).toBe(401);
  expect((await response.json()).error.code).toBe('unauthorized');
});

test('with live updates off there is no stream, so the page polls as it does in AWS', async () => {
  const own = await temporaryPki([]);
  const polling = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: own.dir, liveUpdates: false });
  try {
    const response = await fetch(`${polling.url}/api/live`, { headers: { authorization: `Bearer ${polling.token}` } });
    expect(response.status).toBe(404);
  } finally {
    await polling.close();
    own.remove();
  }
});

test('a restarted twin shows what the cars left retained, at the time it arrived, as the DynamoDB store would', async () => {
  const lampCount = Object.keys(config.cars.carA.lamps).length;
  const car = await fakeCar();
  const published = Date.now();
  await car.publishAsync(topics.lampState('headlights'), JSON.stringify({ mode: 'on', brightness: 100, id: 'kept', ts: 1 }), {
    qos: 1,
    retain: true,
  });
  const record = await eventually(
    () => twin.store.readCar('carA', lampCount),
    (read) => read.lampStates.has('headlights'),
  );
  const storedAt = record.lampStates.get('headlights')?.at ?? Number.NaN;
  await car.endAsync(true);
  clients.splice(clients.indexOf(car), 1);
  await twin.close();

  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pkiDir.dir });
  const restored = await twin.store.readCar('carA', lampCount);
  const state = restored.lampStates.get('headlights');
  expect(state?.text).toContain('"id":"kept"');
  // When the broker took it: after the publish began, no later than when the store first saw it routed.
  expect(state?.at).toBeGreaterThanOrEqual(published);
  expect(state?.at).toBeLessThanOrEqual(storedAt);
  // The last will the broker sent when the fake car dropped: the car reads as offline, not as never seen.
  expect(JSON.parse(restored.status?.text ?? 'null')).toEqual({ online: false });
  expect(restored.events).toEqual([]);
});
