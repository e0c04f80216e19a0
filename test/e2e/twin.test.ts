import { type PinEdge, startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualCar } from '../../lib/sim/virtual-car';
import type { PlamoConfig } from '../../lib/config';
import { carTopics } from '../../lib/contract';
import { CONTROLLER_COMMON_NAME } from '../../lib/pki/local-ca';
import { closed, connectAs, temporaryPki, twoCarConfig } from '../sim/support';

/**
 * The whole local twin end to end: HTTP API → broker (mutual TLS) → the real firmware on virtual Pico Ws
 * (one worker thread each, real time) → virtual pins → retained state → API. The broker runs in the mode
 * that delivers retained messages late and shuffled after SUBACK, as AWS IoT Core may.
 */
jest.setTimeout(60_000);

const base = twoCarConfig();
/** Car A restores its lamps after a power cut; car B starts dark (`powerOn: "off"`). */
const config: PlamoConfig = { ...base, cars: { ...base.cars, carB: { ...base.cars.carB, powerOn: 'off' } } };
const RETAINED_DELIVERY = { maxDelayMs: 200 };
let twin: Twin;
let pki: { dir: string; remove(): void };

beforeAll(async () => {
  pki = await temporaryPki([]);
  twin = await startTwin({
    config,
    httpPort: 0,
    mqttPort: 0,
    pkiDir: pki.dir,
    startVirtualCar,
    retainedDelivery: RETAINED_DELIVERY,
  });
});

afterAll(async () => {
  await twin?.close();
  pki?.remove();
});

async function api(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${twin.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${twin.url}/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

/** Polls until `accept` holds; jest's timeout ends a wait that never succeeds. */
async function eventually<T>(read: () => T | Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const carView = async (car: string) => (await api('GET', `/cars/${car}`)).body;

test('PUT headlights on: the virtual pin goes high and GET reports the command as applied', async () => {
  const car = twin.cars.get('carA')!;
  const { status, body } = await api('PUT', '/cars/carA/lamps/headlights', { mode: 'on' });
  expect(status).toBe(202);
  await eventually(
    () => car.pinLevel('headlights') ?? 0,
    (level) => level === 1,
  );
  const lamp = await eventually(
    async () => (await carView('carA')).lamps.headlights,
    (view) => view.pending === false,
  );
  expect(lamp.reported).toMatchObject({ mode: 'on', brightness: 100, id: body.id });
});

test('hazard makes both blinkers flash in phase', async () => {
  const car = twin.cars.get('carA')!;
  await api('PUT', '/cars/carA/lamps/hazard', { mode: 'blink' });
  // Watch from the moment both report blinking, so the edges all come from the shared blink engine.
  await eventually(
    () => carView('carA'),
    (view) => view.lamps.turnLeft.reported?.mode === 'blink' && view.lamps.turnRight.reported?.mode === 'blink',
  );
  const edges: PinEdge[] = [];
  const stop = car.onPinChange((edge) => {
    if (edge.lamp === 'turnLeft' || edge.lamp === 'turnRight') edges.push(edge);
  });
  await eventually(
    () => edges.length,
    (count) => count >= 10,
  );
  stop();
  await api('PUT', '/cars/carA/lamps/hazard', { mode: 'off' });
  // In phase: each edge of one lamp has an edge of the other to the same level at the same moment of
  // the board's clock (the same pass of the blink engine), not half a period away.
  const periodMs = 60_000 / config.cars.carA.blinkPerMin;
  const left = edges.filter((edge) => edge.lamp === 'turnLeft');
  const right = edges.filter((edge) => edge.lamp === 'turnRight');
  expect(left.length).toBeGreaterThanOrEqual(4);
  // The first and last edge may have their partner just outside the watched span.
  for (const edge of left.slice(1, -1)) {
    const partner = right.reduce((best, other) => (Math.abs(other.at - edge.at) < Math.abs(best.at - edge.at) ? other : best));
    expect(partner.level).toBe(edge.level);
    expect(Math.abs(partner.at - edge.at)).toBeLessThan(periodMs / 4);
  }
});

test('a passing flash through the twin: full for its ms on the board clock, then back to the state the lamp was in', async () => {
  const car = twin.cars.get('carA')!;
  const base = await api('PUT', '/cars/carA/lamps/headlights', { mode: 'on', brightness: 30 });
  await eventually(
    async () => (await carView('carA')).lamps.headlights,
    (view) => view.pending === false && view.reported?.brightness === 30,
  );
  const dim = car.pinLevel('headlights') ?? 0;
  expect(dim).toBeGreaterThan(0);
  const edges: PinEdge[] = [];
  const stop = car.onPinChange((edge) => {
    if (edge.lamp === 'headlights') edges.push(edge);
  });
  const { status, body } = await api('POST', '/cars/carA/effects/flash', { lamps: 'headlights', durationMs: 300 });
  expect(status).toBe(202);
  await eventually(
    () => edges.length,
    (count) => count >= 2,
  );
  stop();
  expect(edges.map((edge) => edge.level)).toEqual([1, dim]);
  // Never cut short: as long as asked on the board's clock (less the moment the first write takes to reach the
  // pin, in real time here). How much longer depends on how busy this machine is, so it is not asserted here;
  // the exact timing is checked on the virtual clock in test/firmware/effects.test.ts.
  expect(edges[1].at - edges[0].at).toBeGreaterThanOrEqual(295);
  const after = await eventually(
    async () => (await carView('carA')).lamps.headlights,
    (view) => view.reported?.id === base.body.id,
  );
  // The flash was not retained: the command a power-up restores is still the lamp's own.
  expect(after.desired).toMatchObject({ mode: 'on', brightness: 30, id: base.body.id });
  expect(after.reported).not.toHaveProperty('effect');
  expect(body.lamps).toEqual({ headlights: { effect: 'flash', durationMs: 300 } });
});

test('power cut: a killed car goes offline through its last will, and a restarted "restore" car restores its lamps', async () => {
  await api('PUT', '/cars/carA/lamps/headlights', { mode: 'on', brightness: 60 });
  await eventually(
    () => twin.cars.get('carA')?.pinLevel('headlights') ?? 0,
    (level) => level > 0,
  );
  await twin.killCar('carA');
  expect(
    await eventually(
      async () => (await carView('carA')).online,
      (online) => online === false,
    ),
  ).toBe(false);

  const restarted = await twin.startCar('carA');
  await eventually(
    () => restarted.pinLevel('headlights') ?? 0,
    (level) => level > 0,
  );
  const view = await eventually(
    () => carView('carA'),
    (car) => car.online === true && car.lamps.headlights.reported?.brightness === 60,
  );
  expect(view.lamps.headlights.reported.mode).toBe('on');
});

test('power cut: a restarted "off" car starts dark, and the lamp API kept no command for it', async () => {
  await api('PUT', '/cars/carB/lamps/headlights', { mode: 'on', brightness: 60 });
  await eventually(
    () => twin.cars.get('carB')?.pinLevel('headlights') ?? 0,
    (level) => level > 0,
  );
  expect(twin.broker.retained(carTopics(config.topicRoot, 'carB').lampSet('headlights'))).toBeUndefined();
  await twin.killCar('carB');
  await eventually(
    async () => (await carView('carB')).online,
    (online) => online === false,
  );
  const restarted = await twin.startCar('carB');
  const view = await eventually(
    () => carView('carB'),
    (car) => car.online === true && car.lamps.headlights.reported?.mode === 'off',
  );
  expect(view.lamps.headlights.reported.brightness).toBe(0);
  // Past the latest a late retained command could come in this mode.
  await new Promise((resolve) => setTimeout(resolve, RETAINED_DELIVERY.maxDelayMs * 2));
  expect(restarted.pinLevel('headlights')).toBe(0);
});

test('the lamp API identity cannot retain a command for an "off" car: the broker closes its connection', async () => {
  const asApi = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.controller, CONTROLLER_COMMON_NAME);
  const disconnected = closed(asApi);
  const topic = carTopics(config.topicRoot, 'carB').lampSet('headlights');
  asApi.publish(topic, '{"mode":"on","id":"sneaky","ts":1}', { qos: 1, retain: true });
  await disconnected;
  await asApi.endAsync(true);
  expect(twin.broker.retained(topic)).toBeUndefined();
  // The twin's own lamp API reconnects (the test took its client id over) and still commands the car.
  const { status } = await eventually(
    () => api('PUT', '/cars/carB/lamps/headlights', { mode: 'on' }),
    (response) => response.status === 202,
  );
  expect(status).toBe(202);
  await eventually(
    () => twin.cars.get('carB')?.pinLevel('headlights') ?? 0,
    (level) => level === 1,
  );
});

describe("one car's certificate against the running twin", () => {
  const topicsB = carTopics(config.topicRoot, 'carB');

  test("car A's certificate cannot publish to car B's topics", async () => {
    // A certificate is bound to its own client id, so this session replaces the running car A's: that is
    // all a stolen car key gives, and car B stays out of reach.
    const before = (await carView('carB')).lamps.headlights.reported;
    const asCarA = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.cars.carA, 'carA');
    const disconnected = closed(asCarA);
    asCarA.publish(topicsB.lampState('headlights'), '{"mode":"off","brightness":0,"id":null,"ts":1}', { qos: 1, retain: true });
    await disconnected;
    await asCarA.endAsync(true);
    expect((await carView('carB')).lamps.headlights.reported).toEqual(before);
  });

  test("car A's certificate cannot retain on its own telemetry, nor publish to a lamp it does not have", async () => {
    const topicsA = carTopics(config.topicRoot, 'carA');
    for (const [topic, retain] of [
      [topicsA.telemetry, true],
      [topicsA.lampState('fogLamp'), false],
    ] as const) {
      const asCarA = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.cars.carA, 'carA');
      const disconnected = closed(asCarA);
      asCarA.publish(topic, '{}', { qos: 1, retain });
      await disconnected;
      await asCarA.endAsync(true);
      expect(twin.broker.retained(topic)).toBeUndefined();
    }
  });

  test("car A's certificate cannot subscribe to car B's commands", async () => {
    const asCarA = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.cars.carA, 'carA');
    try {
      await expect(asCarA.subscribeAsync(topicsB.lampSet('headlights'), { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    } finally {
      await asCarA.endAsync(true);
    }
  });

  test('a client without a certificate is refused', async () => {
    await expect(connectAs(twin.mqttPort, twin.pki.ca.pem, undefined, 'carB')).rejects.toThrow(/alert certificate required/);
  });
});
