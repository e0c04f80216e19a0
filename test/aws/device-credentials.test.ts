import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeThingCommand, IoTClient, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig } from '../../lib/config';
import { deviceKeyPaths } from '../../lib/pki/device-keys';
import { THING_ATTRIBUTES } from '../../lib/contract/stack';
import { type DeviceCredentialsRequest, fetchDeviceCredentials } from '../../lib/aws/device-credentials';
import { mockDeployedStack } from '../device/deployed-stack';
import { makeTestCredentials, type TestCredentials } from '../device/test-certificates';

const cloudFormation = mockClient(CloudFormationClient);
const secretsManager = mockClient(SecretsManagerClient);
const iot = mockClient(IoTClient);

const ENDPOINT = 'a1b2c3-ats.iot.eu-west-1.amazonaws.com';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:plamo-rps13-AbCdEf';
const CERT_ID = 'f'.repeat(64);

const config = parseConfig({
  cars: {
    rps13: { wifi: { ssid: 'garage' }, lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 8 } } },
    s30: { wifi: { ssid: 'garage' }, certificate: { mode: 'csr' }, lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 8 } } },
  },
});

let credentials: TestCredentials;
let keysDir: string;
const progress: string[] = [];

beforeAll(async () => {
  credentials = await makeTestCredentials();
});

beforeEach(() => {
  cloudFormation.reset();
  secretsManager.reset();
  iot.reset();
  progress.length = 0;
  keysDir = mkdtempSync(join(tmpdir(), 'plamo-keys-'));
  mockDeployedStack(
    { cloudFormation, secretsManager, iot },
    { endpoint: ENDPOINT, secretArn: SECRET_ARN, certificateId: CERT_ID, credentials },
  );
});
afterEach(() => rmSync(keysDir, { recursive: true, force: true }));

function request(carId: string): DeviceCredentialsRequest {
  return {
    clients: { cloudFormation: new CloudFormationClient({}), secretsManager: new SecretsManagerClient({}), iot: new IoTClient({}) },
    stackName: 'PlamoIot',
    carId,
    car: config.cars[carId],
    keysDir,
    progress: (line) => progress.push(line),
  };
}

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

test('aws mode: endpoint from the stack, the secret found through the thing, certificate and key from it, certificate checked ACTIVE', async () => {
  const identity = await fetchDeviceCredentials(request('rps13'));
  expect(identity).toEqual({ endpoint: ENDPOINT, certificateId: CERT_ID, ...credentials });
  expect(cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'PlamoIot' });
  expect(iot.commandCalls(DescribeThingCommand)[0].args[0].input).toEqual({ thingName: 'rps13' });
  expect(secretsManager.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ARN });
  expect(iot.commandCalls(DescribeCertificateCommand)[0].args[0].input).toEqual({ certificateId: CERT_ID });
});

test('prints one progress line per step and never the key', async () => {
  await fetchDeviceCredentials(request('rps13'));
  expect(progress).toEqual([
    `✓ stack PlamoIot (UPDATE_COMPLETE): IoT endpoint ${ENDPOINT}`,
    '✓ certificate and key read from Secrets Manager',
    '✓ certificate ffffffffffff… is ACTIVE',
  ]);
});

function writeCsrModeKey(): void {
  const paths = deviceKeyPaths('s30', keysDir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.privateKey, credentials.privateKeyPem, { mode: 0o600 });
}

test("csr mode: the certificate is the thing's principal, read from AWS IoT; key from .plamo, no secret read", async () => {
  writeCsrModeKey();
  const identity = await fetchDeviceCredentials(request('s30'));
  expect(identity).toEqual({ endpoint: ENDPOINT, certificateId: CERT_ID, ...credentials });
  expect(iot.commandCalls(ListThingPrincipalsCommand)[0].args[0].input).toEqual({ thingName: 's30' });
  expect(iot.commandCalls(DescribeCertificateCommand)[0].args[0].input).toEqual({ certificateId: CERT_ID });
  expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
});

test("csr mode: the thing's principals are read page by page, and only certificates count", async () => {
  writeCsrModeKey();
  iot
    .on(ListThingPrincipalsCommand)
    .resolvesOnce({ principals: ['us-east-1:1234abcd-cognito-identity'], nextToken: 'page-2' })
    .resolves({ principals: [`arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`] });
  await expect(fetchDeviceCredentials(request('s30'))).resolves.toMatchObject({ certificateId: CERT_ID });
  expect(iot.commandCalls(ListThingPrincipalsCommand)[1].args[0].input).toEqual({ thingName: 's30', nextToken: 'page-2' });
});

test('csr mode: a thing with no certificate, or two while a rotation deploys, is refused with what to do', async () => {
  writeCsrModeKey();
  iot.on(ListThingPrincipalsCommand).resolves({ principals: [] });
  await expect(fetchDeviceCredentials(request('s30'))).rejects.toThrow(
    'thing s30 has no certificate attached; the stack (UPDATE_COMPLETE) was deployed from an older config or failed; run: npx cdk deploy',
  );
  const arn = (id: string) => `arn:aws:iot:eu-west-1:123456789012:cert/${id}`;
  iot.on(ListThingPrincipalsCommand).resolves({ principals: [arn(CERT_ID), arn('e'.repeat(64))] });
  await expect(fetchDeviceCredentials(request('s30'))).rejects.toThrow(
    'thing s30 has 2 certificates attached, as it has while a rotation is being deployed; wait for npx cdk deploy to finish and try again',
  );
});

test('csr mode: says how to get the key when .plamo has none', async () => {
  await expect(fetchDeviceCredentials(request('s30'))).rejects.toThrow(`car 's30' uses certificate mode "csr" but its private key`);
  await expect(fetchDeviceCredentials(request('s30'))).rejects.toThrow('npx plamo keys s30 --force && npx cdk deploy');
});

test('stack not deployed', async () => {
  cloudFormation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id PlamoIot does not exist'));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    'stack PlamoIot is not deployed in this account and region; run: npx cdk deploy',
  );
});

test('no AWS credentials', async () => {
  cloudFormation.on(DescribeStacksCommand).rejects(awsError('CredentialsProviderError', 'Could not load credentials from any providers'));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    'no AWS credentials found while reading stack PlamoIot; sign in (aws configure, or aws sso login with AWS_PROFILE set) and try again',
  );
});

test('no AWS region', async () => {
  cloudFormation.on(DescribeStacksCommand).rejects(new Error('Region is missing'));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow('no AWS region set; set AWS_REGION (the region you deployed to)');
});

test('a car that is in the config but not in the deployed stack', async () => {
  iot.on(DescribeThingCommand).rejects(awsError('ResourceNotFoundException', 'Thing rps13 cannot be found.'));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    "car 'rps13' has no thing in AWS IoT; the stack (UPDATE_COMPLETE) was deployed from an older config or failed; run: npx cdk deploy",
  );
});

test("a thing without the secret's ARN (made by something other than this stack) says so", async () => {
  iot.on(DescribeThingCommand).resolves({ thingName: 'rps13', attributes: {} });
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    `thing rps13 has no ${THING_ATTRIBUTES.certificateSecretArn} attribute, so its certificate secret is unknown; the stack (UPDATE_COMPLETE) was deployed from an older config or failed; run: npx cdk deploy`,
  );
});

test('secret missing', async () => {
  secretsManager
    .on(GetSecretValueCommand)
    .rejects(awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    `the certificate secret ${SECRET_ARN} does not exist (deleted?); run: npx cdk deploy`,
  );
});

test('secret malformed: names the bad fields, never the values', async () => {
  secretsManager.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      certificateId: CERT_ID,
      certificateArn: 'arn',
      certificatePem: credentials.certificatePem,
      privateKey: 'hunter2',
    }),
  });
  const failure = fetchDeviceCredentials(request('rps13'));
  await expect(failure).rejects.toThrow(
    `the certificate secret ${SECRET_ARN} is malformed (privateKey); run: npx cdk deploy to write it again`,
  );
  await expect(failure).rejects.not.toThrow('hunter2');
});

test('secret that is not JSON', async () => {
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'pending' });
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(`the certificate secret ${SECRET_ARN} is malformed: not JSON`);
});

test.each(['INACTIVE', 'REVOKED'])('certificate %s', async (status) => {
  iot
    .on(DescribeCertificateCommand)
    .resolves({ certificateDescription: { status: status as 'INACTIVE', certificatePem: credentials.certificatePem } });
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    `certificate ${CERT_ID} of car 'rps13' is ${status}, not ACTIVE, so AWS IoT refuses it; rotate it: bump cars.rps13.certificate.generation in the config and run npx cdk deploy`,
  );
});

test('access denied keeps the missing permission from AWS', async () => {
  iot
    .on(DescribeCertificateCommand)
    .rejects(awsError('AccessDeniedException', 'User is not authorized to perform: iot:DescribeCertificate'));
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    `AWS refused describing certificate ${CERT_ID}: User is not authorized to perform: iot:DescribeCertificate`,
  );
});
