import { networkInterfaces } from 'node:os';
import { type Command, InvalidArgumentError } from 'commander';
import QRCode from 'qrcode';
import { loadConfig, type PlamoConfig } from '../config';
import { PortInUseError } from '../sim/listen';
import { tokenFilePath } from '../sim/token-file';
import { TerminalView } from '../sim/terminal-view';
import { InvalidTokenError, startTwin, type Twin } from '../sim/twin';
import { startVirtualPico, VirtualCarError } from '../sim/virtual-car';
import { CliError } from './index';

export interface SimOptions {
  readonly port: number;
  readonly mqttPort: number;
  /** `--no-cars` turns it off. */
  readonly cars: boolean;
  /** Listen on the computer's LAN address instead of 127.0.0.1, so a phone on the same network can open the page. */
  readonly lan?: boolean;
}

/** The first IPv4 address of a network interface that is up and not loopback, e.g. 192.168.1.23. */
export function lanAddress(interfaces = networkInterfaces()): string | undefined {
  for (const addresses of Object.values(interfaces)) {
    const found = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (found) return found.address;
  }
  return undefined;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('use a port number from 0 to 65535');
  return port;
}

function write(text: string): void {
  process.stdout.write(text);
}

async function printWelcome(twin: Twin, lan: boolean): Promise<void> {
  const link = `${twin.url}/#token=${twin.token}`;
  write(`\nplamo local twin — broker mqtts://127.0.0.1:${twin.mqttPort}, certificates in ${twin.pki.dir}\n`);
  write(`token: ${twin.token}   (kept in ${tokenFilePath(twin.pki.dir)} across restarts; PLAMO_TOKEN overrides it)\n`);
  if (lan) {
    write('warning: plain HTTP on your network: anyone on it can see the page and, with the token, switch the lamps.\n');
    write('         Use --lan only on a network you trust, and stop the twin when you are done.\n');
  }
  // A QR code is for eyes on a terminal; in a pipe or a log it is only noise.
  if (process.stdout.isTTY) write(`${await QRCode.toString(link, { type: 'terminal', small: true })}\n`);
  write(`${lan ? 'open on your phone (same Wi-Fi), or scan the code' : 'open on this computer'}: ${link}\n\n`);
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
  const host = options.lan ? lanAddress() : undefined;
  if (options.lan && !host) throw new CliError('--lan: this computer has no network address besides 127.0.0.1; join a network first');
  try {
    return await startTwin({
      config,
      httpPort: options.port,
      mqttPort: options.mqttPort,
      host,
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
  await printWelcome(twin, options.lan === true);
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
    .description(
      'run the local twin on 127.0.0.1 (or the LAN address with --lan): MQTT broker with mutual TLS, lamp API, phone page and a virtual Pico W per car',
    )
    .option('--port <port>', 'HTTP port of the lamp API and the phone page', parsePort, 8080)
    .option('--mqtt-port <port>', 'MQTT over TLS port of the broker', parsePort, 8883)
    .option('--lan', "listen on this computer's network address (plain HTTP), so a phone on the same Wi-Fi can open the page")
    .option('--no-cars', 'start no virtual cars, e.g. to connect your own MQTT clients with the certificates in .plamo/local')
    .action(async (options: SimOptions) => runSim(program.opts().config, options));
}
