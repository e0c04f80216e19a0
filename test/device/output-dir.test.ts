import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputFolder } from '../../lib/device/output-dir';

let repo: string;
let outside: string;

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'plamo-repo-'));
  outside = mkdtempSync(join(tmpdir(), 'plamo-outside-'));
  execFileSync('git', ['init', '-q'], { cwd: repo });
  writeFileSync(join(repo, '.gitignore'), 'dist/\n');
  mkdirSync(join(repo, 'firmware'));
  writeFileSync(join(repo, 'firmware', 'main.py'), 'print(1)\n');
  execFileSync('git', ['add', '.gitignore', 'firmware/main.py'], { cwd: repo });
});
afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

test('accepts a folder that .gitignore covers, even before it exists', () => {
  expect(() => checkOutputFolder(join(repo, 'dist', 'device', 'rps13'), 'dist/device/rps13')).not.toThrow();
});

test('refuses a folder holding tracked files', () => {
  const folder = join(repo, 'firmware');
  expect(() => checkOutputFolder(folder, 'dist/device/rps13')).toThrow(
    `${folder} holds files tracked by git (firmware/main.py); write the bundle to dist/device/rps13 instead`,
  );
});

test('refuses a folder that git would pick up with git add', () => {
  const folder = join(repo, 'bundle');
  expect(() => checkOutputFolder(folder, 'dist/device/rps13')).toThrow(
    `${folder} is not ignored by git, so the private key would be one 'git add' away from a commit; write the bundle to dist/device/rps13 or add the folder to .gitignore`,
  );
});

test('accepts any folder outside a git work tree', () => {
  expect(() => checkOutputFolder(join(outside, 'pico'), 'dist/device/rps13')).not.toThrow();
});
