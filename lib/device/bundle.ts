import { DEFAULT_CERT_FILES, type FirmwareCertFiles, renderFirmwareFiles } from '../../firmware/generate';
import type { PlamoConfig } from '../config';
import { DeviceBundleError } from './errors';
import { type DeviceConnection, type LocalConnectionRequest, localDeviceConnection } from './connection';
import { type Bundle, type BundleFile, SECRET_FILE_MODE } from './write-bundle';

/** Where the DER files sit on the device (and in the bundle); the generated config.py names them. */
export const DEVICE_CERT_FILES: FirmwareCertFiles = DEFAULT_CERT_FILES;

/** The generated config holds the Wi-Fi password, so it is written like the key. */
const SECRET_FIRMWARE_FILES = new Set(['config.py']);

/** The three DER files: device certificate, device key (0600) and the broker's root CA. */
export function certificateFiles(connection: DeviceConnection): Map<string, BundleFile> {
  return new Map<string, BundleFile>([
    [DEVICE_CERT_FILES.certificate, { content: connection.credentials.certificate }],
    [DEVICE_CERT_FILES.privateKey, { content: connection.credentials.privateKey, mode: SECRET_FILE_MODE }],
    [DEVICE_CERT_FILES.rootCa, { content: connection.rootCa }],
  ]);
}

export interface DeviceBundleInput {
  readonly config: PlamoConfig;
  readonly carId: string;
  readonly connection: DeviceConnection;
  /** Absent for the local twin: its virtual Pico W joins no real network. */
  readonly wifiPassword?: string;
}

/** A complete, flashable Pico W folder in memory: the firmware modules, config.py and the DER files. */
export function deviceBundle(input: DeviceBundleInput): Bundle {
  const { connection } = input;
  const firmware = renderFirmwareFiles(input.config, input.carId, {
    mqttHost: connection.mqttHost,
    mqttPort: connection.mqttPort,
    wifiPassword: input.wifiPassword,
    certFiles: DEVICE_CERT_FILES,
  });
  const files = certificateFiles(connection);
  for (const [path, content] of firmware) {
    if (files.has(path)) throw new DeviceBundleError(`the firmware generator wrote ${path}, which is a certificate file`);
    files.set(path, { content, mode: SECRET_FIRMWARE_FILES.has(path) ? SECRET_FILE_MODE : undefined });
  }
  return files;
}

/**
 * The bundle `npx plamo device <car> --local` writes, in memory: what the twin's virtual Pico W runs.
 * Makes (or reuses) the car's certificate in the twin's CA; no AWS call.
 */
export async function buildLocalDeviceBundle(request: LocalConnectionRequest & { readonly wifiPassword?: string }): Promise<Bundle> {
  const connection = await localDeviceConnection(request);
  return deviceBundle({ config: request.config, carId: request.carId, connection, wifiPassword: request.wifiPassword });
}
