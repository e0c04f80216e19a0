import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createApp } from '../../lib/cloud/app';
import { carGroupOf } from '../../lib/cloud/car-groups';
import { updatePolicyName } from '../../lib/cloud/update-policy';
import { createDeviceKeyPair, deviceKeyPaths, writeDeviceKeyPair } from '../../lib/pki/device-keys';
import { STACK_OUTPUTS, THING_ATTRIBUTES } from '../../lib/contract/stack';
import { type CarTemplates, carTemplates } from '../support/car-templates';
import { parseConfig } from '../../lib/config';

const lamps = { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } };
/** One car per certificate mode; `ae-86` also shows how an id with a dash becomes an output name. */
const config = parseConfig({
  cars: {
    rps13: { wifi: { ssid: 'garage' }, certificate: { generation: 3 }, lamps },
    'ae-86': { wifi: { ssid: 'garage' }, certificate: { mode: 'csr' }, lamps },
  },
});

let workDir: string;
let csrPrivateKeyPem: string;
let assembly: CloudAssembly;
let synthError: unknown;
/** Every car's resources (they live in nested stacks, one per car group). */
let template: Template;
let templates: CarTemplates;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'plamo-cloud-'));
  const keysDir = join(workDir, 'keys');
  const pair = await createDeviceKeyPair('ae-86');
  writeDeviceKeyPair(deviceKeyPaths('ae-86', keysDir), pair);
  csrPrivateKeyPem = pair.privateKeyPem;
  const { app, stack } = createApp(config, { outdir: join(workDir, 'cdk.out') }, { keysDir });
  try {
    assembly = app.synth();
  } catch (error) {
    synthError = error;
    throw error;
  }
  templates = carTemplates(assembly, stack);
  template = templates.cars;
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const region = (resourceName: string) => ({
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iot:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resourceName}`],
  ],
});

function logicalIdOf(type: string, props: object): string {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function iotPolicyOf(thingName: string): { Statement: Record<string, unknown>[] } {
  const thing = logicalIdOf('AWS::IoT::Thing', { ThingName: thingName });
  const certificateArn = Object.values(
    template.findResources('AWS::IoT::ThingPrincipalAttachment', { Properties: { ThingName: { Ref: thing } } }),
  )[0].Properties.Principal;
  const attachment = Object.values(
    template.findResources('AWS::IoT::PolicyPrincipalAttachment', { Properties: { Principal: certificateArn } }),
  )[0];
  return template.toJSON().Resources[attachment.Properties.PolicyName.Ref].Properties.PolicyDocument;
}

test('cdk-nag (AwsSolutions and Serverless) finds nothing unacknowledged', () => {
  expect(synthError).toBeUndefined();
});

test('every car is an IoT thing named after its id', () => {
  template.resourceCountIs('AWS::IoT::Thing', 2);
  template.hasResourceProperties('AWS::IoT::Thing', { ThingName: 'rps13' });
  template.hasResourceProperties('AWS::IoT::Thing', { ThingName: 'ae-86' });
});

describe('certificate mode "aws"', () => {
  test('the certificate custom resource gets the thing, the car secret and the generation, nothing else', () => {
    const thing = logicalIdOf('AWS::IoT::Thing', { ThingName: 'rps13' });
    const certificates = template.findResources('Custom::DeviceCertificate');
    expect(Object.values(certificates).map((resource) => Object.keys(resource.Properties).sort())).toEqual([
      ['Generation', 'SecretArn', 'ServiceToken', 'ThingName'],
    ]);
    template.hasResourceProperties('Custom::DeviceCertificate', {
      ThingName: { Ref: thing },
      SecretArn: { Ref: Match.stringLikeRegexp('^Carrps13IdentityCertificateSecret') },
      Generation: '3',
    });
  });

  test('the secret is created empty of any value from the template and removed with the stack', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectEquals({ Description: Match.stringLikeRegexp('rps13'), GenerateSecretString: {} }),
      DeletionPolicy: 'Delete',
    });
  });

  test("each group's provider may read and write only its car's secret, list, detach and delete only its car's thing, and delete only its car's and its group's update policy", () => {
    for (const carId of ['rps13', 'ae-86']) {
      const group = templates.ofCar(carId);
      const thing = Object.keys(group.findResources('AWS::IoT::Thing', { Properties: { ThingName: carId } }));
      const arnOf = (properties: object) =>
        Object.keys(group.findResources('AWS::IoT::Policy', { Properties: properties })).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
      const own = arnOf({ PolicyName: `plamo-${carId}` });
      const updates = arnOf({ PolicyName: updatePolicyName(carGroupOf(carId)) });
      expect({ carId, things: thing.length, own: own.length, updates: updates.length, all: arnOf({}).length }).toEqual({
        carId,
        things: 1,
        own: 1,
        updates: 1,
        all: 2,
      });
      const secrets = Object.keys(group.findResources('AWS::SecretsManager::Secret')).map((id) => ({ Ref: id }));
      group.hasResourceProperties('AWS::IAM::Policy', {
        PolicyName: Match.stringLikeRegexp('^DeviceCertificateProviderHandlerRole'),
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: ['iot:DeletePolicy', 'iot:DeletePolicyVersion', 'iot:ListPolicyVersions', 'iot:ListTargetsForPolicy'],
              Effect: 'Allow',
              // The group's update policy is made before its cars, so its statement and its ARN come first.
              Resource: [...updates, ...own],
            },
            {
              Action: ['iot:DeleteThing', 'iot:DetachThingPrincipal', 'iot:ListThingPrincipals'],
              Effect: 'Allow',
              Resource: { 'Fn::GetAtt': [thing[0], 'Arn'] },
            },
            ...(secrets.length > 0
              ? [{ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], Effect: 'Allow', Resource: secrets[0] }]
              : []),
          ]),
        },
      });
    }
    // The csr car has no secret, so its provider may read none.
    expect(JSON.stringify(templates.ofCar('ae-86').findResources('AWS::IAM::Policy'))).not.toContain('secretsmanager:');
  });

  test("each car group has an update policy of its own, named after the group, and attaches it to its cars' certificates", () => {
    expect(templates.ofCar('rps13')).not.toBe(templates.ofCar('ae-86'));
    for (const carId of ['rps13', 'ae-86']) {
      const group = templates.ofCar(carId);
      const name = updatePolicyName(carGroupOf(carId));
      const [policyId] = Object.keys(group.findResources('AWS::IoT::Policy', { Properties: { PolicyName: name } }));
      expect({ carId, name, policyId }).toEqual({ carId, name, policyId: expect.any(String) });
      group.resourcePropertiesCountIs('AWS::IoT::PolicyPrincipalAttachment', { PolicyName: { Ref: policyId } }, 1);
    }
  });

  test('the provider handler runs on Node.js 24 on arm64 with an explicit memory size', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('device certificates'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
    });
  });

  test('no Lambda role in the identity part uses a managed policy', () => {
    const roles = { ...templates.parent.findResources('AWS::IAM::Role'), ...templates.ofCar('rps13').findResources('AWS::IAM::Role') };
    const identityRoles = Object.entries(roles).filter(([id]) => /^(DeviceCertificateProvider|IotEndpoint|DeviceTopicRules)/.test(id));
    expect(identityRoles.length).toBeGreaterThanOrEqual(6);
    for (const [, role] of identityRoles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
  test('the bundled handler loads on its own and answers a delete of a failed create without calling AWS', async () => {
    const handler = Object.values(
      template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('device certificates') } }),
    )[0];
    const assetHash = String(handler.Properties.Code.S3Key).split('.')[0];
    const bundle = require(join(assembly.directory, `asset.${assetHash}`, 'index.js'));
    const placeholder = 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED';
    const properties = { ThingName: 'rps13', SecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:x', Generation: '3' };
    const log = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await expect(
        bundle.handler({
          RequestType: 'Delete',
          ResourceType: 'Custom::DeviceCertificate',
          RequestId: 'r',
          LogicalResourceId: 'L',
          StackId: 's',
          PhysicalResourceId: placeholder,
          ResourceProperties: properties,
        }),
      ).resolves.toEqual({ PhysicalResourceId: placeholder });
    } finally {
      log.mockRestore();
    }
  });
});

describe('certificate mode "csr"', () => {
  test('the certificate is signed by AWS IoT from the CSR made by plamo keys and is active', () => {
    template.hasResourceProperties('AWS::IoT::Certificate', {
      CertificateSigningRequest: readFileSync(deviceKeyPaths('ae-86', join(workDir, 'keys')).csr, 'utf8'),
      Status: 'ACTIVE',
    });
  });

  test('the generation is part of the logical id, so bumping it replaces the certificate', () => {
    expect(Object.keys(template.findResources('AWS::IoT::Certificate'))).toEqual([
      expect.stringMatching(/^Carae86IdentityCertificateGen1/),
    ]);
  });

  test('its private key appears nowhere in the cloud assembly', () => {
    const keyBody = csrPrivateKeyPem.split('\n').filter((line) => line && !line.startsWith('-----'));
    for (const file of assemblyFiles()) {
      const text = readFileSync(file, 'latin1');
      for (const line of keyBody) expect(text.includes(line)).toBe(false);
    }
  });
});

describe('policy', () => {
  test('allows exactly connect as itself, publish to its own state/status/telemetry/events (retained: state and status), subscribe to and receive its commands', () => {
    expect(iotPolicyOf('rps13')).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'iot:Connect',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable, not a template.
          Resource: [region('client/${iot:Connection.Thing.ThingName}')],
          Condition: {
            Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
            'ForAllValues:StringEquals': { 'iot:ConnectAttributes': ['LastWill'] },
          },
        },
        {
          Effect: 'Allow',
          Action: ['iot:Publish', 'iot:RetainPublish'],
          Resource: [region('topic/cars/rps13/lamps/headlights/state'), region('topic/cars/rps13/status')],
        },
        { Effect: 'Allow', Action: 'iot:Publish', Resource: [region('topic/cars/rps13/telemetry'), region('topic/cars/rps13/events')] },
        { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [region('topicfilter/cars/rps13/lamps/headlights/set')] },
        { Effect: 'Allow', Action: 'iot:Receive', Resource: [region('topic/cars/rps13/lamps/headlights/set')] },
      ],
    });
  });

  test('the csr car gets the same policy for its own topics', () => {
    expect(iotPolicyOf('ae-86').Statement[3]).toEqual({
      Effect: 'Allow',
      Action: 'iot:Subscribe',
      Resource: [region('topicfilter/cars/ae-86/lamps/headlights/set')],
    });
  });

  test("no car's IoT policy has a wildcard in a resource or an iot:* action", () => {
    // Each group's update policy has the job id as its one wildcard; it is judged on its own (update-policy.test.ts).
    const policies = Object.values(template.findResources('AWS::IoT::Policy')).filter(
      (policy) => !policy.Properties.PolicyName.startsWith('plamo.updates.'),
    );
    expect(policies.map((policy) => policy.Properties.PolicyName).sort()).toEqual(['plamo-ae-86', 'plamo-rps13']);
    for (const policy of policies) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
        for (const resource of statement.Resource) expect(JSON.stringify(resource)).not.toMatch(/[*?+#]/);
      }
    }
  });

  test('each certificate is attached to its car policy and to its car thing', () => {
    const rpsCertificate = { 'Fn::GetAtt': [logicalIdOf('Custom::DeviceCertificate', {}), 'CertificateArn'] };
    const aeCertificate = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::IoT::Certificate'))[0], 'Arn'] };
    for (const [thingName, principal] of [
      ['rps13', rpsCertificate],
      ['ae-86', aeCertificate],
    ] as const) {
      const thing = logicalIdOf('AWS::IoT::Thing', { ThingName: thingName });
      template.hasResourceProperties('AWS::IoT::ThingPrincipalAttachment', { ThingName: { Ref: thing }, Principal: principal });
      template.hasResourceProperties('AWS::IoT::PolicyPrincipalAttachment', { Principal: principal });
    }
  });
});

describe('endpoint and outputs', () => {
  test('the ATS data endpoint is looked up with DescribeEndpoint at deploy time and exported', () => {
    const lookup = templates.parent.findResources('Custom::AWS');
    const [id, resource] = Object.entries(lookup).find(([, r]) => String(r.Properties.Create).includes('describeEndpoint'))!;
    expect(JSON.parse(resource.Properties.Create).parameters).toEqual({ endpointType: 'iot:Data-ATS' });
    templates.parent.hasOutput(STACK_OUTPUTS.iotEndpoint, { Value: { 'Fn::GetAtt': [id, 'endpointAddress'] } });
  });

  test('no stack has an output per car: the parent has its five (two for updates), the car groups none', () => {
    expect(Object.keys(templates.parent.toJSON().Outputs).sort()).toEqual(
      [
        STACK_OUTPUTS.apiUrl,
        STACK_OUTPUTS.iotEndpoint,
        STACK_OUTPUTS.tokenTable,
        STACK_OUTPUTS.otaBucket,
        STACK_OUTPUTS.otaStreamRole,
      ].sort(),
    );
    for (const group of templates.groups) expect(group.toJSON().Outputs).toBeUndefined();
  });

  test("the aws-mode car's thing names its secret's ARN in an attribute, for plamo device to find it; never a value", () => {
    template.hasResourceProperties('AWS::IoT::Thing', {
      ThingName: 'rps13',
      AttributePayload: {
        Attributes: { [THING_ATTRIBUTES.certificateSecretArn]: { Ref: Match.stringLikeRegexp('^Carrps13IdentityCertificateSecret') } },
      },
    });
  });

  test('the csr-mode car has no attribute: its certificate is its thing principal', () => {
    template.hasResourceProperties('AWS::IoT::Thing', { ThingName: 'ae-86', AttributePayload: Match.absent() });
  });
});

function assemblyFiles(dir = assembly.directory): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? assemblyFiles(path) : [path];
  });
}

const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** The CSR is public and is meant to be in the template. */
const CSR_BLOCK = /-----BEGIN CERTIFICATE REQUEST-----[\s\S]*?-----END CERTIFICATE REQUEST-----/g;
/** Base64 long enough to hold a key once PEM line breaks are removed (an EC P-256 key is ~160 characters). */
const LONG_BASE64 = /[A-Za-z0-9+/]{100,}={0,2}/g;

/**
 * Keys travel as DER: one ASN.1 SEQUENCE (0x30) whose length field covers the whole blob. Other long base64
 * in the assembly (aws-cdk-lib ships a brotli-compressed SDK model in its custom resource handler) is not DER.
 */
function isDer(base64: string): boolean {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length < 4 || bytes[0] !== 0x30) return false;
  const lengthOctets = bytes[1] & 0x80 ? bytes[1] & 0x7f : 0;
  const length = lengthOctets === 0 ? bytes[1] : bytes.subarray(2, 2 + lengthOctets).reduce((sum, octet) => sum * 256 + octet, 0);
  return 2 + lengthOctets + length === bytes.length;
}

test('nothing in the synthesized cloud assembly looks like a private key: no PEM key block, no DER blob', () => {
  const findings: string[] = [];
  for (const file of assemblyFiles()) {
    const text = readFileSync(file, 'latin1').replace(CSR_BLOCK, '');
    if (PRIVATE_KEY_PEM.test(text)) findings.push(`${file}: PEM private key`);
    const joined = text.replace(/\\n|\r|\n/g, '');
    for (const [run] of joined.matchAll(LONG_BASE64)) if (isDer(run)) findings.push(`${file}: DER ${run.slice(0, 24)}…`);
  }
  expect(findings).toEqual([]);
});

test('the key detector finds a real key, in PEM and as bare base64 in a template string', () => {
  const keyBody = readFileSync(deviceKeyPaths('ae-86', join(workDir, 'keys')).privateKey, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('-----'))
    .join('\n');
  expect(PRIVATE_KEY_PEM.test(csrPrivateKeyPem)).toBe(true);
  const [run] = [
    ...JSON.stringify({ leaked: keyBody })
      .replace(/\\n|\r|\n/g, '')
      .matchAll(LONG_BASE64),
  ][0];
  expect(isDer(run)).toBe(true);
});
