import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { carTopics } from '../../../lib/contract';
import { RetainedStore, RetainedStoreBusyError } from '../../../lib/sim/aws-iot/retained-store';
import { RETAINED_FILE, startLocalBroker } from '../../../lib/sim/broker';
import { testConfig } from '../../api/fixtures';
import { connectAs, nextMessage, temporaryPki } from '../support';

/** Retained messages outlive the broker, even one killed with SIGKILL in the middle of a stream of publishes. */
jest.setTimeout(60_000);

const config = testConfig;
const car = 'rps13';
const topics = carTopics(config.topicRoot, car);
const lamps = Object.keys(config.cars[car].lamps);

let pki: Awaited<ReturnType<typeof temporaryPki>>;

beforeAll(async () => {
  pki = await temporaryPki(Object.keys(config.cars));
});

afterAll(() => pki?.remove());

function startBrokerProcess(): Promise<{ child: ChildProcess; port: number }> {
  // node itself, not the tsx launcher, so that SIGKILL reaches the process that holds the broker.
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'broker-process.ts'), pki.dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => resolve({ child, port: Number(chunk.toString().trim()) }));
  });
}

test('SIGKILL in the middle of a stream of retained publishes loses none that was acknowledged', async () => {
  const { child, port } = await startBrokerProcess();
  const client = await connectAs(port, pki.ca.pem, pki.cars[car], car, { reconnectPeriod: 0 });
  client.on('error', () => {});
  const acknowledged = new Map<string, number>();
  let sequence = 0;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Up to 20 publishes in flight at any time, so the kill lands while some are unacknowledged.
  let inFlight = 0;
  const stream = (async () => {
    while (client.connected) {
      if (inFlight >= 20) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      const topic = topics.lampState(lamps[sequence % lamps.length]);
      const n = ++sequence;
      inFlight++;
      client
        .publishAsync(topic, `{"n":${n}}`, { qos: 1, retain: true })
        .then(
          () => acknowledged.set(topic, Math.max(acknowledged.get(topic) ?? 0, n)),
          () => {},
        )
        .finally(() => inFlight--);
    }
  })();
  while (acknowledged.size < lamps.length || [...acknowledged.values()].reduce((a, b) => a + b, 0) < 400) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await exited;
  await stream;
  client.end(true);

  const store = RetainedStore.open(join(pki.dir, RETAINED_FILE));
  try {
    for (const [topic, n] of acknowledged) {
      const kept = JSON.parse(store.get(topic)?.payload.toString() ?? '{"n":0}') as { n: number };
      // The kept one is the last acknowledged, or one published after it whose PUBACK the kill cut off.
      expect(kept.n).toBeGreaterThanOrEqual(n);
    }
  } finally {
    store.close();
  }
});

test('the next start hands the kept retained messages to exact subscriptions', async () => {
  const first = await startLocalBroker({ config, pki, port: 0 });
  const api = await connectAs(first.port, pki.ca.pem, pki.controller, pki.controller.commonName);
  await api.publishAsync(topics.lampSet(lamps[0]), '{"mode":"on","id":"kept","ts":1}', { qos: 1, retain: true });
  await api.endAsync(true);
  await first.close();

  const second = await startLocalBroker({ config, pki, port: 0 });
  try {
    const device = await connectAs(second.port, pki.ca.pem, pki.cars[car], car);
    const command = nextMessage(device, topics.lampSet(lamps[0]));
    await device.subscribeAsync(topics.lampSet(lamps[0]), { qos: 1 });
    expect(await command).toMatchObject({ payload: '{"mode":"on","id":"kept","ts":1}', retain: true });
    await device.endAsync(true);
  } finally {
    await second.close();
  }
});

test('a log line cut short by a kill is ignored and the lines before it are kept', () => {
  const file = join(pki.dir, 'torn.jsonl');
  const store = RetainedStore.open(file);
  store.put({ topic: 'a', payload: Buffer.from('1'), qos: 1, lastModified: 1 });
  store.close();
  require('node:fs').appendFileSync(file, '{"topic":"a","payl');
  const reopened = RetainedStore.open(file);
  expect(reopened.get('a')?.payload.toString()).toBe('1');
  reopened.close();
});

test('each message keeps the time the broker took it across a reopen; a line from before times were kept reads as the reopening time', () => {
  const file = join(pki.dir, 'times.jsonl');
  const store = RetainedStore.open(file);
  store.put({ topic: 'a', payload: Buffer.from('1'), qos: 1, lastModified: 1_700_000_000_000 });
  store.close();
  require('node:fs').appendFileSync(file, `${JSON.stringify({ topic: 'b', payload: Buffer.from('2').toString('base64'), qos: 0 })}\n`);
  const before = Date.now();
  const reopened = RetainedStore.open(file);
  expect(reopened.get('a')?.lastModified).toBe(1_700_000_000_000);
  expect(reopened.get('b')?.lastModified).toBeGreaterThanOrEqual(before);
  expect(
    reopened
      .all()
      .map((message) => message.topic)
      .sort(),
  ).toEqual(['a', 'b']);
  reopened.close();
});

test('a log has one owner: a second open is refused while the first is open, and allowed once it is closed', () => {
  const file = join(pki.dir, 'owned.jsonl');
  const first = RetainedStore.open(file);
  expect(() => RetainedStore.open(file)).toThrow(RetainedStoreBusyError);
  expect(() => RetainedStore.open(file)).toThrow(`in use by another running twin (process ${process.pid})`);
  first.put({ topic: 'a', payload: Buffer.from('1'), qos: 1, lastModified: 1 });
  first.close();
  const second = RetainedStore.open(file);
  expect(second.get('a')?.payload.toString()).toBe('1');
  second.close();
});

test('a lock left by a killed process is taken over, and the messages it kept are there', async () => {
  const { child, port } = await startBrokerProcess();
  const client = await connectAs(port, pki.ca.pem, pki.cars[car], car, { reconnectPeriod: 0 });
  client.on('error', () => {});
  await client.publishAsync(topics.lampState(lamps[0]), '{"mode":"on","id":"before-kill","ts":1}', { qos: 1, retain: true });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  await client.endAsync(true);
  expect(() => require('node:fs').statSync(join(pki.dir, `${RETAINED_FILE}.lock`))).not.toThrow();
  const store = RetainedStore.open(join(pki.dir, RETAINED_FILE));
  try {
    expect(store.get(topics.lampState(lamps[0]))?.payload.toString()).toContain('before-kill');
  } finally {
    store.close();
  }
});
