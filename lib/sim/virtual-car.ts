import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkPin } from '../config';
import type { PinEdge, StartVirtualCar, VirtualCar } from './twin';
import type { VirtualCarCommand, VirtualCarEvent, VirtualCarWorkerData } from './virtual-car-worker';
import { UserError } from '../user-error';

/** A car that has not connected by then has a problem worth reporting instead of waiting forever. */
const CONNECT_DEADLINE_MS = 30_000;
const STOP_GRACE_MS = 1_000;
const FULL_DUTY = 65535;

/** A virtual car's firmware did not come up; the message says which car and why. */
export class VirtualCarError extends UserError {
  constructor(carId: string, reason: string) {
    super(`virtual car ${carId} did not connect: ${reason}`);
  }
}

/** GPIO number (as the virtual board names pins) → lamp name. */
function lampsByPin(context: Parameters<StartVirtualCar>[1], carId: string): Map<string, string> {
  const lamps = new Map<string, string>();
  for (const [name, lamp] of Object.entries(context.config.cars[carId].lamps)) {
    const pin = checkPin(lamp.pin);
    if (pin.ok) lamps.set(String(pin.gpio), name);
  }
  return lamps;
}

function untilConnected(worker: Worker, carId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(deadline);
      worker.off('message', onMessage);
      reject(new VirtualCarError(carId, reason));
    };
    const deadline = setTimeout(() => fail(`no MQTT session after ${CONNECT_DEADLINE_MS / 1000} s`), CONNECT_DEADLINE_MS);
    const onMessage = (event: VirtualCarEvent) => {
      if (event.type === 'ended') fail(`the firmware stopped (${event.detail})`);
      if (event.type !== 'connected') return;
      clearTimeout(deadline);
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
    worker.once('error', (error) => fail(error.message));
  });
}

/**
 * Runs one car's firmware — the files `npx plamo device <car> --local` writes — on a virtual Pico W in a
 * worker thread, with real time and the twin's broker; resolves once its first MQTT session is accepted.
 */
export const startVirtualCar: StartVirtualCar = async (carId, context) => {
  const data: VirtualCarWorkerData = { config: context.config, carId, pkiDir: context.pki.dir, mqttPort: context.mqttPort };
  const worker = new Worker(join(__dirname, 'virtual-car-worker.cjs'), { workerData: data });
  const lamps = lampsByPin(context, carId);
  const duties = new Map<string, number>();
  const listeners = new Set<(edge: PinEdge) => void>();
  worker.on('message', (event: VirtualCarEvent) => {
    if (event.type === 'pin') {
      duties.set(event.pin, event.duty);
      const lamp = lamps.get(event.pin);
      if (lamp !== undefined) for (const listener of listeners) listener({ lamp, level: event.duty / FULL_DUTY, at: event.at });
    } else if (event.type === 'output') context.log(`${carId} | ${event.line}`);
    else if (event.type === 'ended') context.log(`${carId}: firmware ended (${event.detail})`);
  });
  worker.on('error', (error) => context.log(`${carId}: virtual car failed: ${error.message}`));
  try {
    await untilConnected(worker, carId);
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  const pinOf = (lamp: string) => [...lamps].find(([, name]) => name === lamp)?.[0];
  const car: VirtualCar = {
    pinLevel(lamp) {
      const pin = pinOf(lamp);
      return pin === undefined ? undefined : (duties.get(pin) ?? 0) / FULL_DUTY;
    },
    onPinChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      const stopped = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_GRACE_MS);
        worker.on('message', (event: VirtualCarEvent) => {
          if (event.type !== 'stopped') return;
          clearTimeout(timer);
          resolve();
        });
      });
      worker.postMessage({ type: 'stop' } satisfies VirtualCarCommand);
      await stopped;
      await worker.terminate();
    },
    // Ending the thread drops its socket without DISCONNECT, as pulling the USB cable would.
    kill: async () => {
      await worker.terminate();
    },
  };
  return car;
};
