import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeCertificateCommand, DescribeThingCommand, type IoTClient, ListThingPrincipalsCommand } from '@aws-sdk/client-iot';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { STACK_OUTPUTS, THING_ATTRIBUTES } from '../../lib/contract/stack';
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
 * Answers AWS as a deployed PlamoIot stack would: the endpoint output; things rps13 (certificate mode "aws",
 * its secret's ARN an attribute) and s30 (mode "csr", no secret), each with the certificate as principal; the
 * secret's JSON, and an ACTIVE certificate.
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
          { OutputKey: 'ApiUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com' },
        ],
      },
    ],
  });
  iot
    .on(DescribeThingCommand, { thingName: 'rps13' })
    .resolves({ thingName: 'rps13', attributes: { [THING_ATTRIBUTES.certificateSecretArn]: secretArn } });
  iot.on(DescribeThingCommand, { thingName: 's30' }).resolves({ thingName: 's30', attributes: {} });
  iot.on(ListThingPrincipalsCommand).resolves({ principals: [`arn:aws:iot:eu-west-1:123456789012:cert/${certificateId}`] });
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
