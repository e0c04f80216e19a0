import { carTopics } from '../../lib/contract';
import { type LocalBroker, startLocalBroker } from '../../lib/sim/broker';
import { MqttJsBackend } from '../../lib/sim/mqtt-js-backend';
import { ECONNREFUSED, ECONNRESET, type MqttConnectRequest, type MqttSocketError } from '../../lib/sim/pico';
import type { LocalPki } from '../../lib/sim/pki';
import { connectAs, temporaryPki, twoCarConfig } from './support';

const config = twoCarConfig();
const topics = carTopics(config.topicRoot, 'carA');
let pki: LocalPki & { remove(): void };
let broker: LocalBroker;
const backends: MqttJsBackend[] = [];

beforeAll(async () => {
  pki = await temporaryPki(['carA', 'carB']);
  broker = await startLocalBroker({ config, pki, port: 0 });
});

afterEach(() => {
  for (const backend of backends.splice(0)) backend.close();
});

afterAll(async () => {
  await broker.close();
  pki.remove();
});

/** What the firmware hands over: car A's DER files from its SSLContext. */
function request(clientId = 'carA'): MqttConnectRequest {
  return {
    clientId,
    host: '127.0.0.1',
    port: broker.port,
    keepaliveS: 60,
    cleanSession: true,
    timeoutS: 5,
    will: { topic: topics.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    tls: { caDer: pki.ca.der, certDer: pki.cars.carA.cert.der, keyDer: pki.cars.carA.key.der, serverHostname: '127.0.0.1' },
  };
}

function backend(onConnected?: () => void): MqttJsBackend {
  const created = new MqttJsBackend(onConnected);
  backends.push(created);
  return created;
}

/** Calls `poll` until it returns a message or throws, yielding to the event loop in between. */
async function pollUntil(target: MqttJsBackend): Promise<ReturnType<MqttJsBackend['poll']>> {
  for (;;) {
    const message = target.poll();
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function failureOf(target: MqttJsBackend): Promise<MqttSocketError> {
  try {
    await pollUntil(target);
  } catch (error) {
    return error as MqttSocketError;
  }
  throw new Error('poll returned a message instead of failing');
}

test('connect answers at once and reports the accepted session when it comes', async () => {
  const accepted = new Promise<void>((resolve) => {
    expect(backend(resolve).connect(request())).toBe(0);
  });
  await accepted;
});

test('what the firmware publishes before the CONNACK still reaches the broker', async () => {
  const online = new Promise<string>((resolve) => {
    // An earlier session's will comes first when this connection takes its client id over.
    const stop = broker.onMessage((message) => {
      if (message.topic !== topics.status || !message.payload.toString().includes('"online":true')) return;
      stop();
      resolve(message.payload.toString());
    });
  });
  const car = backend();
  car.connect(request());
  car.publish(topics.status, Buffer.from('{"online":true,"fw":"t","ip":"x"}'), 1, true);
  expect(await online).toBe('{"online":true,"fw":"t","ip":"x"}');
});

test('a command for the car comes out of poll with its topic and payload', async () => {
  const car = backend();
  car.connect(request());
  car.subscribe(topics.lampSet('headlights'), 1);
  const controller = await connectAs(broker.port, pki.ca.pem, pki.controller, pki.controller.commonName);
  // Retained, as for a car with powerOn "restore": it arrives however the subscription and publish interleave.
  await controller.publishAsync(topics.lampSet('headlights'), '{"mode":"on","id":"c1","ts":1}', { qos: 1, retain: true });
  const message = await pollUntil(car);
  await controller.endAsync(true);
  expect(message?.topic.toString()).toBe(topics.lampSet('headlights'));
  expect(message?.payload.toString()).toBe('{"mode":"on","id":"c1","ts":1}');
});

test("a refused CONNACK surfaces as a refused socket on the firmware's next call", async () => {
  const car = backend();
  expect(car.connect(request('carB'))).toBe(0);
  expect((await failureOf(car)).errno).toBe(ECONNREFUSED);
});

test("a connection the broker drops surfaces as a reset on the firmware's next call", async () => {
  const car = backend();
  car.connect(request());
  car.publish(topics.lampSet('headlights'), Buffer.from('{}'), 1, false);
  expect((await failureOf(car)).errno).toBe(ECONNRESET);
});

test('a connection without TLS is refused, as the broker takes none', () => {
  const { tls: _tls, ...plain } = request();
  expect(() => backend().connect(plain)).toThrow('the local broker takes TLS connections only');
});
