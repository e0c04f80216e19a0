import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../lib/cli';
import { COMMANDS } from '../../lib/cli/commands';
import { nodeSupportNote } from '../../lib/cli/node-support';

const ROOT = join(__dirname, '..', '..');

async function plamo(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  try {
    return { code: await runCli(argv), out };
  } finally {
    write.mockRestore();
  }
}

test('plamo --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  expect(await plamo('--version')).toEqual({ code: 0, out: `${version}\n` });
});

test('plamo --help lists every command with its summary', async () => {
  const { code, out } = await plamo('--help');
  expect(code).toBe(0);
  const flat = out.replace(/\s+/g, ' ');
  for (const [name, entry] of Object.entries(COMMANDS))
    expect(flat).toContain(`${name}${'args' in entry ? ` ${entry.args}` : ''} ${entry.summary}`);
});

test("a command's own help shows its options, after a global option too", async () => {
  const { out } = await plamo('-c', 'plamo.config.ts', 'help', 'device');
  expect(out).toContain('Usage: plamo device [options] <car>');
  expect(out).toContain('--local');
});

test('on Node.js 20 the AWS SDK note is one line that says until when it works', () => {
  expect(nodeSupportNote('v20.19.0')).toBe(
    'note: Node.js v20.19.0 works, but AWS SDK releases after the first week of January 2027 need Node.js 22; upgrade to Node.js 22 LTS',
  );
  expect(nodeSupportNote('v22.12.0')).toBeUndefined();
  expect(nodeSupportNote('v24.1.0')).toBeUndefined();
});

test('an AWS command prints no NodeVersionSupportWarning banner, and at most the one-line note', () => {
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'plamo.cjs'), 'token', 'list'], {
    cwd: ROOT,
    encoding: 'utf8',
    // No network call succeeds: a region no endpoint resolves in, and no retries.
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      AWS_REGION: 'xx-nowhere-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
      AWS_MAX_ATTEMPTS: '1',
    },
    timeout: 30_000,
  });
  expect(run.stderr).not.toContain('NodeVersionSupportWarning');
  const note = nodeSupportNote();
  expect(run.stderr.split('\n').filter((line) => line.startsWith('note: '))).toEqual(note ? [note] : []);
}, 40_000);
