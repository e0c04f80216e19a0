import type { MqttClient } from 'mqtt';
import { carTopics, parseLampTopic } from '../../lib/contract';
import type { StartVirtualCar, VirtualCar } from '../../lib/sim/twin';
import { connectAs } from './support';

/**
 * A test double of a car for tests about the page and the API, not the firmware: it applies every command
 * at once and reports it as the contract says, over the car's own certificate.
 */
export const startEchoCar: StartVirtualCar = async (carId, { config, pki, mqttPort }) => {
  const topics = carTopics(config.topicRoot, carId);
  const levels = new Map<string, number>(Object.keys(config.cars[carId].lamps).map((lamp) => [lamp, 0]));
  const client: MqttClient = await connectAs(mqttPort, pki.ca.pem, pki.cars[carId], carId, {
    will: { topic: topics.status, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
  });
  client.on('message', (topic, payload) => {
    const lamp = parseLampTopic(config.topicRoot, topic);
    if (lamp === undefined || !levels.has(lamp.lamp)) return;
    const command = JSON.parse(payload.toString());
    const brightness = command.mode === 'off' ? 0 : (command.brightness ?? 100);
    levels.set(lamp.lamp, brightness / 100);
    const state = { mode: command.mode, brightness, id: command.id, ts: Date.now() };
    client.publish(topics.lampState(lamp.lamp), JSON.stringify(state), { qos: 1, retain: true });
  });
  await client.subscribeAsync(topics.lampSet('+'), { qos: 1 });
  await client.publishAsync(topics.status, JSON.stringify({ online: true, fw: 'echo', ip: '127.0.0.1' }), { qos: 1, retain: true });
  const car: VirtualCar = {
    pinLevel: (lamp) => levels.get(lamp),
    stop: async () => {
      await client.publishAsync(topics.status, '{"online":false}', { qos: 1, retain: true });
      await client.endAsync();
    },
    kill: async () => {
      (client.stream as unknown as { destroy(): void }).destroy();
      await client.endAsync(true);
    },
  };
  return car;
};
