import { type IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { BrokerBusyError, type LampPort, type PublishOptions } from '../api/lamp-port';

/** Seconds a phone should wait after IoT Core throttled us; the SDK has already retried with backoff by then. */
export const RETRY_AFTER_S = 1;

const BUSY_ERRORS = new Set(['ThrottlingException', 'ServiceUnavailableException']);

function brokerError(error: unknown): unknown {
  return error instanceof Error && BUSY_ERRORS.has(error.name) ? new BrokerBusyError(RETRY_AFTER_S, { cause: error }) : error;
}

/** The lamp port on AWS IoT Core's data plane (the account's ATS endpoint): commands only. */
export class IotDataLampPort implements LampPort {
  constructor(private readonly client: IoTDataPlaneClient) {}

  async publishLampCommand(topic: string, payload: string, options: PublishOptions): Promise<void> {
    try {
      await this.client.send(
        new PublishCommand({ topic, qos: options.qos, retain: options.retain, payload: Buffer.from(payload, 'utf8') }),
      );
    } catch (error) {
      throw brokerError(error);
    }
  }
}
