import { z } from 'zod';

/**
 * Names of the stack outputs that the CLI reads back (`plamo device`, `plamo token`). None is per car: a car's
 * ids are read from AWS IoT by its thing name (see `THING_ATTRIBUTES`), so outputs do not grow with the cars.
 */
export const STACK_OUTPUTS = {
  iotEndpoint: 'IotEndpoint',
  apiUrl: 'ApiUrl',
  tokenTable: 'TokenTableName',
} as const;

/**
 * Attributes every car's thing carries, which `plamo device` reads with DescribeThing: the ARN of the secret
 * holding the certificate and key (mode "aws" only). The certificate itself is the thing's principal.
 */
export const THING_ATTRIBUTES = { certificateSecretArn: 'certificateSecretArn' } as const;

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
