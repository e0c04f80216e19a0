import { existsSync, readFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeThingCommand, IoTClient, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CarConfig } from '../config';
import { deviceKeyPaths } from '../pki/device-keys';
import { certificateSecretSchema } from '../contract/certificate-secret';
import { STACK_OUTPUTS, THING_ATTRIBUTES } from '../contract/stack';
import type { CredentialsPem } from '../pki/der';
import { AwsAccessError, explainAwsError } from './errors';
import { readStackOutputs } from './stack-outputs';
import { displayPath } from '../files/display-path';

export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly secretsManager: SecretsManagerClient;
  readonly iot: IoTClient;
}

/** Clients with the SDK's default region and credential chain (AWS_REGION, AWS_PROFILE, SSO, …). */
export function defaultAwsClients(): AwsClients {
  return { cloudFormation: new CloudFormationClient({}), secretsManager: new SecretsManagerClient({}), iot: new IoTClient({}) };
}

/** What the device needs from AWS: where to connect and who it is. */
export interface DeployedDeviceCredentials extends CredentialsPem {
  /** The account's `iot:Data-ATS` endpoint. */
  readonly endpoint: string;
  readonly certificateId: string;
}

export interface DeviceCredentialsRequest {
  readonly clients: AwsClients;
  readonly stackName: string;
  readonly carId: string;
  readonly car: CarConfig;
  /** Folder of `npx plamo keys` (CSR mode). @default '.plamo' */
  readonly keysDir?: string;
  readonly progress: (line: string) => void;
}

function requireOutput(outputs: ReadonlyMap<string, string>, key: string, what: string, hint: string): string {
  const value = outputs.get(key);
  if (!value) throw new AwsAccessError(`${what} (stack output ${key}) is missing; ${hint}`);
  return value;
}

async function readSecret(clients: AwsClients, secretArn: string): Promise<CredentialsPem & { certificateId: string }> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn })));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new AwsAccessError(`the certificate secret ${secretArn} does not exist (deleted?); run: npx cdk deploy`);
    }
    throw explainAwsError(error, `reading the certificate secret ${secretArn}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(secretString ?? '');
  } catch {
    throw new AwsAccessError(`the certificate secret ${secretArn} is malformed: not JSON; run: npx cdk deploy to write it again`);
  }
  const parsed = certificateSecretSchema.safeParse(json);
  if (!parsed.success) {
    // Name the fields, never their values.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))].join(', ');
    throw new AwsAccessError(`the certificate secret ${secretArn} is malformed (${fields}); run: npx cdk deploy to write it again`);
  }
  const { certificateId, certificatePem, privateKey } = parsed.data;
  return { certificateId, certificatePem, privateKeyPem: privateKey };
}

/** The certificate as AWS IoT has it; refuses anything but ACTIVE, since the broker refuses it too. */
async function describeActiveCertificate(clients: AwsClients, certificateId: string, carId: string): Promise<string> {
  let description: { status?: string; certificatePem?: string } | undefined;
  try {
    ({ certificateDescription: description } = await clients.iot.send(new DescribeCertificateCommand({ certificateId })));
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new AwsAccessError(`certificate ${certificateId} of car '${carId}' does not exist in AWS IoT; run: npx cdk deploy`);
    }
    throw explainAwsError(error, `describing certificate ${certificateId}`);
  }
  if (description?.status !== 'ACTIVE') {
    throw new AwsAccessError(
      `certificate ${certificateId} of car '${carId}' is ${description?.status ?? 'in an unknown state'}, not ACTIVE, so AWS IoT refuses it; ` +
        `rotate it: bump cars.${carId}.certificate.generation in the config and run npx cdk deploy`,
    );
  }
  if (!description.certificatePem) throw new AwsAccessError(`AWS IoT returned no PEM for certificate ${certificateId}`);
  return description.certificatePem;
}

function readCsrModeKey(carId: string, keysDir: string | undefined): string {
  const path = deviceKeyPaths(carId, keysDir).privateKey;
  if (!existsSync(path)) {
    throw new AwsAccessError(
      `car '${carId}' uses certificate mode "csr" but its private key ${displayPath(path)} is not on this computer; ` +
        `copy .plamo/ from the computer that ran npx plamo keys ${carId}, or make a new key: npx plamo keys ${carId} --force && npx cdk deploy`,
    );
  }
  return readFileSync(path, 'utf8');
}

/** The car's thing: its attributes, and the ids of the certificates attached to it (ARNs end in `cert/<id>`). */
async function readThing(
  clients: AwsClients,
  carId: string,
  deployHint: string,
): Promise<{ attributes: Record<string, string>; certificateIds: string[] }> {
  try {
    const { attributes = {} } = await clients.iot.send(new DescribeThingCommand({ thingName: carId }));
    const certificateIds: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await clients.iot.send(new ListThingPrincipalsCommand({ thingName: carId, nextToken }));
      for (const arn of page.principals ?? [])
        if (/:cert\/[0-9a-f]{64}$/.test(arn)) certificateIds.push(arn.slice(arn.lastIndexOf('/') + 1));
      nextToken = page.nextToken;
    } while (nextToken);
    return { attributes, certificateIds };
  } catch (error) {
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new AwsAccessError(`car '${carId}' has no thing in AWS IoT; ${deployHint}`);
    }
    throw explainAwsError(error, `reading thing ${carId}`);
  }
}

/** In "csr" mode, the one certificate attached to the thing (two only while a rotation is being deployed). */
function attachedCertificate(certificateIds: readonly string[], carId: string, deployHint: string): string {
  if (certificateIds.length === 1) return certificateIds[0];
  if (certificateIds.length === 0) throw new AwsAccessError(`thing ${carId} has no certificate attached; ${deployHint}`);
  throw new AwsAccessError(
    `thing ${carId} has ${certificateIds.length} certificates attached, as it has while a rotation is being deployed; wait for npx cdk deploy to finish and try again`,
  );
}

/**
 * Reads everything the device bundle needs from the deployed stack: the IoT endpoint (a stack output), the
 * certificate (checked ACTIVE in AWS IoT) and the private key — from the car's secret in "aws" mode, found
 * through its thing's `certificateSecretArn` attribute; from `.plamo/` in "csr" mode (the key never was in
 * AWS), with the certificate the thing's principal. No output per car: a stack holds 500 cars.
 */
export async function fetchDeviceCredentials(request: DeviceCredentialsRequest): Promise<DeployedDeviceCredentials> {
  const { clients, stackName, carId, car, progress } = request;
  const { status, outputs } = await readStackOutputs(clients.cloudFormation, stackName);
  const deployHint = `the stack (${status}) was deployed from an older config or failed; run: npx cdk deploy`;
  const endpoint = requireOutput(outputs, STACK_OUTPUTS.iotEndpoint, 'the IoT endpoint', deployHint);
  progress(`✓ stack ${stackName} (${status}): IoT endpoint ${endpoint}`);
  const thing = await readThing(clients, carId, deployHint);

  if (car.certificate.mode === 'csr') {
    const certificateId = attachedCertificate(thing.certificateIds, carId, deployHint);
    const certificatePem = await describeActiveCertificate(clients, certificateId, carId);
    progress(`✓ certificate ${certificateId.slice(0, 12)}… is ACTIVE (made from this computer's CSR)`);
    const privateKeyPem = readCsrModeKey(carId, request.keysDir);
    progress(`✓ private key read from ${displayPath(deviceKeyPaths(carId, request.keysDir).privateKey)}`);
    return { endpoint, certificateId, certificatePem, privateKeyPem };
  }
  const secretArn = thing.attributes[THING_ATTRIBUTES.certificateSecretArn];
  if (!secretArn) {
    throw new AwsAccessError(
      `thing ${carId} has no ${THING_ATTRIBUTES.certificateSecretArn} attribute, so its certificate secret is unknown; ${deployHint}`,
    );
  }
  const secret = await readSecret(clients, secretArn);
  progress(`✓ certificate and key read from Secrets Manager`);
  await describeActiveCertificate(clients, secret.certificateId, carId);
  progress(`✓ certificate ${secret.certificateId.slice(0, 12)}… is ACTIVE`);
  return { endpoint, ...secret };
}
