/** The CloudFormation stack `npx cdk deploy` makes and `plamo device` / `plamo token` read back. */
export const STACK_NAME = 'PlamoIot';

/**
 * CloudWatch namespace of every plamo metric: the cars' telemetry (topic rule) and the lamp API's own (EMF, so
 * no PutMetricData permission is needed).
 */
export const METRICS_NAMESPACE = 'PlamoIot';

/**
 * Names of the stack outputs that the CLI reads back (`plamo device`, `plamo token`). None is per car: a car's
 * ids are read from AWS IoT by its thing name (see `THING_ATTRIBUTES`), so outputs do not grow with the cars.
 */
export const STACK_OUTPUTS = {
  iotEndpoint: 'IotEndpoint',
  apiUrl: 'ApiUrl',
  tokenTable: 'TokenTableName',
  otaBucket: 'OtaBucketName',
  otaStreamRole: 'OtaStreamRoleArn',
} as const;

/**
 * Attributes every car's thing carries, which `plamo device` reads with DescribeThing: the ARN of the secret
 * holding the certificate and key (mode "aws" only). The certificate itself is the thing's principal.
 */
export const THING_ATTRIBUTES = { certificateSecretArn: 'certificateSecretArn' } as const;
