import type { MqttClient } from 'mqtt';
import { carTopics } from '../../../lib/contract';
import { AWS_IOT_LIMITS, clampKeepAlive, topicLimitProblem } from '../../../lib/sim/aws-iot/limits';
import { type LocalBroker, startLocalBroker } from '../../../lib/sim/broker';
import { testConfig } from '../../api/fixtures';
import { closed, connectAs, temporaryPki } from '../support';
import { type RawClient, rawConnect } from './raw-client';

/** AWS IoT Core's documented differences from MQTT 3.1.1, as a client of the twin's broker meets them. */
jest.setTimeout(30_000);

const config = testConfig;
const car = 'rps13';
const topics = carTopics(config.topicRoot, car);
const lamp = Object.keys(config.cars[car].lamps)[0];
/** Long enough for a broker on loopback to have answered, had it meant to. */
const ANSWER_MS = 500;

let pki: Awaited<ReturnType<typeof temporaryPki>>;
let broker: LocalBroker;
const log: string[] = [];
const open: { end(): void }[] = [];

beforeAll(async () => {
  pki = await temporaryPki(Object.keys(config.cars));
  broker = await startLocalBroker({ config, pki, port: 0, log: (line) => log.push(line) });
});

afterEach(async () => {
  for (const client of open.splice(0)) client.end();
});

afterAll(async () => {
  await broker?.close();
  pki?.remove();
});

async function raw(keepalive?: number): Promise<RawClient> {
  const client = await rawConnect(broker.port, pki, pki.cars[car], car, keepalive);
  open.push(client);
  return client;
}

async function controller(): Promise<MqttClient> {
  const client = await connectAs(broker.port, pki.ca.pem, pki.controller, pki.controller.commonName);
  open.push({ end: () => client.end(true) });
  return client;
}

describe('retained messages', () => {
  test('a retained command reaches a subscription to its exact topic, never one with a wildcard', async () => {
    const api = await controller();
    await api.publishAsync(topics.lampSet(lamp), '{"mode":"on","id":"r1","ts":1}', { qos: 1, retain: true });
    const exact = await raw();
    exact.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.lampSet(lamp), qos: 1 }] });
    expect(await exact.next('publish', ANSWER_MS * 4)).toMatchObject({ topic: topics.lampSet(lamp), retain: true });
    exact.end();

    const wildcard = await raw();
    wildcard.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: topics.lampSet('+'), qos: 1 }] });
    expect(await wildcard.next('suback', ANSWER_MS)).toBeDefined();
    expect(await wildcard.next('publish', ANSWER_MS)).toBeUndefined();
  });
});

describe('QoS 2', () => {
  test('a QoS 2 publish gets no PUBREC or PUBACK and is not routed; the connection stays', async () => {
    const routed: string[] = [];
    const stop = broker.onMessage((message) => routed.push(message.topic));
    const client = await raw();
    client.send({ cmd: 'publish', topic: topics.status, payload: '{"online":true}', qos: 2, messageId: 7, retain: false });
    expect(await client.next('pubrec', ANSWER_MS)).toBeUndefined();
    stop();
    expect(routed).not.toContain(topics.status);
    expect(client.isClosed()).toBe(false);
  });

  test('a SUBSCRIBE asking for QoS 2 gets no SUBACK', async () => {
    const client = await raw();
    client.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: topics.lampSet(lamp), qos: 2 }] });
    expect(await client.next('suback', ANSWER_MS)).toBeUndefined();
  });
});

describe('connections', () => {
  test('a second connection with the same client id disconnects the first', async () => {
    const first = await raw();
    await raw();
    await first.closed;
    expect(first.isClosed()).toBe(true);
  });

  test('a keepalive below 30 s is raised to 30 s: a client silent for 1.5 × its own 1 s is not dropped', async () => {
    const client = await raw(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(client.isClosed()).toBe(false);
  });

  test('keepalives are clamped to 30–1200 s, and 0 means the maximum', () => {
    expect([0, 1, 29, 30, 600, 1200, 1201, 65535].map(clampKeepAlive)).toEqual([1200, 30, 30, 30, 600, 1200, 1200, 1200]);
  });

  test('a client id over 128 bytes is refused', async () => {
    await expect(connectAs(broker.port, pki.ca.pem, pki.cars[car], 'x'.repeat(AWS_IOT_LIMITS.clientIdMaxBytes + 1))).rejects.toThrow(
      /Identifier rejected/i,
    );
  });
});

describe('limits', () => {
  test.each([
    ['a payload over 128 KB', topics.status, Buffer.alloc(AWS_IOT_LIMITS.payloadMaxBytes + 1, 'x')],
    ['a topic over 256 bytes', `${topics.status}/${'x'.repeat(250)}`, Buffer.from('{}')],
    ['a topic with 8 slashes', `${topics.status}/a/b/c/d/e`, Buffer.from('{}')],
    ['a reserved $aws topic', `$aws/things/${car}/shadow/update`, Buffer.from('{}')],
  ])('%s closes the connection and is not routed', async (_case, topic, payload) => {
    const routed: string[] = [];
    const stop = broker.onMessage((message) => routed.push(message.topic));
    const client = await raw();
    client.send({ cmd: 'publish', topic, payload, qos: 1, messageId: 9, retain: false });
    await client.closed;
    stop();
    expect(routed).not.toContain(topic);
  });

  test('a payload of exactly 128 KB is accepted', async () => {
    const client = await raw();
    client.send({
      cmd: 'publish',
      topic: topics.events,
      payload: Buffer.alloc(AWS_IOT_LIMITS.payloadMaxBytes, 'x'),
      qos: 1,
      messageId: 9,
      retain: false,
    });
    expect(await client.next('puback', ANSWER_MS * 4)).toMatchObject({ messageId: 9 });
  });

  test('topic limits name what is wrong', () => {
    expect(topicLimitProblem('a'.repeat(257))).toBe('a topic of 257 bytes (at most 256)');
    expect(topicLimitProblem('a/b/c/d/e/f/g/h/i')).toBe('a topic with 8 slashes (at most 7)');
    expect(topicLimitProblem('a/\u0000')).toBe('a topic with a NUL character');
    expect(topicLimitProblem('a/b/c/d/e/f/g/h')).toBeUndefined();
  });

  test('a SUBSCRIBE with more than 8 filters closes the connection', async () => {
    const client = await raw();
    const subscriptions = Array.from({ length: AWS_IOT_LIMITS.filtersPerSubscribe + 1 }, () => ({ topic: topics.lampSet(lamp), qos: 1 }));
    client.send({ cmd: 'subscribe', messageId: 4, subscriptions });
    await client.closed;
    expect(log).toContain(`closed ${car}: 9 filters in one SUBSCRIBE (at most 8)`);
  });

  test('no more than 100 QoS 1 messages are in flight to a client that does not acknowledge them', async () => {
    const api = await controller();
    // An empty retained message deletes an earlier test's, so only the live messages below are in flight.
    await api.publishAsync(topics.lampSet(lamp), '', { qos: 1, retain: true });
    const client = await raw();
    client.send({ cmd: 'subscribe', messageId: 5, subscriptions: [{ topic: topics.lampSet(lamp), qos: 1 }] });
    await client.next('suback', ANSWER_MS * 4);
    const sent = AWS_IOT_LIMITS.inflightOutboundQos1 + 5;
    for (let i = 0; i < sent; i++) await api.publishAsync(topics.lampSet(lamp), `{"mode":"on","id":"m${i}","ts":${i}}`, { qos: 1 });
    let delivered = 0;
    while ((await client.next('publish', ANSWER_MS)) !== undefined) delivered++;
    expect(delivered).toBe(AWS_IOT_LIMITS.inflightOutboundQos1);
    expect(log.filter((line) => line.startsWith(`dropped ${topics.lampSet(lamp)} for ${car}`))).toHaveLength(5);
  });
});

test('an unauthorised publish disconnects the client', async () => {
  const other = carTopics(config.topicRoot, 'ae86-trueno');
  const client = await connectAs(broker.port, pki.ca.pem, pki.cars[car], car);
  const disconnected = closed(client);
  client.publish(other.status, '{}', { qos: 1 });
  await disconnected;
});
