import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WIFI_PASSWORD_FILE } from '../../firmware/generate';
import { runCli } from '../../lib/cli';
import { CONFIG_INPUT, HOST } from './support';

function project(): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'plamo-firmware-'));
  const config = join(dir, 'plamo.config.js');
  writeFileSync(config, `module.exports = ${JSON.stringify(CONFIG_INPUT)};\n`);
  return { dir, config };
}

async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const error = jest.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    return { code: await runCli(args), out: lines.join('\n') };
  } finally {
    process.env = saved;
    log.mockRestore();
    error.mockRestore();
  }
}

describe('npx plamo firmware', () => {
  test('writes the modules and config.py, and says what is missing and which command adds it', async () => {
    const { dir, config } = project();
    const out = join(dir, 'pico');
    const result = await run(['-c', config, 'firmware', 'rps13', '--out', out, '--host', HOST], { PLAMO_WIFI_PASSWORD: undefined });
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).toContain(`MQTT_HOST = "${HOST}"`);
    expect(readFileSync(join(out, 'main.py'), 'utf8')).toContain('app.main()');
    expect(result.out).toContain('certificates (certs/device.crt.der, certs/device.key.der, certs/root-ca.der): `npx plamo device rps13`');
    expect(result.out).toContain('the Wi-Fi password: set PLAMO_WIFI_PASSWORD');
  });

  test('with PLAMO_WIFI_PASSWORD set, its own file holds it, readable by the owner only, and config.py does not', async () => {
    const { dir, config } = project();
    const out = join(dir, 'pico');
    const result = await run(['-c', config, 'firmware', 'rps13', '--out', out], {
      PLAMO_WIFI_PASSWORD: 'tail "lamp" 180sx',
      PLAMO_MQTT_HOST: HOST,
    });
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, WIFI_PASSWORD_FILE), 'utf8')).toBe('tail "lamp" 180sx');
    expect(statSync(join(out, WIFI_PASSWORD_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).not.toContain('180sx');
    expect(result.out).not.toContain('180sx');
  });

  test('without a host it stops and says where the endpoint comes from', async () => {
    const { dir, config } = project();
    const result = await run(['-c', config, 'firmware', 'rps13', '--out', join(dir, 'pico')], { PLAMO_MQTT_HOST: undefined });
    expect(result.code).toBe(1);
    expect(result.out).toContain('no MQTT host: pass --host <endpoint> or set PLAMO_MQTT_HOST');
  });

  test('a URL for --host stops with what to pass instead', async () => {
    const { dir, config } = project();
    const result = await run(['-c', config, 'firmware', 'rps13', '--out', join(dir, 'pico'), '--host', `https://${HOST}`]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`no MQTT host name in 'https://${HOST}': pass the endpoint alone`);
  });

  test('into a device folder it keeps the certificates there, the key still 0600', async () => {
    const { dir, config } = project();
    const out = join(dir, 'device');
    mkdirSync(join(out, 'certs'), { recursive: true });
    writeFileSync(join(out, 'config.py'), 'old');
    writeFileSync(join(out, 'certs', 'device.crt.der'), 'cert');
    writeFileSync(join(out, 'certs', 'device.key.der'), 'key', { mode: 0o600 });
    writeFileSync(join(out, 'certs', 'root-ca.der'), 'ca');
    const result = await run(['-c', config, 'firmware', 'rps13', '--out', out, '--host', HOST], { PLAMO_WIFI_PASSWORD: undefined });
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'config.py'), 'utf8')).toContain(`MQTT_HOST = "${HOST}"`);
    expect(readFileSync(join(out, 'certs', 'device.key.der'), 'utf8')).toBe('key');
    expect(statSync(join(out, 'certs', 'device.key.der')).mode & 0o777).toBe(0o600);
    expect(result.out).toContain('kept the certificates already in the folder');
    expect(result.out).not.toContain('certificates (certs/');
  });
});
