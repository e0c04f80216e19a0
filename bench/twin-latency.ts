import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { PlamoConfig } from '../lib/config';
import { carTopics, DELIVERY, encodePayload, retainCommands } from '../lib/contract';
import { type LocalBroker, startLocalBroker } from '../lib/sim/broker';
import { LOOPBACK } from '../lib/sim/listen';
import { disableNagleOnClient } from '../lib/sim/no-delay';
import { CONTROLLER_COMMON_NAME, type Identity, type LocalPki } from '../lib/pki/local-ca';
import { startTwin, type Twin, type VirtualCar } from '../lib/sim/twin';
import { startVirtualCar } from '../lib/sim/virtual-car';
import { promptLamp } from './configs';
import { type Distribution, distribution, elapsedMs } from './stats';

/**
 * Local twin latency: HTTP PUT of a lamp command → the virtual Pico W's pin changes, and → the API's read of
 * the car shows the car's report of that command (`pending: false`), against the floor of the MQTT hop alone
 * (mqtt.js publish → mqtt.js subscriber, same TLS, same certificates, same broker code).
 */

export interface TwinFigures {
  /** PUT sent → pin changed. */
  readonly twin: Distribution;
  /** PUT sent → a GET of the car answers `pending: false` with the command's id reported. */
  readonly reported: Distribution;
  /** PUT sent → HTTP response (API core, token check, QoS 1 publish acknowledged). */
  readonly httpResponse: Distribution;
  /** Publish → subscriber's message event. */
  readonly floor: Distribution;
  readonly ratio: { readonly p50: number; readonly p90: number; readonly p99: number };
  /** PUT → reported ÷ floor, the same way. */
  readonly reportedRatio: { readonly p50: number; readonly p90: number; readonly p99: number };
  /** Random pause before each command, so commands land at every phase of the firmware's poll loop. */
  readonly pauseMs: readonly [number, number];
}

export interface TwinBenchOptions {
  /** A config whose first car runs on the virtual Pico; its first lamp that switches at once (`promptLamp`) is switched on and off. */
  readonly config: PlamoConfig;
  readonly commands: number;
  readonly warmup: number;
  readonly progress: (line: string) => void;
}

const PAUSE_MS: readonly [number, number] = [5, 45];
const PIN_TIMEOUT_MS = 5_000;

function pause(): Promise<void> {
  const [min, max] = PAUSE_MS;
  return new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Lane {
  readonly carId: string;
  readonly lamp: string;
}

interface LampRead {
  readonly lamps?: Record<string, { readonly pending: boolean; readonly reported: { readonly id: string | null } | null }>;
}

/** Reads the car through the API, back to back, until it shows the lamp's report of command `id`. */
async function reportedAt(twin: Twin, lane: Lane, id: string): Promise<number> {
  for (;;) {
    const response = await fetch(`${twin.url}/api/cars/${lane.carId}`, { headers: { authorization: `Bearer ${twin.token}` } });
    const view = (await response.json()) as LampRead;
    const lamp = view.lamps?.[lane.lamp];
    if (lamp && !lamp.pending && lamp.reported?.id === id) return performance.now();
  }
}

/** One command through the whole twin; resolves with [pin change, report read back, HTTP response] in ms after sending. */
async function twinSample(twin: Twin, car: VirtualCar, lane: Lane, on: boolean): Promise<[number, number, number]> {
  let stopListening = () => {};
  const switched = new Promise<number>((resolve) => {
    stopListening = car.onPinChange((edge) => {
      if (edge.lamp === lane.lamp && edge.level > 0 === on) resolve(performance.now());
    });
  });
  const start = performance.now();
  try {
    const response = await fetch(`${twin.url}/api/cars/${lane.carId}/lamps/${lane.lamp}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${twin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ mode: on ? 'on' : 'off' }),
    });
    const { id } = (await response.json()) as { id: string };
    const answered = elapsedMs(start);
    if (!response.ok) throw new Error(`PUT answered ${response.status}`);
    const at = await within(switched, PIN_TIMEOUT_MS, `the ${lane.lamp} pin of ${lane.carId} switching ${on ? 'on' : 'off'}`);
    const reported = await within(reportedAt(twin, lane, id), PIN_TIMEOUT_MS, `the API showing the report of ${lane.lamp}`);
    return [at - start, reported - start, answered];
  } finally {
    stopListening();
  }
}

/** An mqtt.js client set up as the twin's own are (mutual TLS, Nagle off). */
async function connect(port: number, pki: LocalPki, identity: Identity, clientId: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtts://${LOOPBACK}:${port}`, {
    ca: pki.ca.pem,
    cert: identity.cert.pem,
    key: identity.key.pem,
    clientId,
    reconnectPeriod: 0,
  });
  disableNagleOnClient(client);
  return client;
}

/** The floor's two clients on their own broker: the twin's broker already holds the controller's and the car's client ids. */
interface Floor {
  readonly broker: LocalBroker;
  readonly controller: MqttClient;
  readonly car: MqttClient;
  readonly topic: string;
  readonly retain: boolean;
}

async function startFloor(config: PlamoConfig, pki: LocalPki, lane: Lane): Promise<Floor> {
  // A log of its own: the twin's broker owns the one in the PKI folder. On the same disk, so both pay the same fsync.
  const broker = await startLocalBroker({ config, pki, port: 0, retainedFile: join(pki.dir, 'floor-retained.jsonl') });
  const controller = await connect(broker.port, pki, pki.controller, CONTROLLER_COMMON_NAME);
  const car = await connect(broker.port, pki, pki.cars[lane.carId], lane.carId);
  const topics = carTopics(config.topicRoot, lane.carId);
  // Exactly the lamp's topic, as the car subscribes: the broker grants no wildcard.
  await car.subscribeAsync(topics.lampSet(lane.lamp), { qos: DELIVERY.lampSet.qos });
  return { broker, controller, car, topic: topics.lampSet(lane.lamp), retain: retainCommands(config.cars[lane.carId].powerOn) };
}

async function stopFloor(floor: Floor): Promise<void> {
  await Promise.all([floor.controller.endAsync(true), floor.car.endAsync(true)]);
  await floor.broker.close();
}

/** The same command the API would publish, straight from one mqtt.js client to the other. */
async function floorSample(floor: Floor, on: boolean): Promise<number> {
  const received = new Promise<number>((resolve) => floor.car.once('message', () => resolve(performance.now())));
  const payload = encodePayload({ mode: on ? 'on' : 'off', id: randomUUID(), ts: Date.now() });
  const start = performance.now();
  floor.controller.publish(floor.topic, payload, { qos: DELIVERY.lampSet.qos, retain: floor.retain });
  return (await within(received, PIN_TIMEOUT_MS, 'the floor message')) - start;
}

async function measure(twin: Twin, floor: Floor, lane: Lane, options: TwinBenchOptions) {
  const car = twin.cars.get(lane.carId);
  if (!car) throw new Error(`the twin runs no virtual car ${lane.carId}`);
  const twinMs: number[] = [];
  const reportedMs: number[] = [];
  const httpMs: number[] = [];
  const floorMs: number[] = [];
  let on = (car.pinLevel(lane.lamp) ?? 0) === 0;
  const total = options.warmup + options.commands;
  // Interleaved, so the floor and the twin share whatever else the machine is doing at the time.
  for (let i = 0; i < total; i++) {
    await pause();
    const [pin, reported, http] = await twinSample(twin, car, lane, on);
    await pause();
    const hop = await floorSample(floor, on);
    on = !on;
    if (i < options.warmup) continue;
    twinMs.push(pin);
    reportedMs.push(reported);
    httpMs.push(http);
    floorMs.push(hop);
    if ((i + 1) % 50 === 0) options.progress(`  ${i + 1 - options.warmup}/${options.commands} commands`);
  }
  return { twinMs, reportedMs, httpMs, floorMs };
}

export async function benchTwinLatency(options: TwinBenchOptions): Promise<TwinFigures> {
  const [carId, car] = Object.entries(options.config.cars)[0];
  const lane = { carId, lamp: promptLamp(car) };
  const pkiDir = mkdtempSync(join(tmpdir(), 'plamo-bench-pki-'));
  let twin: Twin | undefined;
  let floor: Floor | undefined;
  try {
    options.progress('starting the twin with a virtual Pico W…');
    twin = await startTwin({ config: options.config, httpPort: 0, mqttPort: 0, pkiDir, startVirtualCar });
    floor = await startFloor(options.config, twin.pki, lane);
    options.progress(`switching ${lane.carId}/${lane.lamp} ${options.warmup} + ${options.commands} times…`);
    const { twinMs, reportedMs, httpMs, floorMs } = await measure(twin, floor, lane, options);
    const [twinD, reportedD, floorD] = [distribution(twinMs), distribution(reportedMs), distribution(floorMs)];
    const over = (d: Distribution) => ({ p50: d.p50 / floorD.p50, p90: d.p90 / floorD.p90, p99: d.p99 / floorD.p99 });
    return {
      twin: twinD,
      reported: reportedD,
      httpResponse: distribution(httpMs),
      floor: floorD,
      ratio: over(twinD),
      reportedRatio: over(reportedD),
      pauseMs: PAUSE_MS,
    };
  } finally {
    if (floor) await stopFloor(floor);
    await twin?.close();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
