import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../lib/config';
import { carTopics } from '../../lib/contract';
import { buildLocalDeviceBundle, DEVICE_CERT_FILES } from '../../lib/device/bundle';
import { writeBundle } from '../../lib/device/write-bundle';
import type { BrokerMessage } from '../../lib/sim/broker';
import { ensureLocalPki } from '../../lib/pki/local-ca';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { type FaultProxy, startFaultProxy } from './fault-proxy';
import { RealPico } from './real-pico';

// The generated bundle under a real unix-port MicroPython (real ssl with mbedTLS, socket, select, asyncio)
// against the twin's broker, through a proxy that cuts, refuses and black-holes the path. Run by
// `npm run test:device`, which needs PLAMO_MICROPYTHON.
const MICROPYTHON = process.env.PLAMO_MICROPYTHON ?? '';
const CAR = 'rps13';
// The shortest keepalive AWS IoT Core accepts, so a dead link is found in under a minute.
const KEEPALIVE_S = 30;
const config = parseConfig({ ...loadConfig('plamo.config.ts'), keepaliveS: KEEPALIVE_S });
const topics = carTopics(config.topicRoot, CAR);

jest.setTimeout(150_000);

let work: string;
let twin: Twin;
let proxy: FaultProxy;
let pico: RealPico | undefined;
const messages: (BrokerMessage & { at: number })[] = [];

async function until<T>(what: string, read: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms. The board printed:\n${pico?.transcript() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The parts of the API's answers the tier reads: a PUT's command id, a GET's lamps. */
interface LampView {
  readonly pending: boolean;
  readonly reported: { readonly id: string | null } | null;
}
interface ApiAnswer {
  readonly id?: string;
  readonly lamps?: Record<string, LampView>;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: ApiAnswer }> {
  const response = await fetch(`${twin.url}/api/cars/${CAR}${path}`, {
    method,
    headers: { authorization: `Bearer ${twin.token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** The car's own status messages since `since`, newest last. */
const statusesSince = (since: number) =>
  messages
    .filter((m) => m.at >= since && m.topic === topics.status && m.clientId === CAR)
    .map((m) => JSON.parse(m.payload.toString()) as { online: boolean });

const onlineSince = (since: number) => statusesSince(since).some((status) => status.online);

function bundleDir(name: string, rootCa?: Uint8Array): Promise<string> {
  return buildLocalDeviceBundle({ config, carId: CAR, pki: twin.pki, mqttPort: proxy.port }).then((bundle) => {
    const files = new Map(bundle);
    if (rootCa) files.set(DEVICE_CERT_FILES.rootCa, { content: rootCa });
    const dir = join(work, name);
    writeBundle(dir, files);
    return dir;
  });
}

async function bootCar(dir: string): Promise<RealPico> {
  pico = new RealPico(MICROPYTHON, dir);
  pico.boot();
  return pico;
}

/**
 * Sends a command through the API and waits for the lamp's pin (lit or dark: the firmware maps brightness
 * to duty on its own curve) and the API's `pending: false`; resolves to the pin's level.
 */
async function commandApplied(lamp: string, command: { mode: 'on' | 'off'; brightness?: number }, board: RealPico): Promise<number> {
  const put = await api('PUT', `/lamps/${lamp}`, command);
  expect(put.status).toBe(202);
  const lit = command.mode === 'on';
  await until(`${lamp} ${command.mode}`, () => board.lampLevel(config, CAR, lamp) > 0 === lit, 10_000);
  await pollView((lamps) => lamps[lamp]?.pending === false && lamps[lamp]?.reported?.id === put.json.id, 10_000);
  return board.lampLevel(config, CAR, lamp);
}

async function pollView(accept: (lamps: Record<string, LampView>) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await api('GET', '');
    if (accept(view.json.lamps ?? {})) return view.json;
    if (Date.now() > deadline)
      throw new Error(`the API never showed the report: ${JSON.stringify(view.json)}\n${pico?.transcript() ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'plamo-device-tier-'));
  twin = await startTwin({
    config,
    httpPort: 0,
    mqttPort: 0,
    pkiDir: join(work, 'pki'),
    observe: (message) => messages.push({ ...message, at: Date.now() }),
  });
  proxy = await startFaultProxy(twin.mqttPort);
});

afterEach(async () => {
  await pico?.powerOff();
  pico = undefined;
  proxy.mode = 'pass';
  proxy.cut();
});

afterAll(async () => {
  await proxy?.close();
  await twin?.close();
  rmSync(work, { recursive: true, force: true });
});

test('connects over mutual TLS with the DER files and announces itself online', async () => {
  const since = Date.now();
  const board = await bootCar(await bundleDir('connects'));
  await until('status online', () => onlineSince(since), 30_000);
  expect(board.resets).toBe(0);
});

test('applies a command from the API and reports it: the pin follows and the API shows pending:false', async () => {
  const since = Date.now();
  const board = await bootCar(await bundleDir('commands'));
  await until('status online', () => onlineSince(since), 30_000);
  const dimmed = await commandApplied('headlights', { mode: 'on', brightness: 30 }, board);
  const bright = await commandApplied('headlights', { mode: 'on', brightness: 90 }, board);
  expect(bright).toBeGreaterThan(dimmed);
  expect(await commandApplied('headlights', { mode: 'off' }, board)).toBe(0);
});

test('restores retained commands after a power cut and after a cut link, with a command sent while offline', async () => {
  const dir = await bundleDir('retained');
  let since = Date.now();
  let board = await bootCar(dir);
  await until('status online', () => onlineSince(since), 30_000);
  const braking = await commandApplied('brake', { mode: 'on', brightness: 40 }, board);

  await board.powerOff();
  since = Date.now();
  board = await bootCar(dir);
  await until('status online after the power cut', () => onlineSince(since), 30_000);
  await until('brake restored from its retained command', () => board.lampLevel(config, CAR, 'brake') === braking, 10_000);

  proxy.mode = 'refuse';
  proxy.cut();
  const put = await api('PUT', '/lamps/headlights', { mode: 'on' });
  expect(put.status).toBe(202);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  since = Date.now();
  proxy.mode = 'pass';
  await until('status online after the cut', () => onlineSince(since), 90_000);
  await until('the command sent while offline applied', () => board.lampLevel(config, CAR, 'headlights') > 0, 10_000);
  await pollView((lamps) => lamps.headlights?.reported?.id === put.json.id && lamps.headlights?.pending === false, 10_000);
  expect(board.resets).toBe(0);
});

test(`finds a black-holed link within 1.5 × keepalive (${1.5 * KEEPALIVE_S} s) and comes back online`, async () => {
  const since = Date.now();
  const board = await bootCar(await bundleDir('black-hole'));
  await until('status online', () => onlineSince(since), 30_000);
  // Black-holed only once the link is idle: a publish still waiting for its PUBACK would find the dead link
  // by itself, and an idle link is the one a car must not believe in for long.
  const lamps = Object.keys(config.cars[CAR].lamps);
  await until(
    'every lamp reported and the link quiet for 2 s',
    () => {
      const mine = messages.filter((m) => m.at >= since && m.clientId === CAR);
      const reported = lamps.every((lamp) => mine.some((m) => m.topic === topics.lampState(lamp)));
      return reported && Date.now() - (mine.at(-1)?.at ?? 0) >= 2_000;
    },
    30_000,
  );
  const connections = proxy.accepted.length;
  proxy.mode = 'blackHole';
  const holed = Date.now();
  const reconnected = await until(
    'a new connection after the black hole',
    () => proxy.accepted[connections],
    1.5 * KEEPALIVE_S * 1000 + 5_000,
  );
  expect(reconnected - holed).toBeLessThanOrEqual(1.5 * KEEPALIVE_S * 1000);
  const back = Date.now();
  proxy.mode = 'pass';
  await until('status online after the black hole', () => onlineSince(back), 90_000);
  expect(board.resets).toBe(0);
});

test('survives a wrong root CA without a reset loop: it retries with backoff and never goes online', async () => {
  const foreign = await ensureLocalPki({ dir: join(work, 'foreign-pki'), carIds: [CAR] });
  const since = Date.now();
  const connections = proxy.accepted.length;
  const board = await bootCar(await bundleDir('wrong-ca', foreign.ca.der));
  await until('a second attempt to connect', () => proxy.accepted.length >= connections + 2, 60_000);
  expect(board.resets).toBe(0);
  expect(onlineSince(since)).toBe(false);
});
