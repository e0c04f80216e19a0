import { type Command, InvalidArgumentError } from 'commander';
import QRCode from 'qrcode';
import { loadConfig, type PlamoConfig } from '../config';
import { PortInUseError } from '../sim/listen';
import { TerminalView } from '../sim/terminal-view';
import { InvalidTokenError, startTwin, type Twin } from '../sim/twin';
import { startVirtualPico, VirtualCarError } from '../sim/virtual-car';
import { CliError } from './index';

export interface SimOptions {
  readonly port: number;
  readonly mqttPort: number;
  /** `--no-cars` turns it off. */
  readonly cars: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('use a port number from 0 to 65535');
  return port;
}

function write(text: string): void {
  process.stdout.write(text);
}

async function printWelcome(twin: Twin): Promise<void> {
  const link = `${twin.url}/#token=${twin.token}`;
  write(`\nplamo local twin — broker mqtts://127.0.0.1:${twin.mqttPort}, certificates in ${twin.pki.dir}\n`);
  write(`token: ${twin.token}   (set PLAMO_TOKEN to keep one across restarts)\n`);
  // A QR code is for eyes on a terminal; in a pipe or a log it is only noise.
  if (process.stdout.isTTY) write(`${await QRCode.toString(link, { type: 'terminal', small: true })}\n`);
  write(`open on this computer: ${link}\n\n`);
}

/** Resolves on the first Ctrl-C or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

async function start(config: PlamoConfig, options: SimOptions, view: TerminalView): Promise<Twin> {
  try {
    return await startTwin({
      config,
      httpPort: options.port,
      mqttPort: options.mqttPort,
      token: process.env.PLAMO_TOKEN || undefined,
      startVirtualCar: options.cars ? startVirtualPico : undefined,
      log: (line) => view.log(line),
      observe: (message) => view.observe(message),
    });
  } catch (error) {
    if (error instanceof PortInUseError || error instanceof InvalidTokenError || error instanceof VirtualCarError)
      throw new CliError(error.message);
    throw error;
  }
}

/** Runs the twin until Ctrl-C or SIGTERM, then closes everything it opened. */
export async function runSim(configFile: string, options: SimOptions): Promise<void> {
  const config = loadConfig(configFile);
  let twin: Twin | undefined;
  const view = new TerminalView({
    config,
    write,
    live: process.stdout.isTTY === true,
    pinLevel: (carId, lamp) => twin?.cars.get(carId)?.pinLevel(lamp),
  });
  const stopped = untilStopped();
  twin = await start(config, options, view);
  await printWelcome(twin);
  write(`ready: ${twin.url}\n`);
  view.start();
  const signal = await stopped;
  view.stop();
  write(`\n${signal}: stopping the twin…\n`);
  await twin.close();
  write('stopped\n');
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run the local twin on 127.0.0.1: MQTT broker with mutual TLS, lamp API, phone page and a virtual Pico W per car')
    .option('--port <port>', 'HTTP port of the lamp API and the phone page', parsePort, 8080)
    .option('--mqtt-port <port>', 'MQTT over TLS port of the broker', parsePort, 8883)
    .option('--no-cars', 'start no virtual cars, e.g. to connect your own MQTT clients with the certificates in .plamo/local')
    .action(async (options: SimOptions) => runSim(program.opts().config, options));
}
