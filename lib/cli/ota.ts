import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { localDeviceConnection } from '../device';
import { checkCarId } from '../device/connection';
import { LocalControlPlane } from '../ota/local-control-plane';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { S3Client } from '@aws-sdk/client-s3';
import { readStackOutputs } from '../aws/stack-outputs';
import { MQTT_TLS_PORT, STACK_NAME, STACK_OUTPUTS } from '../contract';
import { AwsControlPlane } from '../ota/aws-control-plane';
import { runUpdate, type UpdateOutcome, updateStatus } from '../ota/update-flow';
import { OTA_BUCKET_DIR } from '../ota/control-plane';
import { DEFAULT_PKI_DIR } from '../pki/local-ca';
import { TWIN_HTTP_PORT } from '../sim/listen';
import { tokenFilePath } from '../sim/token-file';
import { COMMANDS } from './commands';
import { UserError } from '../user-error';
import { CliError } from './cli-error';
import { parsePort } from './options';

interface OtaOptions {
  readonly local: boolean;
  readonly status: boolean;
  readonly port: string;
  readonly mqttPort: string;
  readonly timeout: string;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1 || seconds > 86_400) {
    throw new CliError(`--timeout must be a number of seconds (1–86400), not '${value}'`);
  }
  return seconds;
}

function twinToken(pkiDir: string): string {
  if (process.env.PLAMO_TOKEN) return process.env.PLAMO_TOKEN;
  const file = tokenFilePath(pkiDir);
  if (!existsSync(file)) throw new UserError(`no twin token in ${file}: start the twin with \`npm start\` first (it writes one)`);
  return readFileSync(file, 'utf8').trim();
}

/** The options as numbers, every one checked before anything is read or asked. */
interface ParsedOptions {
  readonly status: boolean;
  readonly port: number;
  readonly mqttPort: number;
  readonly timeoutMs: number;
}

function parseOptions(options: OtaOptions): ParsedOptions {
  return {
    status: options.status,
    port: parsePort(options.port, '--port'),
    mqttPort: parsePort(options.mqttPort, '--mqtt-port'),
    timeoutMs: parseSeconds(options.timeout) * 1000,
  };
}

async function runLocal(program: Command, carId: string, options: ParsedOptions): Promise<void> {
  const configFile: string = program.opts().config;
  const config = loadConfig(configFile);
  checkCarId(config, carId);
  const pkiDir = join(dirname(resolve(configFile)), DEFAULT_PKI_DIR);
  const plane = new LocalControlPlane({
    url: `http://127.0.0.1:${options.port}`,
    token: twinToken(pkiDir),
    bucketDir: join(pkiDir, OTA_BUCKET_DIR),
  });
  if (options.status) {
    for (const line of await updateStatus(plane, carId, await plane.readStatus(carId))) console.log(line);
    return;
  }
  // The broker and port the car's bundle names, as `plamo device --local` writes them.
  const connection = await localDeviceConnection({ config, carId, pkiDir, mqttPort: options.mqttPort });
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
    timeoutMs: options.timeoutMs,
  });
  outcomeOrError(carId, outcome);
}

function outcomeOrError(carId: string, outcome: UpdateOutcome): void {
  if (outcome.kind === 'failed') throw new UserError(`${carId} stays on its previous firmware: ${outcome.reason}`);
  if (outcome.kind === 'timed-out') throw new UserError(`${carId} did not confirm firmware ${outcome.version} in time`);
}

async function awsPlane(topicRoot: string): Promise<{ plane: AwsControlPlane; endpoint: string }> {
  const { outputs } = await readStackOutputs(new CloudFormationClient({}), STACK_NAME);
  const endpoint = outputs.get(STACK_OUTPUTS.iotEndpoint);
  const bucket = outputs.get(STACK_OUTPUTS.otaBucket);
  const streamRoleArn = outputs.get(STACK_OUTPUTS.otaStreamRole);
  if (!endpoint || !bucket || !streamRoleArn) {
    throw new UserError(
      `stack ${STACK_NAME} has no update bucket yet (outputs ${STACK_OUTPUTS.otaBucket}, ${STACK_OUTPUTS.otaStreamRole}); run: npx cdk deploy`,
    );
  }
  const clients = { s3: new S3Client({}), iot: new IoTClient({}), iotData: new IoTDataPlaneClient({ endpoint: `https://${endpoint}` }) };
  return { plane: new AwsControlPlane({ clients, bucket, streamRoleArn, topicRoot }), endpoint };
}

async function runAws(program: Command, carId: string, options: ParsedOptions): Promise<void> {
  const config = loadConfig(program.opts().config);
  checkCarId(config, carId);
  const { plane, endpoint } = await awsPlane(config.topicRoot);
  if (options.status) {
    for (const line of await updateStatus(plane, carId, await plane.readStatus(carId))) console.log(line);
    return;
  }
  // The car's policy is the deployed stack's: a new lamp must be deployed before the car subscribes to it.
  console.log('✓ the car keeps its policy from the deployed stack: deploy a config change (npx cdk deploy) before updating the car');
  const outcome = await runUpdate({
    config,
    carId,
    plane,
    mqttHost: endpoint,
    mqttPort: MQTT_TLS_PORT,
    readStatus: (car) => plane.readStatus(car),
    progress: (line) => console.log(line),
    timeoutMs: options.timeoutMs,
  });
  outcomeOrError(carId, outcome);
}

async function runOta(program: Command, carId: string, options: OtaOptions): Promise<void> {
  const parsed = parseOptions(options);
  if (options.local) await runLocal(program, carId, parsed);
  else await runAws(program, carId, parsed);
}

export function registerOta(program: Command): void {
  program
    .command('ota')
    .description(COMMANDS.ota.summary)
    .argument('<car>', 'car id from the config')
    .option('--local', 'update the virtual car of the running local twin (npm start) instead of a car on AWS', false)
    .option('--status', "list the car's update jobs and what it reported, then stop", false)
    .option('--port <port>', "with --local: the twin's HTTP port", String(TWIN_HTTP_PORT))
    .option('--mqtt-port <port>', "with --local: the twin's MQTT port, as the car's bundle has it", String(MQTT_TLS_PORT))
    .option('--timeout <seconds>', 'how long to follow the update before handing back', '300')
    .action((carId: string, options: OtaOptions) => runOta(program, carId, options));
}
