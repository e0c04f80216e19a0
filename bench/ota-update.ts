import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlamoConfig } from '../lib/config';
import { OTA_BUCKET_DIR } from '../lib/ota/control-plane';
import { LocalControlPlane } from '../lib/ota/local-control-plane';
import { OTA_BLOCK_BYTES } from '../lib/contract';
import { renderUpdateFiles } from '../lib/ota/package';
import { sendUpdate } from '../lib/ota/update-flow';
import { startTwin } from '../lib/sim/twin';
import { startVirtualCar } from '../lib/sim/virtual-car';
import { elapsedMs, round } from './stats';

/**
 * An update in the local twin, from `plamo ota`'s start to the car online with the new version: once with
 * every firmware file changed (the whole firmware streamed block by block), once with config.py alone (a lamp
 * setting changed). Real time, the real firmware on a virtual Pico W in its worker thread.
 */
export interface OtaFigures {
  /** The whole firmware: every file differs from what the car holds. */
  readonly wholeMs: number;
  readonly wholeBytes: number;
  readonly wholeFiles: number;
  /** config.py only. */
  readonly configOnlyMs: number;
  readonly configOnlyBytes: number;
  readonly blockBytes: number;
}

async function timedUpdate(config: PlamoConfig, carId: string, plane: LocalControlPlane, mqttPort: number, mark: string) {
  const lines: string[] = [];
  const rendered = renderUpdateFiles(config, carId, { mqttHost: '127.0.0.1', mqttPort });
  // A comment appended to every file makes the first update change them all; the second, with the same
  // comment and one setting changed, then changes config.py alone.
  const files = new Map([...rendered.files].map(([path, content]) => [path, Buffer.concat([content, Buffer.from(`\n# ${mark}\n`)])]));
  const start = performance.now();
  const outcome = await sendUpdate(
    {
      config,
      carId,
      plane,
      mqttHost: '127.0.0.1',
      mqttPort,
      readStatus: (car) => plane.readStatus(car),
      progress: (line) => lines.push(line),
      pollMs: 20,
      timeoutMs: 300_000,
    },
    { version: rendered.version, files },
  );
  if (outcome.kind !== 'online') throw new Error(`the update did not come online: ${lines.at(-1)}`);
  const reboot = lines.find((line) => line.includes('rebooting into the update')) ?? '';
  const [, fetched, bytes] = /\((\d+)\/\d+ files, (\d+)\/\d+ bytes/.exec(reboot) ?? [];
  return { ms: elapsedMs(start), files: Number(fetched), bytes: Number(bytes) };
}

export async function benchOtaUpdate(options: { config: PlamoConfig; progress: (line: string) => void }): Promise<OtaFigures> {
  const carId = Object.keys(options.config.cars)[0];
  const config: PlamoConfig = { ...options.config, cars: { [carId]: options.config.cars[carId] } };
  const pkiDir = mkdtempSync(join(tmpdir(), 'plamo-bench-ota-'));
  const twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir, startVirtualCar, liveUpdates: false });
  try {
    const plane = new LocalControlPlane({ url: twin.url, token: twin.token, bucketDir: join(pkiDir, OTA_BUCKET_DIR) });
    const whole = await timedUpdate(config, carId, plane, twin.mqttPort, 'bench: every file changed');
    options.progress(`  whole firmware: ${whole.files} files, ${whole.bytes} B in ${(whole.ms / 1000).toFixed(1)} s`);
    const slower = {
      ...config,
      cars: { [carId]: { ...config.cars[carId], blinkPerMin: config.cars[carId].blinkPerMin === 60 ? 61 : 60 } },
    };
    const configOnly = await timedUpdate(slower, carId, plane, twin.mqttPort, 'bench: every file changed');
    options.progress(`  config.py only: ${configOnly.bytes} B in ${(configOnly.ms / 1000).toFixed(1)} s`);
    return {
      wholeMs: round(whole.ms, 0),
      wholeBytes: whole.bytes,
      wholeFiles: whole.files,
      configOnlyMs: round(configOnly.ms, 0),
      configOnlyBytes: configOnly.bytes,
      blockBytes: OTA_BLOCK_BYTES,
    };
  } finally {
    await twin.close();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
