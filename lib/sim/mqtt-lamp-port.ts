import mqtt, { type MqttClient } from 'mqtt';
import { BrokerBusyError, type LampPort } from '../api/lamp-port';
import { LOOPBACK } from './listen';
import { disableNagleOnClient } from './no-delay';
import { CONTROLLER_COMMON_NAME, type LocalPki } from '../pki/local-ca';

/**
 * The lamp API's broker port for the local twin: publishes commands over MQTT with the controller's
 * certificate, as the Lambda does through the IoT data plane. What the cars report reaches the API through
 * the twin's car store instead, fed by the broker like a topic rule.
 */
export interface MqttLampPort extends LampPort {
  close(): Promise<void>;
}

export interface MqttLampPortOptions {
  readonly pki: LocalPki;
  readonly mqttPort: number;
}

/** Seconds a phone is told to wait while the twin's own broker connection is down. */
const RECONNECT_RETRY_AFTER_S = 1;

export async function connectMqttLampPort(options: MqttLampPortOptions): Promise<MqttLampPort> {
  const { pki } = options;
  const client: MqttClient = await mqtt.connectAsync(`mqtts://${LOOPBACK}:${options.mqttPort}`, {
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
    async close() {
      await client.endAsync();
    },
  };
}
