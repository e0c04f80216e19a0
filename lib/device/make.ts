import { resolve } from 'node:path';
import type { PlamoConfig } from '../config';
import type { AwsClients } from '../aws/device-credentials';
import { certificateFiles, DEVICE_CERT_FILES, deviceBundle } from './bundle';
import { checkCarId, type DeviceConnection, localDeviceConnection, type Progress, awsDeviceConnection } from './connection';
import { displayPath } from '../files/display-path';
import { checkOutputFolder } from './output-dir';
import { readWifiPassword } from './wifi-password';
import { type Bundle, writeBundle } from './write-bundle';

export type BundleKind = 'device' | 'certs';

/** Where a bundle goes unless `--out` says otherwise; every default is under the gitignored dist/. */
export function defaultOutDir(kind: BundleKind, carId: string, local: boolean): string {
  return local ? `dist/local/${kind}/${carId}` : `dist/${kind}/${carId}`;
}

export interface MakeBundleRequest {
  readonly kind: BundleKind;
  readonly config: PlamoConfig;
  readonly carId: string;
  /** @default defaultOutDir(kind, carId, local) */
  readonly outDir?: string;
  /** Folder of the project: `.env` is read from it. */
  readonly projectDir: string;
  /** The local twin's CA and broker instead of AWS. */
  readonly local: boolean;
  /** With `local`: the twin's broker port. @default MQTT_TLS_PORT */
  readonly mqttPort?: number;
  /** With `local`. @default '.plamo/local' */
  readonly pkiDir?: string;
  /** Without `local`: made only once every local check has passed. */
  readonly awsClients: () => AwsClients;
  readonly stackName: string;
  /** Folder of `npx plamo keys` (CSR mode). @default '.plamo' */
  readonly keysDir?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress: Progress;
}

export interface MadeBundle {
  readonly outDir: string;
  readonly bundle: Bundle;
}

function connectionFor(request: MakeBundleRequest): Promise<DeviceConnection> {
  const { config, carId, progress } = request;
  if (request.local) return localDeviceConnection({ config, carId, pkiDir: request.pkiDir, mqttPort: request.mqttPort, progress });
  return awsDeviceConnection({
    config,
    carId,
    progress,
    clients: request.awsClients(),
    stackName: request.stackName,
    keysDir: request.keysDir,
  });
}

/** The Wi-Fi password is required for a real car; the twin's virtual Pico W uses it only when there is one. */
function wifiPasswordFor(request: MakeBundleRequest): string | undefined {
  const ssid = request.config.cars[request.carId].wifi.ssid;
  try {
    const { password, source } = readWifiPassword({ env: request.env, projectDir: request.projectDir });
    request.progress(`✓ Wi-Fi password for "${ssid}" from ${source === 'PLAMO_WIFI_PASSWORD' ? source : displayPath(source)}`);
    return password;
  } catch (error) {
    if (!request.local) throw error;
    request.progress("✓ no Wi-Fi password: the twin's virtual Pico W joins no real network");
    return undefined;
  }
}

/**
 * Makes a bundle and writes it atomically: checks the car, the output folder and the Wi-Fi password
 * before any AWS call, then reads the connection, converts it to DER, renders the firmware and writes.
 * Any failure leaves no partial folder behind.
 */
export async function makeBundle(request: MakeBundleRequest): Promise<MadeBundle> {
  const { config, carId, kind, progress } = request;
  checkCarId(config, carId);
  const suggestion = defaultOutDir(kind, carId, request.local);
  const outDir = resolve(request.outDir ?? suggestion);
  progress(`✓ output folder ${displayPath(outDir)} ${checkOutputFolder(request.outDir ?? suggestion, suggestion)}`);
  const wifiPassword = kind === 'device' ? wifiPasswordFor(request) : undefined;
  const connection = await connectionFor(request);
  const bundle = kind === 'device' ? deviceBundle({ config, carId, connection, wifiPassword }) : certificateFiles(connection);
  if (kind === 'device') {
    progress(`✓ firmware: ${bundle.size - 4} modules + config.py for ${carId} → mqtts://${connection.mqttHost}:${connection.mqttPort}`);
  }
  // Certificates alone into a device folder (after a rotation) leave its firmware in place.
  const keep = kind === 'certs' ? (path: string) => !bundle.has(path) : undefined;
  writeBundle(outDir, bundle, { marker: DEVICE_CERT_FILES.privateKey, keep });
  progress(`✓ wrote ${displayPath(outDir)}: ${bundle.size} files (the key${kind === 'device' ? ' and config.py' : ''} mode 0600)`);
  return { outDir, bundle };
}
