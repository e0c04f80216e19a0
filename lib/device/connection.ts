import type { PlamoConfig } from '../config';
import { MQTT_TLS_PORT } from '../contract/broker';
import { BROKER_HOSTS, DEFAULT_PKI_DIR, ensureLocalPki, type LocalPki } from '../pki/local-ca';
import { type AwsClients, fetchDeviceCredentials } from '../aws/device-credentials';
import { credentialsToDer, type DeviceCredentialsDer } from '../pki/der';
import { displayPath } from '../files/display-path';
import { DeviceBundleError } from './errors';
import { AMAZON_ROOT_CA_1_SHA256, amazonRootCa1Der } from '../pki/root-ca';

/** Everything a device needs to find and trust its broker and to prove who it is, in DER. */
export interface DeviceConnection {
  readonly mqttHost: string;
  readonly mqttPort: number;
  readonly credentials: DeviceCredentialsDer;
  /** The CA the broker's certificate chains to. */
  readonly rootCa: Buffer;
}

export type Progress = (line: string) => void;

export function checkCarId(config: PlamoConfig, carId: string): void {
  if (!(carId in config.cars)) {
    throw new DeviceBundleError(`unknown car '${carId}'; the config has: ${Object.keys(config.cars).join(', ')}`);
  }
}

function reportCredentials(credentials: DeviceCredentialsDer, progress: Progress): void {
  progress(
    `✓ DER: certificate (${credentials.certificate.length} B, valid until ${credentials.notAfter.toISOString().slice(0, 10)}) ` +
      `and key ${credentials.keyFormat} (${credentials.privateKey.length} B) belong together`,
  );
}

export interface AwsConnectionRequest {
  readonly config: PlamoConfig;
  readonly carId: string;
  readonly clients: AwsClients;
  readonly stackName: string;
  /** Folder of `npx plamo keys` (CSR mode). @default '.plamo' */
  readonly keysDir?: string;
  readonly progress: Progress;
  /** Only for tests. @default new Date() */
  readonly now?: Date;
}

/** Where the deployed car connects and with what: the account's ATS endpoint, its certificate and key, Amazon Root CA 1. */
export async function awsDeviceConnection(request: AwsConnectionRequest): Promise<DeviceConnection> {
  const { config, carId, progress } = request;
  checkCarId(config, carId);
  const car = config.cars[carId];
  const cloud = await fetchDeviceCredentials({ ...request, car });
  const csr = car.certificate.mode === 'csr';
  const credentials = credentialsToDer(cloud, {
    now: request.now,
    renewHint: `rotate it: bump cars.${carId}.certificate.generation in the config and run npx cdk deploy`,
    mismatchHint: csr ? `the key in .plamo/ is newer than the deployed certificate; run npx cdk deploy` : undefined,
  });
  reportCredentials(credentials, progress);
  const rootCa = amazonRootCa1Der();
  progress(
    `✓ root CA: Amazon Root CA 1 from Node.js's root store, SHA-256 ${AMAZON_ROOT_CA_1_SHA256.slice(0, 11)}…${AMAZON_ROOT_CA_1_SHA256.slice(-5)}`,
  );
  return { mqttHost: cloud.endpoint, mqttPort: MQTT_TLS_PORT, credentials, rootCa };
}

export interface LocalConnectionRequest {
  readonly config: PlamoConfig;
  readonly carId: string;
  /** @default '.plamo/local' */
  readonly pkiDir?: string;
  /** The twin's broker port. @default MQTT_TLS_PORT */
  readonly mqttPort?: number;
  /** A PKI the caller already holds (the twin); it must include `carId`. @default - ensureLocalPki({ dir: pkiDir }) */
  readonly pki?: LocalPki;
  readonly progress?: Progress;
}

/** How the car connects to the local twin: its broker on 127.0.0.1 and the twin's own CA, with no AWS call. */
export async function localDeviceConnection(request: LocalConnectionRequest): Promise<DeviceConnection> {
  const { config, carId } = request;
  const progress = request.progress ?? (() => undefined);
  checkCarId(config, carId);
  const pkiDir = request.pkiDir ?? DEFAULT_PKI_DIR;
  const pki = request.pki ?? (await ensureLocalPki({ dir: pkiDir, carIds: [carId] }));
  const identity = pki.cars[carId];
  if (!identity) throw new DeviceBundleError(`the local PKI in ${pki.dir} has no certificate for car '${carId}'`);
  progress(`✓ local twin CA in ${displayPath(pki.dir)}: certificate for ${identity.commonName}`);
  const credentials = credentialsToDer(
    { certificatePem: identity.cert.pem, privateKeyPem: identity.key.pem },
    { renewHint: `delete ${pki.dir} and run the command again` },
  );
  reportCredentials(credentials, progress);
  return { mqttHost: BROKER_HOSTS.ip, mqttPort: request.mqttPort ?? MQTT_TLS_PORT, credentials, rootCa: pki.ca.der };
}
