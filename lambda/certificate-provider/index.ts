import { Logger } from '@aws-lambda-powertools/logger';
import { IoTClient } from '@aws-sdk/client-iot';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { onCertificateEvent } from './certificates';
import { type CertificateResponse, certificateEventSchema } from './event';

const logger = new Logger({ serviceName: 'plamo-certificate-provider' });
const deps = {
  iot: new IoTClient({}),
  secrets: new SecretsManagerClient({}),
  log: logger,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/**
 * onEvent handler of the `Custom::DeviceCertificate` Provider. Logs the request type and ids only: the event
 * carries a presigned ResponseURL, and the SDK responses it handles carry the private key.
 */
export async function handler(input: unknown): Promise<CertificateResponse> {
  const event = certificateEventSchema.parse(input);
  logger.info('certificate request', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: event.RequestType === 'Create' ? undefined : event.PhysicalResourceId,
    generation: event.ResourceProperties.Generation,
  });
  return onCertificateEvent(event, deps);
}
