import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { loadConfig, type PlamoConfig } from '../config';
import { MQTT_TLS_PORT } from '../contract';
import { PortInUseError, TWIN_HTTP_PORT } from '../sim/listen';
import { tokenFilePath } from '../sim/token-file';
import { TerminalView } from '../sim/terminal-view';
import { startTwin, type Twin } from '../sim/twin';
import { startVirtualCar } from '../sim/virtual-car';
import { COMMANDS } from './commands';
import { CliError } from './cli-error';
import { parsePort } from './options';

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

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How often the twin checks that the process that started it is still there. */
const PARENT_CHECK_MS = 500;

/** The parent of a process, from /proc on Linux or from `ps` elsewhere; undefined when neither tells. */
function parentOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (name) state ppid …"; the name may hold spaces, so read after its ")".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    try {
      return Number(execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' }).trim()) || undefined;
    } catch {
      return undefined;
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Resolves on the first Ctrl-C, SIGTERM or SIGHUP, or once the program that started the twin is gone.
 * `npm start` runs it under `sh -c`, and a signal sent to npm does not reach this process: on SIGTERM npm and
 * the shell end, on SIGHUP npm alone, and the twin would go on holding both ports. So it also watches its
 * parent (an orphan gets another one) and, under npm, npm itself.
 */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const parent = process.ppid;
    const npm = process.env.npm_lifecycle_event ? parentOf(parent) : undefined;
    const watch = setInterval(() => {
      if (process.ppid !== parent || (npm !== undefined && !isRunning(npm))) stop('the program that started the twin exited');
    }, PARENT_CHECK_MS).unref();
    const stop = (reason: string) => {
      clearInterval(watch);
      for (const signal of STOP_SIGNALS) process.off(signal, stop);
      resolve(reason);
    };
    for (const signal of STOP_SIGNALS) process.on(signal, stop);
  });
}

/**
 * `npm start --port 0` gives npm the `--port` and the twin a stray `0`: npm only passes on what follows `--`.
 */
function refuseStrayArguments(stray: readonly string[]): void {
  if (stray.length === 0) return;
  const quoted = stray.map((arg) => `'${arg}'`).join(' ');
  const viaNpm = process.env.npm_lifecycle_event === 'start';
  throw new CliError(
    viaNpm
      ? `npm kept the options before \`--\` for itself and passed on only ${quoted}; write them after it: npm start -- --port 8081 --mqtt-port 8884`
      : `plamo sim takes no arguments, only options (got ${quoted}); see plamo sim --help`,
  );
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
      startVirtualCar: options.cars ? startVirtualCar : undefined,
      log: (line) => view.log(line),
      observe: (message) => view.observe(message),
    });
  } catch (error) {
    // Under npm the option must follow `--` (see refuseStrayArguments); say so where the port is named.
    if (error instanceof PortInUseError && process.env.npm_lifecycle_event === 'start')
      throw new CliError(`${error.message}, after --: npm start -- ${error.option} <port>`);
    throw error;
  }
}

/** Runs the twin until it is told to stop (see untilStopped), then closes everything it opened. */
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
    .description(COMMANDS.sim.summary)
    .option('--port <port>', 'HTTP port of the lamp API and the phone page', (value) => parsePort(value, '--port', 0), TWIN_HTTP_PORT)
    .option('--mqtt-port <port>', 'MQTT over TLS port of the broker', (value) => parsePort(value, '--mqtt-port', 0), MQTT_TLS_PORT)
    .option('--lan', "listen on this computer's network address (plain HTTP), so a phone on the same Wi-Fi can open the page")
    .option('--no-cars', 'start no virtual cars, e.g. to connect your own MQTT clients with the certificates in .plamo/local')
    .allowExcessArguments()
    .action(async (options: SimOptions, command: Command) => {
      refuseStrayArguments(command.args);
      await runSim(program.opts().config, options);
    });
}
