import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Bundle, SECRET_FILE_MODE, writeBundle } from '../../lib/device/write-bundle';

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'plamo-write-'));
});
afterEach(() => rmSync(parent, { recursive: true, force: true }));

const bundle: Bundle = new Map([
  ['main.py', { content: 'import app\n' }],
  ['certs/device.key.der', { content: Buffer.from([0x30, 0x82]), mode: SECRET_FILE_MODE }],
]);

const marker = 'certs/device.key.der';
const mode = (path: string) => statSync(path).mode & 0o777;

test('writes every file with its mode into a 0700 folder', () => {
  const out = join(parent, 'device', 'rps13');
  writeBundle(out, bundle);
  expect(readFileSync(join(out, 'main.py'), 'utf8')).toBe('import app\n');
  expect(readFileSync(join(out, 'certs', 'device.key.der'))).toEqual(Buffer.from([0x30, 0x82]));
  expect(mode(join(out, 'certs', 'device.key.der'))).toBe(0o600);
  expect(mode(join(out, 'main.py'))).toBe(0o644);
  expect(mode(out)).toBe(0o700);
});

test('replaces a previous bundle and leaves no temporary folder', () => {
  const out = join(parent, 'rps13');
  writeBundle(out, new Map([...bundle, ['old.py', { content: 'stale' }]]), { marker });
  writeBundle(out, bundle, { marker });
  expect(existsSync(join(out, 'old.py'))).toBe(false);
  expect(readdirSync(parent)).toEqual(['rps13']);
});

test('on a failure leaves the previous bundle as it was and nothing half-written', () => {
  const out = join(parent, 'rps13');
  writeBundle(out, bundle, { marker });
  const broken: Bundle = new Map([
    ['main.py', { content: 'new' }],
    ['../escape.py', { content: 'x' }],
  ]);
  expect(() => writeBundle(out, broken, { marker })).toThrow("bundle path '../escape.py' must be relative and stay inside the bundle");
  expect(readFileSync(join(out, 'main.py'), 'utf8')).toBe('import app\n');
  expect(readdirSync(parent)).toEqual(['rps13']);
});

test('refuses to replace a folder that holds something else than a previous bundle', () => {
  const out = join(parent, 'documents');
  mkdirSync(out);
  writeFileSync(join(out, 'thesis.docx'), 'precious');
  expect(() => writeBundle(out, bundle, { marker })).toThrow(
    `${out} is not empty and holds no previous bundle (thesis.docx); choose another --out or empty it`,
  );
  expect(readFileSync(join(out, 'thesis.docx'), 'utf8')).toBe('precious');
});

test('a partial bundle keeps the files of the previous one that `keep` names, with their modes', () => {
  const out = join(parent, 'rps13');
  writeBundle(out, new Map([...bundle, ['config.py', { content: 'old' }], ['stale.py', { content: 'x' }]]), { marker });
  writeBundle(out, new Map([['config.py', { content: 'new' }]]), { marker: 'config.py', keep: (path) => path.startsWith('certs/') });
  expect(readFileSync(join(out, 'config.py'), 'utf8')).toBe('new');
  expect(readFileSync(join(out, 'certs', 'device.key.der'))).toEqual(Buffer.from([0x30, 0x82]));
  expect(mode(join(out, 'certs', 'device.key.der'))).toBe(0o600);
  expect(existsSync(join(out, 'stale.py'))).toBe(false);
});
