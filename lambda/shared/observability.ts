import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of the API's metrics (EMF, so no PutMetricData permission is needed). */
export const METRICS_NAMESPACE = 'PlamoIot';
const SERVICE_NAME = 'lamp-api';

/** The one configured logger and metrics pair every handler imports. */
export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export { MetricUnit };
