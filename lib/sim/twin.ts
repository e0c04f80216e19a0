import { join } from 'node:path';
import { carTopics, MQTT_TLS_PORT } from '../contract';
import {
  apiConfigOf,
  createLampApi,
  createTokenAuthorizer,
  generateToken,
  hashToken,
  header,
  isWellFormedToken,
  type CarStore,
  type LampPort,
  MemoryTokenStore,
  type Route,
} from '../api';
import type { PlamoConfig } from '../config';
import { loadPhonePage, phonePageRoutes } from '../api/phone-page';
import type { RetainedDeliveryJitter } from './aws-iot/iot-core-rules';
import { type BrokerMessage, type LocalBroker, startLocalBroker } from './broker';
import type { ConnectionLimits } from './connection-guard';
import { type LocalHttpServer, startHttpServer } from './http-server';
import { LOOPBACK, TWIN_HTTP_PORT } from './listen';
import { createLiveUpdates, type LiveUpdates } from './live-updates';
import { OTA_BUCKET_DIR } from '../ota/control-plane';
import { otaControlRoutes } from './ota-routes';
import { MemoryCarStore } from './memory-car-store';
import { connectMqttLampPort } from './mqtt-lamp-port';
import { DEFAULT_PKI_DIR, ensureLocalPki, type LocalPki } from '../pki/local-ca';
import { keptToken } from './token-file';
import { UserError } from '../user-error';

/**
 * The local twin: broker, lamp API with the phone page, and one virtual car per configured car, wired the
 * way the cloud is (mutual TLS, the same permission model, the same API core and token check).
 */

/** A lamp's pin changed: `level` is its output, 0–1 (PWM duty); `at` is the board's clock in ms. */
export interface PinEdge {
  readonly lamp: string;
  readonly level: number;
  readonly at: number;
}

/** A running virtual Pico W. */
export interface VirtualCar {
  /** A lamp's output right now, 0–1, or undefined for an unknown lamp. */
  pinLevel(lamp: string): number | undefined;
  /** Calls the listener on every change of a lamp's pin, in the order the firmware made them; returns an unsubscribe. */
  onPinChange(listener: (edge: PinEdge) => void): () => void;
  /** Stops the firmware and closes its connection cleanly. */
  stop(): Promise<void>;
  /** Pulls the plug: the connection drops without DISCONNECT, so the broker publishes the last will. */
  kill(): Promise<void>;
}

export interface VirtualCarContext {
  readonly config: PlamoConfig;
  readonly pki: LocalPki;
  readonly mqttPort: number;
  readonly log: (line: string) => void;
}

export type StartVirtualCar = (carId: string, context: VirtualCarContext) => Promise<VirtualCar>;

export interface TwinOptions {
  readonly config: PlamoConfig;
  /** @default TWIN_HTTP_PORT (0 picks a free port) */
  readonly httpPort?: number;
  /** @default MQTT_TLS_PORT (0 picks a free port) */
  readonly mqttPort?: number;
  /** @default '.plamo/local' */
  readonly pkiDir?: string;
  /** The address the HTTP API and the page listen on, e.g. the LAN address for `--lan`. @default '127.0.0.1' */
  readonly host?: string;
  /** A fixed token (`PLAMO_TOKEN`); @default - the one kept in `<pkiDir>/token`, made on the first start */
  readonly token?: string;
  /** Push every change to the page over server-sent events (`GET /api/live`); off, the page polls as in AWS. @default true */
  readonly liveUpdates?: boolean;
  /** How each configured car is run. @default - no virtual cars */
  readonly startVirtualCar?: StartVirtualCar;
  /** The broker's handshake timeout and connection caps. @default DEFAULT_CONNECTION_LIMITS */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Broker refusals and virtual car output. @default ignore */
  readonly log?: (line: string) => void;
  /** Deliver retained messages late and shuffled after SUBACK, as AWS IoT Core may. @default - at once, in order */
  readonly retainedDelivery?: RetainedDeliveryJitter;
  /** Sees every message the broker routes from the start, the cars' first status included. @default none */
  readonly observe?: (message: BrokerMessage) => void;
}

export interface Twin {
  /** `http://<host>:<port>` */
  readonly url: string;
  /** What the API has read from the store, the calls AWS would bill. */
  readonly store: MemoryCarStore;
  /** The server-sent events route, when `liveUpdates` is on. */
  readonly live: LiveUpdates | undefined;
  readonly token: string;
  readonly mqttPort: number;
  readonly pki: LocalPki;
  readonly broker: LocalBroker;
  /** The virtual cars running now, by car id. */
  readonly cars: ReadonlyMap<string, VirtualCar>;
  startCar(carId: string): Promise<VirtualCar>;
  killCar(carId: string): Promise<void>;
  close(): Promise<void>;
}

export class InvalidTokenError extends UserError {
  constructor() {
    super('PLAMO_TOKEN must look like plamo_ followed by at least 43 letters, digits, - or _ (unset it to get a new one)');
  }
}

/** Closes what was started, newest first, when a later step fails. */
class Cleanup {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.steps.unshift(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0)) await step().catch(() => {});
  }
}

interface ApiParts<Store extends CarStore = CarStore> {
  readonly lamps: LampPort;
  readonly store: Store;
  readonly token: string;
  /** More routes behind the token, e.g. the twin's IoT control plane. @default none */
  readonly routes?: readonly Route[];
}

/** The twin's lamp API and its token check: the same core as the Lambda, with the phone page and one token in memory. */
export async function createTwinApi(config: PlamoConfig, parts: ApiParts) {
  const tokens = new MemoryTokenStore();
  await tokens.add({ tokenHash: hashToken(parts.token), name: 'local twin', createdAt: new Date().toISOString() });
  const authorizer = createTokenAuthorizer(tokens);
  const authorize = async (authorization: string | undefined) => (await authorizer(authorization)).authorized;
  const api = createLampApi({
    config: apiConfigOf(config),
    lamps: parts.lamps,
    store: parts.store,
    authorize: (request) => authorize(header(request, 'authorization')),
    extraRoutes: [...phonePageRoutes(loadPhonePage()), ...(parts.routes ?? [])],
  });
  return { api, authorize };
}

async function startApi(
  options: TwinOptions,
  parts: ApiParts<MemoryCarStore>,
): Promise<{ http: LocalHttpServer; live: LiveUpdates | undefined }> {
  const { api, authorize } = await createTwinApi(options.config, parts);
  const config = apiConfigOf(options.config);
  const live = options.liveUpdates === false ? undefined : createLiveUpdates({ config, store: parts.store, authorize });
  const http = await startHttpServer(api, { port: options.httpPort ?? TWIN_HTTP_PORT, host: options.host, streaming: live });
  return { http, live };
}

export async function startTwin(options: TwinOptions): Promise<Twin> {
  const { config } = options;
  const log = options.log ?? (() => {});
  if (options.token !== undefined && !isWellFormedToken(options.token)) throw new InvalidTokenError();
  const cleanup = new Cleanup();
  try {
    const pkiDir = options.pkiDir ?? DEFAULT_PKI_DIR;
    const pki = await ensureLocalPki({ dir: pkiDir, carIds: Object.keys(config.cars) });
    const token = options.token ?? keptToken(pkiDir, generateToken, isWellFormedToken);
    const broker = await startLocalBroker({
      config,
      pki,
      port: options.mqttPort ?? MQTT_TLS_PORT,
      log,
      retainedDelivery: options.retainedDelivery,
      connectionLimits: options.connectionLimits,
    });
    cleanup.add(() => broker.close());
    if (options.observe) broker.onMessage(options.observe);
    // The store sees what the broker routes, as AWS IoT topic rules see what IoT Core routes.
    const store = new MemoryCarStore(config.topicRoot);
    // What the last run left retained is what DynamoDB would still hold of it, at the time the broker took it:
    // a car that went offline before the restart shows as "offline since" then, not as never seen.
    for (const message of broker.allRetained()) store.ingest(message.topic, message.payload.toString('utf8'), message.lastModified);
    broker.onMessage((message) => store.ingest(message.topic, message.payload.toString('utf8')));
    const lamps = await connectMqttLampPort({ pki, mqttPort: broker.port });
    cleanup.add(() => lamps.close());
    // `plamo ota --local` reaches AWS IoT's control plane here: streams over the bucket folder, jobs.
    const routes = otaControlRoutes(config, {
      jobs: broker.jobs,
      bucketDir: join(pkiDir, OTA_BUCKET_DIR),
      retained: (topic) => broker.retained(topic),
      deployPolicies: (next) => broker.deployPolicies(next),
    });
    const { http, live } = await startApi(options, { lamps, store, token, routes });
    cleanup.add(() => http.close());
    if (live) cleanup.add(async () => live.closeAll());

    const cars = new Map<string, VirtualCar>();
    const context: VirtualCarContext = { config, pki, mqttPort: broker.port, log };
    const startCar = async (carId: string) => {
      if (!options.startVirtualCar) throw new Error('this twin runs no virtual cars');
      await cars.get(carId)?.stop();
      const announced = statusOnline(broker, config.topicRoot, carId);
      const car = await options.startVirtualCar(carId, context);
      cars.set(carId, car);
      // The car is up once the broker has routed its "online" status to everyone who watches, not merely
      // once the car heard its acknowledgement.
      await announced;
      return car;
    };
    cleanup.add(async () => {
      for (const car of cars.values()) await car.stop();
      cars.clear();
    });
    if (options.startVirtualCar) for (const carId of Object.keys(config.cars)) await startCar(carId);

    return {
      url: `http://${options.host ?? LOOPBACK}:${http.port}`,
      token,
      store,
      live,
      mqttPort: broker.port,
      pki,
      broker,
      cars,
      startCar,
      async killCar(carId) {
        await cars.get(carId)?.kill();
        cars.delete(carId);
      },
      close: () => cleanup.run(),
    };
  } catch (error) {
    await cleanup.run();
    throw error;
  }
}

/** Resolves when the broker routes the car's retained status saying online (or after `waitMs`, whichever first). */
function statusOnline(broker: LocalBroker, root: string, carId: string, waitMs = 5_000): Promise<void> {
  const topic = carTopics(root, carId).status;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop();
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    const stop = broker.onMessage((message) => {
      if (message.topic === topic && message.payload.toString('utf8').includes('"online":true')) done();
    });
  });
}
