import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * `npm start -- …` as a user runs it: npm, which runs the script under `sh -c`, which runs the twin. The
 * script lives in a package of its own in the work folder, so the certificates go to its .plamo/.
 */
function npmStart(args: string[]): { child: ChildProcess; output: () => string; closed: Promise<void> } {
  const script = `node ${JSON.stringify(join(ROOT, 'bin', 'plamo.cjs'))} -c ${JSON.stringify(CONFIG)} sim`;
  writeFileSync(join(workDir, 'package.json'), JSON.stringify({ name: 'npm-start-check', private: true, scripts: { start: script } }));
  const child = spawn('npm', ['start', ...args], {
    cwd: workDir,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // The pipes close only when every process holding them has ended: npm, the shell and the twin.
  const closed = Promise.all([child.stdout, child.stderr].map((pipe) => new Promise((done) => pipe?.on('close', done)))).then(() => {});
  return { child, output: () => output, closed };
}

test.each(['SIGTERM', 'SIGHUP'] as const)(
  '%s to the npm start wrapper stops the twin and frees its port',
  async (signal) => {
    const run = npmStart(['--', '--port', '0', '--mqtt-port', '0', '--no-cars']);
    const exited = new Promise((done) => run.child.on('exit', done));
    const [, url] = await waitFor(run.output, /^ready: (http:\/\/127\.0\.0\.1:\d+)$/m, exited);
    run.child.kill(signal);
    await run.closed;
    expect(run.output()).toMatch(/^stopped$/m);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  },
  60_000,
);

test('npm start with options but no -- says where the options go', async () => {
  const run = npmStart(['--port', '0']);
  await run.closed;
  expect(run.output()).toContain(
    "✗ npm kept the options before `--` for itself and passed on only '0'; write them after it: npm start -- --port 8081 --mqtt-port 8884",
  );
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

test('through npm start, a port in use says how to choose another one through npm', async () => {
  const holder: Server = createServer();
  await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
  const port = (holder.address() as { port: number }).port;
  try {
    const run = npmStart(['--', '--port', '0', '--mqtt-port', String(port), '--no-cars']);
    await run.closed;
    expect(run.output()).toContain(
      `✗ port ${port} on 127.0.0.1 is already in use; stop the program holding it or choose another port with --mqtt-port, after --: npm start -- --mqtt-port <port>`,
    );
  } finally {
    await new Promise<void>((done) => holder.close(() => done()));
  }
}, 60_000);
