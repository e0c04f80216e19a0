import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type CarConfig, loadConfig } from '../config';
import { defaultAwsClients } from '../aws/device-credentials';
import { MQTT_TLS_PORT, STACK_NAME } from '../contract';
import { DEFAULT_KEYS_DIR } from '../pki/device-keys';
import { type BundleKind, copyCertsSteps, defaultOutDir, flashSteps, makeBundle, wiringTableCells } from '../device';
import { DEFAULT_PKI_DIR } from '../pki/local-ca';
import { COMMANDS } from './commands';
import { noteNodeSupport } from './node-support';
import { parsePort } from './options';
import { table } from './table';

interface BundleOptions {
  readonly out?: string;
  readonly local: boolean;
  readonly mqttPort: string;
}

function wiringReport(carId: string, car: CarConfig): string {
  const { header, rows, notes } = wiringTableCells(car);
  return [`Wiring of ${carId}:`, table(header, rows), ...notes.map((note) => `  ${note}`)].join('\n');
}

function nextSteps(kind: BundleKind, carId: string, car: CarConfig, outDir: string, local: boolean): string {
  if (local) return `This bundle talks to the local twin's broker on 127.0.0.1; npm start runs it on a virtual Pico W.`;
  if (kind === 'certs') return copyCertsSteps(outDir);
  return `${wiringReport(carId, car)}\n\n${flashSteps(outDir)}`;
}

async function runBundleCommand(program: Command, kind: BundleKind, carId: string, options: BundleOptions): Promise<void> {
  const configFile: string = program.opts().config;
  const config = loadConfig(configFile);
  // .env and the .plamo/ key folders belong to the project, next to its config.
  const projectDir = dirname(resolve(configFile));
  if (!options.local) noteNodeSupport();
  const { outDir } = await makeBundle({
    kind,
    config,
    carId,
    outDir: options.out,
    projectDir,
    pkiDir: join(projectDir, DEFAULT_PKI_DIR),
    keysDir: join(projectDir, DEFAULT_KEYS_DIR),
    local: options.local,
    mqttPort: parsePort(options.mqttPort, '--mqtt-port'),
    awsClients: defaultAwsClients,
    stackName: STACK_NAME,
    progress: (line) => console.log(line),
  });
  console.log(`\n${nextSteps(kind, carId, config.cars[carId], outDir, options.local)}`);
}

function bundleCommand(program: Command, kind: BundleKind): Command {
  return program
    .command(kind)
    .description(COMMANDS[kind].summary)
    .argument('<car>', 'car id from the config')
    .option('--out <dir>', `output folder (default: ${defaultOutDir(kind, '<car>', false)}, gitignored)`)
    .option('--local', "use the local twin's CA and broker (127.0.0.1) instead of AWS; no AWS call", false)
    .option('--mqtt-port <port>', "with --local: the twin's MQTT port", String(MQTT_TLS_PORT))
    .action((carId: string, options: BundleOptions) => runBundleCommand(program, kind, carId, options));
}

export function registerDevice(program: Command): void {
  bundleCommand(program, 'device');
}

export function registerCerts(program: Command): void {
  bundleCommand(program, 'certs');
}
