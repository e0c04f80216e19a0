import type { LampPort, PublishOptions } from '../../lib/api';
import { type PlamoConfig, parseConfig } from '../../lib/config';

/** Two cars: one that retains commands (powerOn "restore"), one that does not (powerOn "off"). */
export const testConfig: PlamoConfig = parseConfig({
  topicRoot: 'garage',
  cars: {
    rps13: {
      name: 'Nissan 180SX',
      wifi: { ssid: 'garage-2g' },
      powerOn: 'restore',
      lamps: {
        headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10, label: 'Headlights' },
        turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 6 },
        turnRight: { pin: 'GP4', kind: 'blinker', currentMa: 6 },
        brake: { pin: 'GP5', kind: 'pwm', currentMa: 8, tailLevel: 20 },
      },
      groups: { hazard: ['turnLeft', 'turnRight'] },
      labels: { hazard: 'Hazard lights', welcome: 'Welcome' },
      effects: {
        welcome: [
          { ms: 300, lamps: { hazard: 'on' } },
          { ms: 500, lamps: { hazard: 'off', headlights: { mode: 'on', brightness: 40 } } },
        ],
      },
      scenes: {
        night: { headlights: 'on', brake: { mode: 'on', brightness: 20 } },
        parked: { headlights: 'off', hazard: 'blink' },
      },
    },
    'ae86-trueno': {
      wifi: { ssid: 'garage-2g' },
      powerOn: 'off',
      lamps: { foglamps: { pin: 'GP6', kind: 'switch', currentMa: 5 } },
    },
  },
});

export interface Published {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
  readonly options: PublishOptions;
}

/** A broker in memory: records publishes. */
export class FakeLampPort implements LampPort {
  readonly published: Published[] = [];

  async publishLampCommand(topic: string, payload: string, options: PublishOptions): Promise<void> {
    this.published.push({ topic, payload: JSON.parse(payload), options });
  }
}

export const FIXED_ID = '0b6f7a4e-6a53-4a3e-9d1e-2f3c4b5a6d7e';
export const FIXED_TS = 1_764_000_000_000;

export function jsonRequest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return {
    method,
    path,
    headers:
      body === undefined || Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')
        ? headers
        : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  };
}
