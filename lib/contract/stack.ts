import { createHash } from 'node:crypto';

/** The CloudFormation stack `npx cdk deploy` makes and `plamo device` / `plamo token` read back. */
export const STACK_NAME = 'PlamoIot';

/**
 * CloudWatch namespace of every plamo metric: the cars' telemetry (topic rule) and the lamp API's own (EMF, so
 * no PutMetricData permission is needed).
 */
export const METRICS_NAMESPACE = 'PlamoIot';

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
