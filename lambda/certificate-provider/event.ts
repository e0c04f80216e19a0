import { z } from 'zod';

import { IOT_DELETION_RESOURCE_TYPE } from '../../lib/cloud/resource-types';

export { DEVICE_CERTIFICATE_RESOURCE_TYPE, IOT_DELETION_RESOURCE_TYPE } from '../../lib/cloud/resource-types';

/**
 * The properties of a `Custom::DeviceCertificate` resource. CloudFormation passes every property value to a
 * custom resource as a string, so the generation arrives as "1".
 */
export const certificatePropertiesSchema = z.object({
  /** The car's thing; the certificate is detached from it before it is deleted. */
  ThingName: z.string().min(1),
  /** The car's Secrets Manager secret; the certificate and its key go there and nowhere else. */
  SecretArn: z.string().startsWith('arn:'),
  /** `certificate.generation` from the config: a new value makes a new certificate (rotation). */
  Generation: z.coerce.string().min(1),
});
export type CertificateProperties = z.infer<typeof certificatePropertiesSchema>;

const common = {
  RequestId: z.string().min(1),
  LogicalResourceId: z.string(),
  StackId: z.string(),
  ResourceProperties: certificatePropertiesSchema,
};

/** What the Provider framework hands the onEvent handler (the CloudFormation request, ResponseURL included). */
export const certificateEventSchema = z.discriminatedUnion('RequestType', [
  z.object({ RequestType: z.literal('Create'), ...common }),
  z.object({
    RequestType: z.literal('Update'),
    ...common,
    PhysicalResourceId: z.string(),
    OldResourceProperties: certificatePropertiesSchema,
  }),
  z.object({ RequestType: z.literal('Delete'), ...common, PhysicalResourceId: z.string() }),
]);
export type CertificateEvent = z.infer<typeof certificateEventSchema>;

/**
 * The handler's answer. It is logged by the Provider framework and stored by CloudFormation (4 KB cap), so it
 * holds ids and ARNs only, never the certificate or its key. A deletion that still has to wait for AWS IoT
 * answers when it began (`DeleteRequestedAt`, epoch ms), which the framework hands on to every isComplete call.
 */
export interface CertificateResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly CertificateId: string; readonly CertificateArn: string } | DeleteStarted;
}

export interface DeleteStarted {
  readonly DeleteRequestedAt: string;
}

/**
 * The properties of a `Custom::IotDeletion` resource: which retained AWS IoT resource it deletes when it leaves
 * the stack. A certificate also names the thing it was attached to, to see when that detachment has propagated.
 */
export const iotDeletionPropertiesSchema = z.discriminatedUnion('Kind', [
  z.object({ Kind: z.literal('thing'), Name: z.string().min(1) }),
  z.object({ Kind: z.literal('policy'), Name: z.string().min(1) }),
  z.object({ Kind: z.literal('certificate'), Name: z.string().regex(/^[0-9a-f]{64}$/), ThingName: z.string().min(1) }),
]);
export type IotDeletionProperties = z.infer<typeof iotDeletionPropertiesSchema>;

const deletionCommon = { ...common, ResourceType: z.literal(IOT_DELETION_RESOURCE_TYPE), ResourceProperties: iotDeletionPropertiesSchema };
export const iotDeletionEventSchema = z.discriminatedUnion('RequestType', [
  z.object({ RequestType: z.literal('Create'), ...deletionCommon }),
  z.object({
    RequestType: z.literal('Update'),
    ...deletionCommon,
    PhysicalResourceId: z.string(),
    OldResourceProperties: iotDeletionPropertiesSchema,
  }),
  z.object({ RequestType: z.literal('Delete'), ...deletionCommon, PhysicalResourceId: z.string() }),
]);
export type IotDeletionEvent = z.infer<typeof iotDeletionEventSchema>;

/**
 * What the Provider framework hands the isComplete handler: the request merged with the onEvent answer, so a
 * deletion finds its `DeleteRequestedAt` in `Data`.
 */
export const completionEventSchema = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResourceType: z.string(),
  PhysicalResourceId: z.string(),
  ResourceProperties: z.record(z.string(), z.unknown()),
  Data: z.record(z.string(), z.string()).optional(),
});
export type CompletionEvent = z.infer<typeof completionEventSchema>;
export type DeleteCompletionEvent = CompletionEvent & { readonly RequestType: 'Delete' };

/** The isComplete answer: `Data` is refused by the framework while IsComplete is false. */
export interface ProviderCompletion {
  readonly IsComplete: boolean;
}
