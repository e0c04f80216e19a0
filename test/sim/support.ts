import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { type PlamoConfig, parseConfig } from '../../lib/config';
import { ensureLocalPki, type Identity, type LocalPki } from '../../lib/pki/local-ca';

/** Two cars, so tests can show that one car's certificate cannot reach the other's topics. */
export function twoCarConfig(): PlamoConfig {
  const car = (pins: [string, string, string]) => ({
    wifi: { ssid: 'garage-2g' },
    lamps: {
      headlights: { pin: pins[0], kind: 'pwm', currentMa: 10 },
      turnLeft: { pin: pins[1], kind: 'blinker', currentMa: 6 },
      turnRight: { pin: pins[2], kind: 'blinker', currentMa: 6 },
    },
    groups: { hazard: ['turnLeft', 'turnRight'] },
  });
  return parseConfig({ cars: { carA: car(['GP2', 'GP3', 'GP4']), carB: car(['GP2', 'GP3', 'GP4']) } });
}

/** A PKI in a fresh temporary folder; `remove()` deletes it. */
export async function temporaryPki(carIds: readonly string[]): Promise<LocalPki & { remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'plamo-twin-'));
  const pki = await ensureLocalPki({ dir, carIds });
  return { ...pki, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Connects over mutual TLS as `identity`, without automatic reconnects. Rejects on a refused CONNACK and
 * also when the broker drops the connection before answering (a TLS 1.3 server checks the client's
 * certificate after the client already thinks the handshake is done, so that refusal is just a close).
 */
export function connectAs(
  port: number,
  ca: string,
  identity: Identity | undefined,
  clientId: string,
  extra: mqtt.IClientOptions = {},
): Promise<MqttClient> {
  const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
    ca,
    cert: identity?.cert.pem,
    key: identity?.key.pem,
    clientId,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  });
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      client.off('connect', onConnect);
      client.off('error', settle);
      client.off('close', onClose);
      if (error === undefined) return resolve(client);
      client.end(true);
      reject(error);
    };
    const onConnect = () => settle();
    const onClose = () => settle(new Error('connection closed before CONNACK'));
    client.on('connect', onConnect);
    client.on('error', settle);
    client.on('close', onClose);
  });
}

/** Resolves with the next message on a topic matching `topic`. */
export function nextMessage(client: MqttClient, topic: string): Promise<{ topic: string; payload: string; retain: boolean }> {
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer, packet: { retain: boolean }) => {
      if (received !== topic) return;
      client.off('message', onMessage);
      resolve({ topic: received, payload: payload.toString(), retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

/** Resolves when the client's connection is closed. */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}
