import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lanAddress } from '../../lib/cli/sim';
import { loadConfig } from '../../lib/config';

const ROOT = resolve(__dirname, '..', '..');
const CONFIG = join(ROOT, 'plamo.config.ts');
let workDir: string;

beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'plamo-sim-cli-'));
});

afterEach(() => rmSync(workDir, { recursive: true, force: true }));

/** `npx plamo sim` as a user runs it, from a folder of its own (the certificates go to its .plamo/). */
function plamoSim(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'plamo.cjs'), '-c', CONFIG, 'sim', ...args], {
    cwd: workDir,
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

function waitFor(output: () => string, pattern: RegExp, exited: Promise<unknown>): Promise<RegExpMatchArray> {
  return new Promise((done, fail) => {
    const timer = setInterval(() => {
      const match = output().match(pattern);
      if (match) {
        clearInterval(timer);
        done(match);
      }
    }, 50);
    exited.then(() => {
      clearInterval(timer);
      const match = output().match(pattern);
      if (match) done(match);
      else fail(new Error(`exited before ${pattern}:\n${output()}`));
    });
  });
}

test('plamo sim prints the ready line, serves the page there, and stops cleanly on SIGTERM', async () => {
  const sim = plamoSim(['--port', '0', '--mqtt-port', '0']);
  const [, url] = await waitFor(sim.output, /^ready: (http:\/\/127\.0\.0\.1:\d+)$/m, sim.exited);
  expect((await fetch(`${url}/`)).status).toBe(200);
  sim.child.kill('SIGTERM');
  expect(await sim.exited).toBe(0);
  expect(sim.output()).toMatch(/stopped\n$/);
}, 60_000);

test('each virtual car is online before the ready line', async () => {
  const sim = plamoSim(['--port', '0', '--mqtt-port', '0']);
  await waitFor(sim.output, /^ready: /m, sim.exited);
  sim.child.kill('SIGTERM');
  await sim.exited;
  for (const carId of Object.keys(loadConfig(CONFIG).cars))
    expect(sim.output()).toMatch(new RegExp(`^${carId} online$[\\s\\S]*^ready: `, 'm'));
}, 60_000);

test('--no-cars starts the broker and the API without virtual cars', async () => {
  const sim = plamoSim(['--port', '0', '--mqtt-port', '0', '--no-cars']);
  await waitFor(sim.output, /^ready: /m, sim.exited);
  sim.child.kill('SIGTERM');
  expect(await sim.exited).toBe(0);
  expect(sim.output()).not.toMatch(/ online$/m);
}, 60_000);

test('PLAMO_TOKEN fixes the token the twin prints and accepts', async () => {
  const token = `plamo_${'a'.repeat(43)}`;
  const sim = plamoSim(['--port', '0', '--mqtt-port', '0'], { PLAMO_TOKEN: token });
  const [, url] = await waitFor(sim.output, /^ready: (http:\/\/127\.0\.0\.1:\d+)$/m, sim.exited);
  const response = await fetch(`${url}/api/cars`, { headers: { authorization: `Bearer ${token}` } });
  sim.child.kill('SIGINT');
  await sim.exited;
  expect(response.status).toBe(200);
  expect(sim.output()).toContain(`#token=${token}`);
}, 60_000);

test('a port in use ends the command with a clear message and exit code 1', async () => {
  const holder: Server = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as { port: number }).port;
  try {
    const sim = plamoSim(['--port', '0', '--mqtt-port', String(port)]);
    expect(await sim.exited).toBe(1);
    expect(sim.output()).toContain(
      `✗ port ${port} on 127.0.0.1 is already in use; stop the program holding it or choose another port with --mqtt-port`,
    );
  } finally {
    await new Promise<void>((done) => holder.close(() => done()));
  }
}, 60_000);

test('--lan listens on the LAN address, warns that it is plain HTTP, and links the phone there', async () => {
  const address = lanAddress();
  const sim = plamoSim(['--port', '0', '--mqtt-port', '0', '--no-cars', '--lan']);
  if (address === undefined) {
    expect(await sim.exited).toBe(1);
    expect(sim.output()).toContain('--lan: this computer has no network address besides 127.0.0.1');
    return;
  }
  const [, url] = await waitFor(sim.output, /^ready: (http:\/\/[\d.]+:\d+)$/m, sim.exited);
  try {
    expect(new URL(url).hostname).toBe(address);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(sim.output()).toContain('warning: plain HTTP on your network');
    expect(sim.output()).toMatch(new RegExp(`open on your phone .*: ${url.replace(/\./g, '\\.')}/#token=plamo_`));
  } finally {
    sim.child.kill('SIGTERM');
    await sim.exited;
  }
}, 60_000);

test('the LAN address is the first IPv4 address that is not loopback', () => {
  const loopback = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '', internal: true, cidr: null } as const;
  const ipv6 = { ...loopback, address: 'fe80::1', family: 'IPv6', internal: false, scopeid: 1 } as const;
  const wifi = { ...loopback, address: '192.168.1.23', internal: false } as const;
  expect(lanAddress({ lo: [loopback], wlan0: [ipv6, wifi] })).toBe('192.168.1.23');
  expect(lanAddress({ lo: [loopback] })).toBeUndefined();
});
