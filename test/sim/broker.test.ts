import { createServer } from 'node:net';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { carTopics } from '../../lib/contract';
import { type BrokerMessage, type LocalBroker, startLocalBroker } from '../../lib/sim/broker';
import { PortInUseError } from '../../lib/sim/listen';
import { CONTROLLER_COMMON_NAME, type LocalPki } from '../../lib/pki/local-ca';
import { closed, connectAs, nextMessage, temporaryPki, twoCarConfig } from './support';

const config = twoCarConfig();
const topicsA = carTopics(config.topicRoot, 'carA');
const topicsB = carTopics(config.topicRoot, 'carB');
let pki: LocalPki & { remove(): void };
let foreignPki: LocalPki & { remove(): void };
let broker: LocalBroker;
const clients: MqttClient[] = [];
const log: string[] = [];

beforeAll(async () => {
  pki = await temporaryPki(['carA', 'carB']);
  foreignPki = await temporaryPki(['carA']);
  broker = await startLocalBroker({ config, pki, port: 0, log: (line) => log.push(line) });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
});

afterAll(async () => {
  await broker.close();
  pki.remove();
  foreignPki.remove();
});

async function connect(identity: keyof LocalPki['cars'] | 'controller', clientId?: string): Promise<MqttClient> {
  const id = identity === 'controller' ? pki.controller : pki.cars[identity];
  const client = await connectAs(broker.port, pki.ca.pem, id, clientId ?? id.commonName);
  clients.push(client);
  return client;
}

describe('who may connect', () => {
  test('a car connects with its own certificate and client id', async () => {
    const client = await connect('carA');
    expect(client.connected).toBe(true);
  });

  test('a client without a certificate is refused', async () => {
    // TLS 1.3 alert 116: the broker demands a client certificate before any MQTT is spoken.
    await expect(connectAs(broker.port, pki.ca.pem, undefined, 'carA')).rejects.toThrow(/alert certificate required/);
  });

  test('a certificate from another CA is refused', async () => {
    await expect(connectAs(broker.port, pki.ca.pem, foreignPki.cars.carA, 'carA')).rejects.toThrow(
      /alert unknown ca|closed before CONNACK/,
    );
  });

  test("car A's certificate cannot connect as car B: the thing carB has no such certificate attached", async () => {
    await expect(connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carB')).rejects.toThrow(/Not authorized/i);
    expect(log).toContain("refused carB: the policy of certificate 'carA' does not allow iot:Connect as 'carB'");
  });

  test('a car cannot connect with a client id that names no thing', async () => {
    await expect(connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carA-2')).rejects.toThrow(/Not authorized/i);
  });
});

describe('what a car may do', () => {
  test("a car's retained state is kept by the broker", async () => {
    const car = await connect('carA');
    await car.publishAsync(topicsA.lampState('headlights'), '{"mode":"on"}', { qos: 1, retain: true });
    expect(broker.retained(topicsA.lampState('headlights'))?.payload.toString()).toBe('{"mode":"on"}');
  });

  test('a command from the controller reaches its car', async () => {
    const car = await connect('carA');
    await car.subscribeAsync(topicsA.lampSet('headlights'), { qos: 1 });
    const controller = await connect('controller');
    const received = nextMessage(car, topicsA.lampSet('headlights'));
    await controller.publishAsync(topicsA.lampSet('headlights'), '{"mode":"on"}', { qos: 1 });
    expect((await received).payload).toBe('{"mode":"on"}');
  });

  test("car A cannot publish to car B's topics: it is disconnected and nothing is routed", async () => {
    const routed: string[] = [];
    const stop = broker.onMessage((message) => routed.push(message.topic));
    const car = await connect('carA');
    const disconnected = closed(car);
    car.publish(topicsB.lampState('headlights'), '{"mode":"on"}', { qos: 1 });
    await disconnected;
    stop();
    expect(routed).not.toContain(topicsB.lampState('headlights'));
    expect(log).toContain(`denied: carA may not publish to ${topicsB.lampState('headlights')}`);
  });

  test("car A cannot subscribe to car B's commands", async () => {
    const car = await connect('carA');
    await expect(car.subscribeAsync(topicsB.lampSet('headlights'), { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
  });

  test("a car subscribes to each of its lamps by its exact filter, never with '+'", async () => {
    const car = await connect('carA');
    await expect(car.subscribeAsync(topicsA.lampSet('+'), { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    await expect(car.subscribeAsync(topicsA.lampSet('turnLeft'), { qos: 1 })).resolves.toEqual([
      expect.objectContaining({ topic: topicsA.lampSet('turnLeft'), qos: 1 }),
    ]);
  });

  test('a car cannot subscribe to every topic with a wildcard', async () => {
    const car = await connect('carA');
    await expect(car.subscribeAsync(`${config.topicRoot}/#`, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
  });

  test('a car cannot send itself commands', async () => {
    const car = await connect('carA');
    const disconnected = closed(car);
    car.publish(topicsA.lampSet('headlights'), '{"mode":"on"}', { qos: 1 });
    await disconnected;
    expect(log).toContain(`denied: carA may not publish to ${topicsA.lampSet('headlights')}`);
  });

  test("a car's retained last will is routed and kept when its connection drops", async () => {
    const car = await connectAs(broker.port, pki.ca.pem, pki.cars.carB, 'carB', {
      will: { topic: topicsB.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const will = new Promise<BrokerMessage>((resolve) => {
      const stop = broker.onMessage((message) => {
        if (message.topic !== topicsB.status) return;
        stop();
        resolve(message);
      });
    });
    (car.stream as unknown as { destroy(): void }).destroy();
    expect((await will).payload.toString()).toBe('{"online":false}');
    expect(broker.retained(topicsB.status)?.payload.toString()).toBe('{"online":false}');
    await car.endAsync(true);
  });

  test("a car's last will on another car's topic is refused when its connection drops", async () => {
    const routed: string[] = [];
    const stop = broker.onMessage((message) => routed.push(message.topic));
    const car = await connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carA', {
      will: { topic: topicsB.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const denial = `denied: carA may not publish retained to ${topicsB.status}`;
    (car.stream as unknown as { destroy(): void }).destroy();
    while (!log.includes(denial)) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    expect(routed).not.toContain(topicsB.status);
    await car.endAsync(true);
  });
});

describe('what the controller may do', () => {
  test('the controller cannot publish a lamp state', async () => {
    const controller = await connect('controller');
    const disconnected = closed(controller);
    controller.publish(topicsA.lampState('headlights'), '{"mode":"on"}', { qos: 1 });
    await disconnected;
    expect(log).toContain(`denied: ${CONTROLLER_COMMON_NAME} may not publish to ${topicsA.lampState('headlights')}`);
  });
});

test('the broker reports every routed message to its observers', async () => {
  const seen: string[] = [];
  const stop = broker.onMessage((message) => seen.push(`${message.clientId} ${message.topic}`));
  const car = await connect('carA');
  await car.publishAsync(topicsA.status, '{"online":true,"fw":"1","ip":"x"}', { qos: 1, retain: true });
  stop();
  expect(seen).toContain(`carA ${topicsA.status}`);
});

test('a taken port is reported with the option that picks another', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  try {
    const starting = startLocalBroker({ config, pki, port, retainedFile: join(pki.dir, 'port-taken.jsonl') });
    await expect(starting).rejects.toBeInstanceOf(PortInUseError);
    await expect(starting).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use; stop the program holding it or choose another port with --mqtt-port`,
    );
    // The store it opened was closed again, so the next start on that file is not refused as busy.
    await (await startLocalBroker({ config, pki, port: 0, retainedFile: join(pki.dir, 'port-taken.jsonl') })).close();
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});
