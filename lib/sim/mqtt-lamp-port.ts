import mqtt, { type MqttClient } from 'mqtt';
import { BrokerBusyError, type LampPort } from '../api/lamp-port';
import type { PlamoConfig } from '../config';
import { controllerPermissions, parseLampTopic, retainCommands } from '../contract';
import { LOOPBACK } from './listen';
import { disableNagleOnClient } from './no-delay';
import { CONTROLLER_COMMON_NAME, type LocalPki } from './pki';

/**
 * The lamp API's broker port for the local twin: publishes over MQTT with the controller's certificate, and
 * answers `readRetained` from a cache fed by subscribing to exactly what the cloud API may read with
 * GetRetainedMessage (`controllerPermissions().readRetained`).
 */
export interface MqttLampPort extends LampPort {
  close(): Promise<void>;
}

export interface MqttLampPortOptions {
  readonly config: PlamoConfig;
  readonly pki: LocalPki;
  readonly mqttPort: number;
}

/** Seconds a phone is told to wait while the twin's own broker connection is down. */
const RECONNECT_RETRY_AFTER_S = 1;

/**
 * MQTT 3.1.1 clears the retain flag on live deliveries (section 3.3.1.3), so a subscriber cannot tell a
 * retained command from a plain one. The contract can: states and status are always retained, commands
 * only for cars whose `powerOn` is `restore`.
 */
function retainedByContract(config: PlamoConfig, topic: string): boolean {
  const lamp = parseLampTopic(config.topicRoot, topic);
  if (lamp?.kind !== 'set') return true;
  const car = config.cars[lamp.car];
  return car !== undefined && retainCommands(car.powerOn);
}

export async function connectMqttLampPort(options: MqttLampPortOptions): Promise<MqttLampPort> {
  const { config, pki } = options;
  const retained = new Map<string, string>();
  const filters = Object.entries(config.cars).flatMap(
    ([carId, car]) => controllerPermissions(config.topicRoot, carId, Object.keys(car.lamps)).readRetained,
  );

  const client: MqttClient = await mqtt.connectAsync(`mqtts://${LOOPBACK}:${options.mqttPort}`, {
    ca: pki.ca.pem,
    cert: pki.controller.cert.pem,
    key: pki.controller.key.pem,
    clientId: CONTROLLER_COMMON_NAME,
    reconnectPeriod: 1000,
  });
  disableNagleOnClient(client);
  const remember = (topic: string, payload: string) => {
    if (!retainedByContract(config, topic)) return;
    // An empty retained message deletes the retained message (MQTT 3.1.1 section 3.3.1.3).
    if (payload === '') retained.delete(topic);
    else retained.set(topic, payload);
  };
  client.on('message', (topic, payload) => remember(topic, payload.toString('utf8')));
  await client.subscribeAsync(Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const }])));

  return {
    async publishLampCommand(topic, payload, { qos, retain }) {
      if (!client.connected) throw new BrokerBusyError(RECONNECT_RETRY_AFTER_S);
      await client.publishAsync(topic, payload, { qos, retain });
      // Answer a read right after the write with it, as GetRetainedMessage would, without waiting for the echo.
      if (retain) remember(topic, payload);
    },
    async readRetained(topic) {
      return retained.get(topic) ?? null;
    },
    async close() {
      await client.endAsync();
    },
  };
}
