/** How a lamp command is delivered: the contract's QoS and the car's retain flag. */
export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/**
 * The message broker as the lamp API sees it. AWS IoT Core (IoT data plane) implements it in the Lambda,
 * the embedded MQTT broker in the local twin; the API logic is the same for both.
 */
export interface LampPort {
  publishLampCommand(topic: string, payload: string, options: PublishOptions): Promise<void>;
  /** The retained message on a topic as text, or null when there is none. */
  readRetained(topic: string): Promise<string | null>;
}

/** The broker refused for now (e.g. IoT Core throttling); the API answers 503 with Retry-After. */
export class BrokerBusyError extends Error {
  constructor(
    readonly retryAfterS: number,
    options?: { cause?: unknown },
  ) {
    super(`the message broker is busy; retry in ${retryAfterS} s`, options);
    this.name = 'BrokerBusyError';
  }
}
