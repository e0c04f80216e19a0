import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig } from '../../lib/config';
import { deviceKeyPaths } from '../../lib/pki/device-keys';
import { carOutputKey, STACK_OUTPUTS } from '../../lib/contract/stack';
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

test('aws mode: endpoint from the stack, certificate and key from the car secret, certificate checked ACTIVE', async () => {
  const identity = await fetchDeviceCredentials(request('rps13'));
  expect(identity).toEqual({ endpoint: ENDPOINT, certificateId: CERT_ID, ...credentials });
  expect(cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'PlamoIot' });
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

test('csr mode: certificate from AWS IoT by its id, key from .plamo, no secret read', async () => {
  const paths = deviceKeyPaths('s30', keysDir);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.privateKey, credentials.privateKeyPem, { mode: 0o600 });
  const identity = await fetchDeviceCredentials(request('s30'));
  expect(identity).toEqual({ endpoint: ENDPOINT, certificateId: CERT_ID, ...credentials });
  expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
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
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'PlamoIot',
        StackStatus: 'CREATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [{ OutputKey: STACK_OUTPUTS.iotEndpoint, OutputValue: ENDPOINT }],
      },
    ],
  });
  await expect(fetchDeviceCredentials(request('rps13'))).rejects.toThrow(
    `the certificate secret of car 'rps13' (stack output ${carOutputKey('rps13', 'CertificateSecretArn')}) is missing; the stack (CREATE_COMPLETE) was deployed from an older config or failed; run: npx cdk deploy`,
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
