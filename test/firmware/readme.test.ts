import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const status = readFileSync(join(__dirname, '..', '..', 'firmware', 'status.py'), 'utf8');

describe('README status LED table', () => {
  test('lists every flash code the firmware can show, and no other', () => {
    const section = readme.split('### Status LED codes')[1].split('\n### ')[0];
    const documented = [...section.matchAll(/^\| (\d+) flash(?:es)? \|/gm)].map((match) => Number(match[1]));
    // The flash codes are the constants from JOINING_WIFI down to RUNNING in status.py (`NAME = const(n)`).
    const block = status.slice(status.indexOf('JOINING_WIFI = '), status.indexOf('RUNNING = '));
    const codes = [...block.matchAll(/^[A-Z][A-Z_]+ = const\((\d+)\)$/gm)].map((match) => Number(match[1]));
    expect(documented.sort((x, y) => x - y)).toEqual(codes.sort((x, y) => x - y));
  });
});
