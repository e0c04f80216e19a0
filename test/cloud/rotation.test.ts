import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { createDeviceKeyPair, deviceKeyPaths, writeDeviceKeyPair } from '../../lib/pki/device-keys';
import { PlamoStack } from '../../lib/cloud/stack';
import { parseConfig } from '../../lib/config';

let keysDir: string;

beforeAll(async () => {
  keysDir = mkdtempSync(join(tmpdir(), 'plamo-rotation-'));
  writeDeviceKeyPair(deviceKeyPaths('s15', keysDir), await createDeviceKeyPair('s15'));
});
afterAll(() => rmSync(keysDir, { recursive: true, force: true }));

/** The template for one car at a certificate generation; Lambda bundling is skipped, only the template matters here. */
function templateAt(mode: 'aws' | 'csr', generation: number): Record<string, { Type: string; Properties?: Record<string, unknown> }> {
  const config = parseConfig({
    cars: {
      s15: {
        wifi: { ssid: 'garage' },
        certificate: { mode, generation },
        lamps: { headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 } },
      },
    },
  });
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  // The car's resources are in the nested stack of its car group.
  const [group] = new PlamoStack(app, 'PlamoIot', { config, keysDir }).carGroups;
  return Template.fromStack(group).toJSON().Resources;
}

test('bumping the generation in mode "aws" changes only the Generation of the certificate resource', () => {
  const before = templateAt('aws', 1);
  const after = templateAt('aws', 2);
  expect(Object.keys(after)).toEqual(Object.keys(before));
  const changed = Object.keys(before).filter((id) => JSON.stringify(before[id]) !== JSON.stringify(after[id]));
  expect(changed).toHaveLength(1);
  expect(after[changed[0]]).toEqual({
    ...before[changed[0]],
    Properties: { ...before[changed[0]].Properties, Generation: '2' },
  });
  expect(before[changed[0]].Type).toBe('Custom::DeviceCertificate');
});

test('bumping the generation in mode "csr" replaces the certificate and its attachments, and keeps thing and policy', () => {
  const before = templateAt('csr', 1);
  const after = templateAt('csr', 2);
  const idsOf = (resources: typeof before, type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
  expect(idsOf(after, 'AWS::IoT::Certificate')).not.toEqual(idsOf(before, 'AWS::IoT::Certificate'));
  expect(idsOf(after, 'AWS::IoT::Thing')).toEqual(idsOf(before, 'AWS::IoT::Thing'));
  expect(idsOf(after, 'AWS::IoT::Policy')).toEqual(idsOf(before, 'AWS::IoT::Policy'));
  const [newCertificate] = idsOf(after, 'AWS::IoT::Certificate');
  // The old certificate's deletion step leaves the template with it, so CloudFormation runs it (after the old
  // attachments) and a new step comes for the new certificate.
  const deletionOf = (resources: typeof before, certificate: string) =>
    idsOf(resources, 'Custom::IotDeletion').filter(
      (id) => JSON.stringify(resources[id].Properties?.Name) === JSON.stringify({ 'Fn::GetAtt': [certificate, 'Id'] }),
    );
  const [oldCertificate] = idsOf(before, 'AWS::IoT::Certificate');
  expect(deletionOf(before, oldCertificate)).toHaveLength(1);
  expect(deletionOf(after, newCertificate)).toHaveLength(1);
  expect(after[deletionOf(before, oldCertificate)[0]]).toBeUndefined();
  for (const attachment of [
    ...idsOf(after, 'AWS::IoT::ThingPrincipalAttachment'),
    ...idsOf(after, 'AWS::IoT::PolicyPrincipalAttachment'),
  ]) {
    expect(after[attachment].Properties?.Principal).toEqual({ 'Fn::GetAtt': [newCertificate, 'Arn'] });
  }
});
