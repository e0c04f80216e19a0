import { createServer } from 'node:net';
import type { MqttClient } from 'mqtt';
import { carTopics, controllerPermissions, devicePermissions } from '../../lib/contract';
import { guard, type LocalBroker, renderBrokerAcl, startLocalBroker } from '../../lib/sim/broker';
import { PortInUseError } from '../../lib/sim/listen';
import { CONTROLLER_COMMON_NAME, type LocalPki } from '../../lib/sim/pki';
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

describe('ACL rendering', () => {
  test("a car's ACL is its device permissions", () => {
    const acl = renderBrokerAcl(config).get('carA');
    const permissions = devicePermissions(config.topicRoot, 'carA', Object.keys(config.cars.carA.lamps));
    expect(acl).toEqual(permissions);
  });

  test('the controller may publish commands to every car and read what the cloud API reads', () => {
    const acl = renderBrokerAcl(config).get(CONTROLLER_COMMON_NAME)!;
    const a = controllerPermissions(config.topicRoot, 'carA', Object.keys(config.cars.carA.lamps));
    const b = controllerPermissions(config.topicRoot, 'carB', Object.keys(config.cars.carB.lamps));
    expect(acl.publish).toEqual([...a.publish, ...b.publish]);
    expect(acl.subscribe).toEqual([...a.readRetained, ...b.readRetained]);
  });
});

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

  test("car A's certificate cannot connect as car B", async () => {
    await expect(connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carB')).rejects.toThrow(/Identifier rejected/i);
  });
});

describe('what a car may do', () => {
  test("a car's state reaches the controller", async () => {
    const controller = await connect('controller');
    await controller.subscribeAsync(topicsA.lampState('headlights'));
    const car = await connect('carA');
    const received = nextMessage(controller, topicsA.lampState('headlights'));
    await car.publishAsync(topicsA.lampState('headlights'), '{"mode":"on"}', { qos: 1 });
    expect((await received).payload).toBe('{"mode":"on"}');
  });

  test('a command from the controller reaches its car', async () => {
    const car = await connect('carA');
    await car.subscribeAsync(topicsA.lampSet('headlights'), { qos: 1 });
    const controller = await connect('controller');
    const received = nextMessage(car, topicsA.lampSet('headlights'));
    await controller.publishAsync(topicsA.lampSet('headlights'), '{"mode":"on"}', { qos: 1 });
    expect((await received).payload).toBe('{"mode":"on"}');
  });

  test("car A cannot publish to car B's topics: it is disconnected and nothing is delivered", async () => {
    const controller = await connect('controller');
    await controller.subscribeAsync(topicsB.lampState('headlights'));
    const delivered: string[] = [];
    controller.on('message', (topic) => delivered.push(topic));
    const car = await connect('carA');
    const disconnected = closed(car);
    car.publish(topicsB.lampState('headlights'), '{"mode":"on"}', { qos: 1 });
    await disconnected;
    expect(delivered).toEqual([]);
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

  test("a car's last will reaches the controller when its connection drops", async () => {
    const controller = await connect('controller');
    await controller.subscribeAsync(topicsB.status);
    const car = await connectAs(broker.port, pki.ca.pem, pki.cars.carB, 'carB', {
      will: { topic: topicsB.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const will = nextMessage(controller, topicsB.status);
    (car.stream as unknown as { destroy(): void }).destroy();
    expect(await will).toEqual({ topic: topicsB.status, payload: '{"online":false}', retain: false });
    await car.endAsync(true);
  });

  test("a car's last will on another car's topic is refused when its connection drops", async () => {
    const routed: string[] = [];
    const stop = broker.onMessage((message) => routed.push(message.topic));
    const car = await connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carA', {
      will: { topic: topicsB.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    const denial = `denied: carA may not publish to ${topicsB.status}`;
    (car.stream as unknown as { destroy(): void }).destroy();
    while (!log.includes(denial)) await new Promise((resolve) => setTimeout(resolve, 10));
    stop();
    expect(routed).not.toContain(topicsB.status);
    await car.endAsync(true);
  });

  test("a will aedes publishes without its client is judged by its owner's ACL", () => {
    const hooks = {} as Parameters<typeof guard>[0];
    guard(hooks, renderBrokerAcl(config), () => {});
    const verdict = (topic: string) => {
      let error: Error | null | undefined;
      hooks.authorizePublish(null, { topic, clientId: 'carA' } as never, (result) => {
        error = result;
      });
      return error === null ? 'allowed' : 'denied';
    };
    expect(verdict(topicsA.status)).toBe('allowed');
    expect(verdict(topicsB.status)).toBe('denied');
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
    const starting = startLocalBroker({ config, pki, port });
    await expect(starting).rejects.toBeInstanceOf(PortInUseError);
    await expect(starting).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use; stop the program holding it or choose another port with --mqtt-port`,
    );
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});
