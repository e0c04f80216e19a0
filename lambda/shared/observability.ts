import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE } from '../../lib/contract/stack';

const SERVICE_NAME = 'lamp-api';

/**
 * The one configured logger and metrics pair of the lamp API handler. The authorizer logs without Powertools
 * to stay inside its bundle budget, and the certificate provider has its own (see their modules).
 */
export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
export { MetricUnit };
