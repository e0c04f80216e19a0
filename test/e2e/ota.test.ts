import { join } from 'node:path';
import { parseConfig, type PlamoConfig } from '../../lib/config';
import { carTopics } from '../../lib/contract';
import { localDeviceConnection } from '../../lib/device';
import { LocalControlPlane } from '../../lib/ota/local-control-plane';
import { runUpdate, type UpdateOutcome } from '../../lib/ota/update-flow';
import { OTA_BUCKET_DIR } from '../../lib/ota/control-plane';
import { CONTROLLER_COMMON_NAME } from '../../lib/pki/local-ca';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualCar } from '../../lib/sim/virtual-car';
import { closed, connectAs, temporaryPki, twoCarConfig } from '../sim/support';

/**
 * `plamo ota --local` against the running twin: the real firmware on virtual Pico Ws (worker threads, real
 * time) gets its update through the twin's AWS IoT Jobs and MQTT file delivery, with the same topics and
 * payloads as in AWS, under the policies the stack would deploy.
 */
jest.setTimeout(120_000);

const config = twoCarConfig();
let twin: Twin;
let pki: { dir: string; remove(): void };
let plane: LocalControlPlane;

beforeAll(async () => {
  pki = await temporaryPki([]);
  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pki.dir, startVirtualCar: startVirtualCar });
  plane = new LocalControlPlane({ url: twin.url, token: twin.token, bucketDir: join(pki.dir, OTA_BUCKET_DIR) });
});

afterAll(async () => {
  await twin?.close();
  pki?.remove();
});

async function update(next: PlamoConfig, carId: string, lines: string[]): Promise<UpdateOutcome> {
  const identity = await localDeviceConnection({ config: next, carId, pkiDir: pki.dir, pki: twin.pki, mqttPort: twin.mqttPort });
  return runUpdate({
    config: next,
    carId,
    plane,
    mqttHost: identity.mqttHost,
    mqttPort: identity.mqttPort,
    readStatus: (car) => plane.readStatus(car),
    progress: (line) => lines.push(line),
    pollMs: 50,
    timeoutMs: 90_000,
  });
}

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a new lamp: the policy first, then the car; only config.py travels, and the car comes back online with it', async () => {
  const next = parseConfig({
    ...config,
    cars: {
      ...config.cars,
      carA: { ...config.cars.carA, lamps: { ...config.cars.carA.lamps, fog: { pin: 'GP5', kind: 'pwm', currentMa: 5 } } },
    },
  });
  expect(await plane.deployPolicy('carA', next.cars.carA)).toContain('fog');
  const lines: string[] = [];
  const outcome = await update(next, 'carA', lines);
  expect(outcome.kind).toBe('online');
  // The car fetched only config.py: every other file it holds matches the manifest.
  expect(lines.join('\n')).toMatch(/rebooting into the update \(1\/1 files, (\d+)\/\1 bytes checked\)/);
  expect(lines.at(-1)).toBe(`✓ carA is online with firmware ${outcome.version}`);
  expect(await plane.describeJob('carA', (outcome as { jobId: string }).jobId)).toMatchObject({ status: 'SUCCEEDED' });

  // The new lamp answers: a command on its topic (allowed by the deployed policy) comes back as its state.
  const topics = carTopics(next.topicRoot, 'carA');
  const controller = await connectAs(twin.mqttPort, twin.pki.ca.pem, twin.pki.controller, CONTROLLER_COMMON_NAME);
  await controller.publishAsync(topics.lampSet('fog'), JSON.stringify({ mode: 'on', id: 'fog-1', ts: Date.now() }), { qos: 1 });
  const state = await eventually(
    async () => twin.broker.retained(topics.lampState('fog')),
    (message) => message !== undefined && JSON.parse(message.payload.toString()).id === 'fog-1',
  );
  expect(JSON.parse(state!.payload.toString())).toMatchObject({ mode: 'on', id: 'fog-1' });
  await closed(controller);

  // Again with nothing changed: the car already runs it.
  expect((await update(next, 'carA', [])).kind).toBe('up-to-date');
});

test('an update for a car that is offline waits in its queue and is applied when the car comes online', async () => {
  await twin.killCar('carB');
  await eventually(
    () => plane.readStatus('carB'),
    (status) => status.online === false,
  );
  const next = parseConfig({ ...config, cars: { ...config.cars, carB: { ...config.cars.carB, blinkPerMin: 60 } } });
  const lines: string[] = [];
  const outcome = await update(next, 'carB', lines);
  expect(outcome.kind).toBe('queued');
  expect(lines.at(-1)).toContain('carB is offline: it gets the update when it next comes online');
  expect(await plane.describeJob('carB', (outcome as { jobId: string }).jobId)).toMatchObject({ status: 'QUEUED' });
  await twin.startCar('carB');
  const status = await eventually(
    () => plane.readStatus('carB'),
    (s) => s.online === true && s.fw === outcome.version,
  );
  expect(status.fw).toBe(outcome.version);
  // The car reports SUCCEEDED once it is online with the new version.
  await eventually(
    () => plane.describeJob('carB', (outcome as { jobId: string }).jobId),
    (job) => job?.status === 'SUCCEEDED',
  );
});
