import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { carTopics } from '../../../lib/contract';
import { RetainedStore } from '../../../lib/sim/aws-iot/retained-store';
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
  store.put({ topic: 'a', payload: Buffer.from('1'), qos: 1 });
  store.close();
  require('node:fs').appendFileSync(file, '{"topic":"a","payl');
  const reopened = RetainedStore.open(file);
  expect(reopened.get('a')?.payload.toString()).toBe('1');
  reopened.close();
});
