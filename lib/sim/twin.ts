import { apiConfigOf, createLampApi, createTokenAuthorizer, generateToken, hashToken, isWellFormedToken, MemoryTokenStore } from '../api';
import type { PlamoConfig } from '../config';
import { loadPhonePage, phonePageRoutes } from '../web/phone-page';
import type { RetainedDeliveryJitter } from './aws-iot/iot-core-rules';
import { type BrokerMessage, type LocalBroker, startLocalBroker } from './broker';
import { type LocalHttpServer, startHttpServer } from './http-server';
import { LOOPBACK } from './listen';
import { connectMqttLampPort, type MqttLampPort } from './mqtt-lamp-port';
import { DEFAULT_PKI_DIR, ensureLocalPki, type LocalPki } from './pki';

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
  /** @default 8080 (0 picks a free port) */
  readonly httpPort?: number;
  /** @default 8883 (0 picks a free port) */
  readonly mqttPort?: number;
  /** @default '.plamo/local' */
  readonly pkiDir?: string;
  /** A fixed token (`PLAMO_TOKEN`); @default - a new one each start */
  readonly token?: string;
  /** How each configured car is run. @default - no virtual cars */
  readonly startVirtualCar?: StartVirtualCar;
  /** Broker refusals and virtual car output. @default ignore */
  readonly log?: (line: string) => void;
  /** Deliver retained messages late and shuffled after SUBACK, as AWS IoT Core may. @default - at once, in order */
  readonly retainedDelivery?: RetainedDeliveryJitter;
  /** Sees every message the broker routes from the start, the cars' first status included. @default none */
  readonly observe?: (message: BrokerMessage) => void;
}

export interface Twin {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
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

export class InvalidTokenError extends Error {
  constructor() {
    super('PLAMO_TOKEN must look like plamo_ followed by at least 43 letters, digits, - or _ (unset it to get a new one)');
    this.name = 'InvalidTokenError';
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

async function startApi(config: PlamoConfig, lamps: MqttLampPort, token: string, httpPort: number): Promise<LocalHttpServer> {
  const tokens = new MemoryTokenStore();
  await tokens.add({ tokenHash: hashToken(token), name: 'local twin', createdAt: new Date().toISOString() });
  const authorizer = createTokenAuthorizer(tokens);
  const api = createLampApi({
    config: apiConfigOf(config),
    lamps,
    authorize: async (authorization) => (await authorizer(authorization)).authorized,
    extraRoutes: phonePageRoutes(loadPhonePage()),
  });
  return startHttpServer(api, httpPort);
}

export async function startTwin(options: TwinOptions): Promise<Twin> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const token = options.token ?? generateToken();
  if (!isWellFormedToken(token)) throw new InvalidTokenError();
  const cleanup = new Cleanup();
  try {
    const pki = await ensureLocalPki({ dir: options.pkiDir ?? DEFAULT_PKI_DIR, carIds: Object.keys(config.cars) });
    const broker = await startLocalBroker({ config, pki, port: options.mqttPort ?? 8883, log, retainedDelivery: options.retainedDelivery });
    cleanup.add(() => broker.close());
    if (options.observe) broker.onMessage(options.observe);
    const lamps = await connectMqttLampPort({ pki, broker });
    cleanup.add(() => lamps.close());
    const http = await startApi(config, lamps, token, options.httpPort ?? 8080);
    cleanup.add(() => http.close());

    const cars = new Map<string, VirtualCar>();
    const context: VirtualCarContext = { config, pki, mqttPort: broker.port, log };
    const startCar = async (carId: string) => {
      if (!options.startVirtualCar) throw new Error('this twin runs no virtual cars');
      await cars.get(carId)?.stop();
      const car = await options.startVirtualCar(carId, context);
      cars.set(carId, car);
      return car;
    };
    cleanup.add(async () => {
      for (const car of cars.values()) await car.stop();
      cars.clear();
    });
    if (options.startVirtualCar) for (const carId of Object.keys(config.cars)) await startCar(carId);

    return {
      url: `http://${LOOPBACK}:${http.port}`,
      token,
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
