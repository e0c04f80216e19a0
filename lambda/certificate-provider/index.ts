import { Logger } from '@aws-lambda-powertools/logger';
import { IoTClient } from '@aws-sdk/client-iot';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { completeCertificateDelete, onCertificateEvent } from './certificates';
import { completeIotDeletion, onIotDeletionEvent } from './deletion';
import {
  type CertificateResponse,
  certificateEventSchema,
  completionEventSchema,
  DEVICE_CERTIFICATE_RESOURCE_TYPE,
  type DeleteCompletionEvent,
  IOT_DELETION_RESOURCE_TYPE,
  iotDeletionEventSchema,
  iotDeletionPropertiesSchema,
  type ProviderCompletion,
} from './event';

const logger = new Logger({ serviceName: 'plamo-certificate-provider' });
const deps = { iot: new IoTClient({}), secrets: new SecretsManagerClient({}), log: logger, now: () => Date.now() };

const resourceTypeSchema = z.object({ ResourceType: z.enum([DEVICE_CERTIFICATE_RESOURCE_TYPE, IOT_DELETION_RESOURCE_TYPE]) });

/**
 * onEvent handler of the Provider behind `Custom::DeviceCertificate` and `Custom::IotDeletion`. Logs the
 * request type and ids only: the event carries a presigned ResponseURL, and the SDK responses it handles
 * carry the private key.
 */
export async function handler(input: unknown): Promise<CertificateResponse> {
  const { ResourceType } = resourceTypeSchema.parse(input);
  if (ResourceType === IOT_DELETION_RESOURCE_TYPE) {
    const event = iotDeletionEventSchema.parse(input);
    logger.info('deletion request', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });
    return onIotDeletionEvent(event, deps);
  }
  const event = certificateEventSchema.parse(input);
  logger.info('certificate request', {
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    physicalResourceId: event.RequestType === 'Create' ? undefined : event.PhysicalResourceId,
    generation: event.ResourceProperties.Generation,
  });
  return onCertificateEvent(event, deps);
}

/**
 * isComplete handler of the same Provider, polled by the framework until it answers true (or fails): only
 * deletions wait, for AWS IoT to let go of what was detached. A certificate whose onEvent found nothing to
 * delete carries no `DeleteRequestedAt` and is complete at once.
 */
export async function isComplete(input: unknown): Promise<ProviderCompletion> {
  const { ResourceType } = resourceTypeSchema.parse(input);
  const event = completionEventSchema.parse(input);
  if (ResourceType === IOT_DELETION_RESOURCE_TYPE) {
    return completeIotDeletion(event, iotDeletionPropertiesSchema.parse(event.ResourceProperties), deps);
  }
  if (event.RequestType !== 'Delete' || !event.Data?.DeleteRequestedAt) return { IsComplete: true };
  return completeCertificateDelete(event as DeleteCompletionEvent, deps);
}
