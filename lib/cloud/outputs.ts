import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * Names of the stack outputs that the CLI reads back (`plamo device`, `plamo token`).
 * Output ids must be alphanumeric, car ids may hold `_` and `-`: those are dropped and a short hash keeps
 * ids like `car-1` and `car1` apart.
 */
export const STACK_OUTPUTS = {
  iotEndpoint: 'IotEndpoint',
  apiUrl: 'ApiUrl',
  tokenTable: 'TokenTableName',
} as const;

export type CarOutput = 'ThingName' | 'CertificateId' | 'CertificateSecretArn';

export function carOutputKey(carId: string, output: CarOutput): string {
  const alnum = carId.replace(/[^A-Za-z0-9]/g, '');
  const suffix = alnum === carId ? '' : createHash('sha256').update(carId).digest('hex').slice(0, 6);
  return `Car${alnum}${suffix}${output}`;
}

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
