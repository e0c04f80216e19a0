import { z } from 'zod';

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
 * holds ids and ARNs only, never the certificate or its key.
 */
export interface CertificateResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly CertificateId: string; readonly CertificateArn: string };
}
