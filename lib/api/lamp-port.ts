/** How a lamp command is delivered: the contract's QoS and the car's retain flag. */
export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/**
 * The message broker as the lamp API sees it, for commands; what cars report is read from a `CarStore`.
 * AWS IoT Core (IoT data plane) implements it in the Lambda, the embedded MQTT broker in the local twin.
 */
export interface LampPort {
  publishLampCommand(topic: string, payload: string, options: PublishOptions): Promise<void>;
}

/** The broker or store refused for now (e.g. throttling); the API answers 503 with Retry-After. */
export class BrokerBusyError extends Error {
  constructor(
    readonly retryAfterS: number,
    options?: { cause?: unknown },
  ) {
    super(`the message broker is busy; retry in ${retryAfterS} s`, options);
    this.name = 'BrokerBusyError';
  }
}
