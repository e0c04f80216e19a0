import { parentPort, workerData } from 'node:worker_threads';
import type { PlamoConfig } from '../config';
import { buildLocalDeviceBundle } from '../device/bundle';
import { RealClock, VirtualNetwork, VirtualPico } from './pico';
import { TlsWire } from './tls-wire';

/**
 * One virtual Pico W in its own worker thread: the MicroPython interpreter keeps its state on
 * globalThis, so each car needs a realm of its own (and the interpreter's work stays off the thread that
 * serves the API). The parent gets pin changes, the first accepted MQTT session, output and the end.
 */

export interface VirtualCarWorkerData {
  readonly config: PlamoConfig;
  readonly carId: string;
  readonly pkiDir: string;
  readonly mqttPort: number;
}

export type VirtualCarEvent =
  | { readonly type: 'pin'; readonly pin: string; readonly duty: number; readonly at: number }
  | { readonly type: 'connected' }
  | { readonly type: 'output'; readonly line: string }
  | { readonly type: 'ended'; readonly detail: string }
  | { readonly type: 'stopped' };

export type VirtualCarCommand = { readonly type: 'stop' };

/** A real Wi-Fi join takes seconds; the twin's access point answers fast so a car is up at once. */
const QUICK_RADIO = { joinMs: 150, chipStartMs: 30 };

async function run(data: VirtualCarWorkerData, post: (event: VirtualCarEvent) => void): Promise<void> {
  // The very files `npx plamo device <car> --local` writes.
  const bundle = await buildLocalDeviceBundle({ config: data.config, carId: data.carId, pkiDir: data.pkiDir, mqttPort: data.mqttPort });
  const files = new Map([...bundle].map(([path, file]) => [path, file.content]));
  const clock = new RealClock();
  const wire = new TlsWire(() => post({ type: 'connected' }));
  const pico = await VirtualPico.create({
    files,
    clock,
    wire,
    network: new VirtualNetwork(clock, QUICK_RADIO),
    output: (line) => post({ type: 'output', line }),
  });
  pico.pins.onChange((change) => post({ type: 'pin', pin: change.pin, duty: change.state.duty, at: change.at }));
  parentPort?.on('message', (command: VirtualCarCommand) => {
    if (command.type !== 'stop') return;
    wire.closeAll(true);
    post({ type: 'stopped' });
  });
  pico.start();
  const ended = setInterval(() => {
    const end = pico.end;
    if (end === undefined) return;
    clearInterval(ended);
    post({ type: 'ended', detail: end.kind === 'error' ? `${end.type}: ${end.message}` : end.kind });
  }, 200);
}

const post = (event: VirtualCarEvent) => parentPort?.postMessage(event);
run(workerData as VirtualCarWorkerData, post).catch((error: Error) => post({ type: 'ended', detail: error.message }));
