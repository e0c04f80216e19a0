import { z } from 'zod';

/**
 * What the per-car Secrets Manager secret holds (JSON). In `csr` mode there is no secret: the private key
 * stays in `.plamo/` and the certificate is read from AWS IoT by its id.
 */
export const certificateSecretSchema = z.object({
  certificateId: z.string().min(1),
  certificateArn: z.string().min(1),
  certificatePem: z.string().includes('BEGIN CERTIFICATE'),
  privateKey: z.string().includes('PRIVATE KEY'),
});
export type CertificateSecret = z.infer<typeof certificateSecretSchema>;
