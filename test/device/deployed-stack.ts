import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, type IoTClient } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { carOutputKey, STACK_OUTPUTS } from '../../lib/contract/stack';
import type { TestCredentials } from './test-certificates';

export interface DeployedStack {
  readonly endpoint: string;
  readonly secretArn: string;
  readonly certificateId: string;
  readonly credentials: TestCredentials;
}

export interface AwsStubs {
  readonly cloudFormation: AwsClientStub<CloudFormationClient>;
  readonly secretsManager: AwsClientStub<SecretsManagerClient>;
  readonly iot: AwsClientStub<IoTClient>;
}

/**
 * Answers AWS as a deployed PlamoIot stack would: outputs for car rps13 (certificate mode "aws", with a
 * secret) and s30 (mode "csr", no secret), the secret's JSON, and an ACTIVE certificate.
 */
export function mockDeployedStack({ cloudFormation, secretsManager, iot }: AwsStubs, stack: DeployedStack): void {
  const { endpoint, secretArn, certificateId, credentials } = stack;
  cloudFormation.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'PlamoIot',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: [
          { OutputKey: STACK_OUTPUTS.iotEndpoint, OutputValue: endpoint },
          { OutputKey: carOutputKey('rps13', 'CertificateSecretArn'), OutputValue: secretArn },
          { OutputKey: carOutputKey('rps13', 'CertificateId'), OutputValue: certificateId },
          { OutputKey: carOutputKey('s30', 'CertificateId'), OutputValue: certificateId },
        ],
      },
    ],
  });
  secretsManager.on(GetSecretValueCommand).resolves({
    SecretString: JSON.stringify({
      certificateId,
      certificateArn: `arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`,
      certificatePem: credentials.certificatePem,
      privateKey: credentials.privateKeyPem,
    }),
  });
  iot.on(DescribeCertificateCommand).resolves({ certificateDescription: { status: 'ACTIVE', certificatePem: credentials.certificatePem } });
}
