import { connect, type Socket } from 'node:net';
import { parseConfig } from '../../lib/config';
import { LOOPBACK } from '../../lib/sim/listen';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualCar } from '../../lib/sim/virtual-car';
import { temporaryPki } from './support';

/**
 * 1,000 sockets that never finish (or never start) a TLS handshake, against a twin with a real virtual car:
 * the car and the API keep working, the broker refuses what is over its caps at once and destroys the rest
 * when their handshake time is up.
 */
jest.setTimeout(60_000);

const HANDSHAKE_TIMEOUT_MS = 1_500;
const PENDING_PER_ADDRESS = 32;
const config = parseConfig({
  cars: { rps13: { wifi: { ssid: 'garage-2g' }, lamps: { headlights: { pin: 'GP2', kind: 'switch', currentMa: 5 } } } },
});

let twin: Twin;
let pki: { dir: string; remove(): void };
const log: string[] = [];

beforeAll(async () => {
  pki = await temporaryPki([]);
  twin = await startTwin({
    config,
    httpPort: 0,
    mqttPort: 0,
    pkiDir: pki.dir,
    startVirtualCar,
    connectionLimits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, pendingPerAddress: PENDING_PER_ADDRESS },
    log: (line) => log.push(line),
  });
});

afterAll(async () => {
  await twin?.close();
  pki?.remove();
});

/** An idle socket; every tenth sends the first bytes of a TLS record and stalls. Resolves when the broker closes it. */
function idleSocket(index: number): { socket: Socket; closed: Promise<void> } {
  const socket = connect(twin.mqttPort, LOOPBACK);
  if (index % 10 === 0) socket.on('connect', () => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])));
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('1,000 idle sockets leave the API and the car working, and every one of them is closed by the broker', async () => {
  await eventually(
    () => twin.cars.get('rps13')?.pinLevel('headlights'),
    (level) => level !== undefined,
  );
  const flood = Array.from({ length: 1_000 }, (_, index) => idleSocket(index));
  await Promise.all(
    flood.map(
      ({ socket }) =>
        new Promise((resolve) => (socket.connecting ? socket.once('connect', resolve).once('close', resolve) : resolve(null))),
    ),
  );

  // While the flood is open: the API answers and the car obeys.
  const response = await fetch(`${twin.url}/api/cars/rps13/lamps/headlights`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${twin.token}`, 'content-type': 'application/json' },
    body: '{"mode":"on"}',
  });
  expect(response.status).toBe(202);
  await eventually(
    () => twin.cars.get('rps13')?.pinLevel('headlights'),
    (level) => level === 1,
  );
  expect(flood.some(({ socket }) => !socket.destroyed)).toBe(true);

  // Nobody closes them but the broker; jest's timeout ends the test if one stays open.
  await Promise.all(flood.map(({ closed }) => closed));

  // One line per handshake timeout while the flood lasts, not one per refused socket.
  const refusals = log.filter((line) => line.startsWith('refused connections from 127.0.0.1'));
  expect(refusals.length).toBeGreaterThan(0);
  expect(refusals.length).toBeLessThan(10);
  for (const line of refusals) {
    expect(line).toBe(
      `refused connections from 127.0.0.1: ${PENDING_PER_ADDRESS} TLS handshakes from it still pending (limit ${PENDING_PER_ADDRESS})`,
    );
  }
  // Those let in were closed when their handshake time was up.
  const timedOut = log.filter((line) => line === `closed a connection from 127.0.0.1: no TLS handshake within ${HANDSHAKE_TIMEOUT_MS} ms`);
  expect(timedOut.length).toBeGreaterThanOrEqual(PENDING_PER_ADDRESS);

  // Afterwards the broker takes new connections again: the car still reports, the API still publishes.
  const off = await fetch(`${twin.url}/api/cars/rps13/lamps/headlights`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${twin.token}`, 'content-type': 'application/json' },
    body: '{"mode":"off"}',
  });
  expect(off.status).toBe(202);
  await eventually(
    () => twin.cars.get('rps13')?.pinLevel('headlights'),
    (level) => level === 0,
  );
});
