import mqtt, { type MqttClient } from 'mqtt';
import { BrokerBusyError, type LampPort } from '../api/lamp-port';
import type { LocalBroker } from './broker';
import { LOOPBACK } from './listen';
import { disableNagleOnClient } from './no-delay';
import { CONTROLLER_COMMON_NAME, type LocalPki } from './pki';

/**
 * The lamp API's broker port for the local twin: publishes over MQTT with the controller's certificate, under
 * the lamp API's IAM statements, and reads retained messages from the broker's store as GetRetainedMessage
 * does, under the same statements.
 */
export interface MqttLampPort extends LampPort {
  close(): Promise<void>;
}

export interface MqttLampPortOptions {
  readonly pki: LocalPki;
  readonly broker: Pick<LocalBroker, 'port' | 'getRetainedMessage'>;
}

/** Seconds a phone is told to wait while the twin's own broker connection is down. */
const RECONNECT_RETRY_AFTER_S = 1;

export async function connectMqttLampPort(options: MqttLampPortOptions): Promise<MqttLampPort> {
  const { pki, broker } = options;
  const client: MqttClient = await mqtt.connectAsync(`mqtts://${LOOPBACK}:${broker.port}`, {
    ca: pki.ca.pem,
    cert: pki.controller.cert.pem,
    key: pki.controller.key.pem,
    clientId: CONTROLLER_COMMON_NAME,
    reconnectPeriod: 1000,
  });
  disableNagleOnClient(client);

  return {
    async publishLampCommand(topic, payload, { qos, retain }) {
      if (!client.connected) throw new BrokerBusyError(RECONNECT_RETRY_AFTER_S);
      await client.publishAsync(topic, payload, { qos, retain });
    },
    async readRetained(topic) {
      const message = broker.getRetainedMessage(CONTROLLER_COMMON_NAME, topic);
      // The lamp API's role lacks iot:GetRetainedMessage there: in AWS an AccessDeniedException.
      if (message === undefined) throw new Error(`the lamp API may not read the retained message of ${topic}`);
      return message?.payload.toString('utf8') ?? null;
    },
    async close() {
      await client.endAsync();
    },
  };
}
