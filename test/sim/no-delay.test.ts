import { Socket } from 'node:net';
import mqtt from 'mqtt';
import { type LocalBroker, startLocalBroker } from '../../lib/sim/broker';
import { disableNagleOnClient } from '../../lib/sim/no-delay';
import { CONTROLLER_COMMON_NAME } from '../../lib/pki/local-ca';
import { connectAs, temporaryPki, twoCarConfig } from './support';

const config = twoCarConfig();
let pki: Awaited<ReturnType<typeof temporaryPki>>;
let broker: LocalBroker;

beforeAll(async () => {
  pki = await temporaryPki(Object.keys(config.cars));
  broker = await startLocalBroker({ config, pki, port: 0 });
});

afterAll(async () => {
  await broker.close();
  pki.remove();
});

afterEach(() => jest.restoreAllMocks());

/** The sockets setNoDelay(true) was called on since the spy was made. */
function socketsWithNagleOff(spy: jest.SpyInstance): unknown[] {
  return spy.mock.calls.map((args, i) => (args[0] === true ? spy.mock.contexts[i] : undefined)).filter(Boolean);
}

test('the broker turns Nagle off on every connection it accepts', async () => {
  const spy = jest.spyOn(Socket.prototype, 'setNoDelay');
  const client = await connectAs(broker.port, pki.ca.pem, pki.cars.carA, 'carA');
  const accepted = socketsWithNagleOff(spy).filter((socket) => (socket as { server?: unknown }).server !== undefined);
  await client.endAsync(true);
  expect(accepted).toHaveLength(1);
});

test('an mqtt.js client gets Nagle off on its first socket and again on the new one after a reconnect', async () => {
  const spy = jest.spyOn(Socket.prototype, 'setNoDelay');
  const client = mqtt.connect(`mqtts://127.0.0.1:${broker.port}`, {
    ca: pki.ca.pem,
    cert: pki.controller.cert.pem,
    key: pki.controller.key.pem,
    clientId: CONTROLLER_COMMON_NAME,
    reconnectPeriod: 50,
  });
  disableNagleOnClient(client);
  await new Promise((resolve) => client.once('connect', resolve));
  const first = client.stream;
  first.destroy();
  await new Promise((resolve) => client.once('connect', resolve));
  const second = client.stream;
  await client.endAsync(true);
  expect(second).not.toBe(first);
  expect(socketsWithNagleOff(spy)).toEqual(expect.arrayContaining([first, second]));
});
