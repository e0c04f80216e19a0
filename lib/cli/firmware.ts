import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CERT_FILES, renderFirmwareFiles } from '../../firmware/generate';
import { MQTT_TLS_PORT } from '../contract';
import { loadConfig } from '../config';
import { writeBundle } from '../device';
import { checkOutputFolder } from '../device/output-dir';
import { MissingWifiPasswordError, readWifiPassword, WIFI_PASSWORD_VARIABLE } from '../device/wifi-password';
import { SECRET_FILE_MODE } from '../device/write-bundle';
import { COMMANDS } from './commands';
import { CliError } from './cli-error';
import { parsePort } from './options';

const CERT_PATHS: ReadonlySet<string> = new Set(Object.values(DEFAULT_CERT_FILES));

/** Where the broker's host name comes from when `--host` is not given. */
export const MQTT_HOST_VARIABLE = 'PLAMO_MQTT_HOST';

interface FirmwareCommandOptions {
  readonly out?: string;
  readonly host?: string;
  readonly port: string;
}

export function defaultFirmwareOutDir(carId: string): string {
  return `dist/firmware/${carId}`;
}

function optionalWifiPassword(projectDir: string): string | undefined {
  try {
    return readWifiPassword({ projectDir }).password;
  } catch (error) {
    // Absent is fine here (the folder is still useful); a password that is present but malformed is not.
    if (error instanceof MissingWifiPasswordError) return undefined;
    throw error;
  }
}

/** What the folder still lacks before it can run on a Pico W, and the command that adds it. */
function missingParts(carId: string, outDir: string, hasPassword: boolean): string[] {
  const missing: string[] = [];
  const certs = Object.values(DEFAULT_CERT_FILES).filter((path) => !existsSync(resolve(outDir, path)));
  if (certs.length > 0)
    missing.push(`certificates (${certs.join(', ')}): \`npx plamo device ${carId}\` writes the complete folder with them`);
  if (!hasPassword)
    missing.push(
      `the Wi-Fi password: set ${WIFI_PASSWORD_VARIABLE} (or put it in .env) and run this again, or use \`npx plamo device ${carId}\``,
    );
  return missing;
}

async function writeFirmware(program: Command, carId: string, options: FirmwareCommandOptions): Promise<void> {
  const configFile: string = program.opts().config;
  const config = loadConfig(configFile);
  if (!config.cars[carId]) throw new CliError(`no car '${carId}' in ${configFile}; known cars: ${Object.keys(config.cars).join(', ')}`);
  const host = options.host ?? process.env[MQTT_HOST_VARIABLE];
  if (!host) {
    throw new CliError(
      `no MQTT host: pass --host <endpoint> or set ${MQTT_HOST_VARIABLE} (the AWS IoT data endpoint: aws iot describe-endpoint --endpoint-type iot:Data-ATS), ` +
        `or run \`npx plamo device ${carId}\`, which reads it from the deployed stack`,
    );
  }
  const projectDir = dirname(resolve(configFile));
  const suggestion = defaultFirmwareOutDir(carId);
  const outDir = options.out ?? suggestion;
  const wifiPassword = optionalWifiPassword(projectDir);
  const holdsKey = existsSync(resolve(outDir, DEFAULT_CERT_FILES.privateKey));
  // config.py holds the Wi-Fi password, and a device folder the key: keep the folder out of git like the device bundle.
  if (wifiPassword || holdsKey) checkOutputFolder(outDir, suggestion);
  const files = renderFirmwareFiles(config, carId, { mqttHost: host, mqttPort: parsePort(options.port, '--port'), wifiPassword });
  writeBundle(
    outDir,
    new Map(
      [...files].map(([path, content]) => [path, { content, mode: path === 'config.py' && wifiPassword ? SECRET_FILE_MODE : undefined }]),
    ),
    // New firmware for a folder `plamo device` wrote: its certificates stay, as the README promises.
    { marker: 'config.py', keep: (path) => CERT_PATHS.has(path) },
  );
  console.log(`✓ wrote ${files.size} firmware files for ${carId} to ${relative(process.cwd(), resolve(outDir)) || '.'}`);
  if (holdsKey) console.log('✓ kept the certificates already in the folder');
  const missing = missingParts(carId, outDir, wifiPassword !== undefined);
  if (missing.length > 0) console.log(`Still missing before it runs on a Pico W:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
}

export function registerFirmware(program: Command): void {
  program
    .command('firmware')
    .description(COMMANDS.firmware.summary)
    .argument('<car>', 'car id from the config')
    .option('--out <dir>', `output folder (default: ${defaultFirmwareOutDir('<car>')})`)
    .option('--host <endpoint>', `MQTT broker host name (default: $${MQTT_HOST_VARIABLE})`)
    .option('--port <port>', 'MQTT port', String(MQTT_TLS_PORT))
    .action((carId: string, options: FirmwareCommandOptions) => writeFirmware(program, carId, options));
}
