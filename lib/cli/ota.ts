import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { localDeviceConnection } from '../device';
import { checkCarId } from '../device/connection';
import { LocalControlPlane } from '../ota/local-control-plane';
import { runUpdate, updateStatus } from '../ota/update-flow';
import { OTA_BUCKET_DIR } from '../sim/ota-routes';
import { DEFAULT_PKI_DIR } from '../pki/local-ca';
import { tokenFilePath } from '../sim/token-file';
import { COMMANDS } from './commands';
import { UserError } from '../user-error';

interface OtaOptions {
  readonly local: boolean;
  readonly status: boolean;
  readonly port: string;
  readonly mqttPort: string;
  readonly timeout: string;
}

function parseNumber(name: string, value: string, min: number, max: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new UserError(`${name} must be a whole number ${min}–${max}, not '${value}'`);
  return number;
}

function twinToken(pkiDir: string): string {
  if (process.env.PLAMO_TOKEN) return process.env.PLAMO_TOKEN;
  const file = tokenFilePath(pkiDir);
  if (!existsSync(file)) throw new UserError(`no twin token in ${file}: start the twin with \`npm start\` first (it writes one)`);
  return readFileSync(file, 'utf8').trim();
}

async function runLocal(program: Command, carId: string, options: OtaOptions): Promise<void> {
  const configFile: string = program.opts().config;
  const config = loadConfig(configFile);
  checkCarId(config, carId);
  const pkiDir = join(dirname(resolve(configFile)), DEFAULT_PKI_DIR);
  const plane = new LocalControlPlane({
    url: `http://127.0.0.1:${parseNumber('--port', options.port, 1, 65_535)}`,
    token: twinToken(pkiDir),
    bucketDir: join(pkiDir, OTA_BUCKET_DIR),
  });
  if (options.status) {
    for (const line of await updateStatus(plane, carId, await plane.readStatus(carId))) console.log(line);
    return;
  }
  // The broker and port the car's bundle names, as `plamo device --local` writes them.
  const connection = await localDeviceConnection({
    config,
    carId,
    pkiDir,
    mqttPort: parseNumber('--mqtt-port', options.mqttPort, 1, 65_535),
  });
  const lamps = await plane.deployPolicy(carId, config.cars[carId]);
  console.log(`✓ the twin's policy for ${carId} allows its lamps: ${lamps.join(', ')}`);
  const outcome = await runUpdate({
    config,
    carId,
    plane,
    mqttHost: connection.mqttHost,
    mqttPort: connection.mqttPort,
    readStatus: (car) => plane.readStatus(car),
    progress: (line) => console.log(line),
    timeoutMs: parseNumber('--timeout', options.timeout, 1, 86_400) * 1000,
  });
  if (outcome.kind === 'failed') throw new UserError(`${carId} stays on its previous firmware: ${outcome.reason}`);
  if (outcome.kind === 'timed-out') throw new UserError(`${carId} did not confirm firmware ${outcome.version} in time`);
}

async function runOta(program: Command, carId: string, options: OtaOptions): Promise<void> {
  if (!options.local) {
    throw new UserError(
      'updates through AWS need the OTA bucket and stream role in the deployed stack, which this version does not deploy yet; use --local with the twin',
    );
  }
  await runLocal(program, carId, options);
}

export function registerOta(program: Command): void {
  program
    .command('ota')
    .description(COMMANDS.ota.summary)
    .argument('<car>', 'car id from the config')
    .option('--local', 'update the virtual car of the running local twin (npm start)', false)
    .option('--status', "list the car's update jobs and what it reported, then stop", false)
    .option('--port <port>', "with --local: the twin's HTTP port", '8080')
    .option('--mqtt-port <port>', "with --local: the twin's MQTT port, as the car's bundle has it", '8883')
    .option('--timeout <seconds>', 'how long to follow the update before handing back', '300')
    .action((carId: string, options: OtaOptions) => runOta(program, carId, options));
}
