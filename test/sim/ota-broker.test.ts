import type { MqttClient } from 'mqtt';
import { otaTopics } from '../../lib/contract';
import type { LocalPki } from '../../lib/pki/local-ca';
import { type LocalBroker, startLocalBroker } from '../../lib/sim/broker';
import { closed, connectAs, nextMessage, temporaryPki, twoCarConfig } from './support';

/**
 * The twin's broker answers the AWS IoT Jobs and MQTT file delivery topics, and judges every request by the
 * car's deployed policy: a car reaches its own job queue and stream, and nothing of another car's.
 */
const config = twoCarConfig();
const a = otaTopics('carA');
const b = otaTopics('carB');
let pki: LocalPki & { remove(): void };
let broker: LocalBroker;
const log: string[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  pki = await temporaryPki(['carA', 'carB']);
  broker = await startLocalBroker({ config, pki, port: 0, log: (line) => log.push(line) });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});

afterAll(async () => {
  await broker.close();
  pki.remove();
});

async function carA(): Promise<MqttClient> {
  const client = await connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carA');
  clients.push(client);
  return client;
}

test('a car asks its own job queue and hears of a new job for it, as on AWS', async () => {
  const car = await carA();
  await car.subscribeAsync([a.nextGetAccepted, a.notifyNext], { qos: 1 });
  const answer = nextMessage(car, a.nextGetAccepted);
  await car.publishAsync(a.nextGet, '{"clientToken":"online"}', { qos: 1 });
  expect(JSON.parse((await answer).payload)).toEqual({ timestamp: expect.any(Number), clientToken: 'online' });
  const notified = nextMessage(car, a.notifyNext);
  broker.jobs.createJob('carA', 'plamo-ota-broker-1', { operation: 'plamo-ota' });
  expect(JSON.parse((await notified).payload)).toMatchObject({ execution: { jobId: 'plamo-ota-broker-1', status: 'QUEUED' } });
});

test("a car's requests reach the service, never another subscriber", async () => {
  const car = await carA();
  const seen: string[] = [];
  const stop = broker.onMessage((message) => message.topic === a.nextGet && seen.push(message.clientId ?? ''));
  await car.subscribeAsync(a.nextGetAccepted, { qos: 1 });
  const answer = nextMessage(car, a.nextGetAccepted);
  await car.publishAsync(a.nextGet, '{}', { qos: 1 });
  await answer;
  stop();
  // The broker saw the request (as AWS IoT rules could), and only the service answered it.
  expect(seen).toEqual(['carA']);
});

test("a car may not subscribe to another car's job queue or stream", async () => {
  const car = await carA();
  for (const filter of [b.notifyNext, b.nextGetAccepted, b.streamData]) {
    await expect(car.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
  }
  // Nor with a wildcard over its own jobs: only the exact filters are granted.
  await expect(car.subscribeAsync('$aws/things/carA/jobs/+/update/accepted', { qos: 1 })).rejects.toMatchObject({
    packet: { granted: [128] },
  });
});

test("a car that asks for another car's stream is disconnected, as AWS IoT Core does with a publish its policy denies", async () => {
  const car = await carA();
  const disconnected = closed(car);
  car.publish(b.streamGet, '{"s":1,"f":0,"l":512,"o":0,"n":1}', { qos: 1 });
  await disconnected;
  expect(log).toContain(`denied: carA may not publish to ${b.streamGet}`);
});

test('a car may update only jobs whose id says they are updates', async () => {
  const car = await carA();
  const disconnected = closed(car);
  car.publish('$aws/things/carA/jobs/someone-elses-job/update', '{"status":"SUCCEEDED"}', { qos: 1 });
  await disconnected;
  expect(log).toContain('denied: carA may not publish to $aws/things/carA/jobs/someone-elses-job/update');
});
