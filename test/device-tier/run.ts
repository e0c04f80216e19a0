import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

// `npm run test:device`: the bundle under a real MicroPython. It needs an interpreter this project does
// not ship, so without one it says why it did nothing and succeeds; `npm test` never runs it.
const micropython = process.env.PLAMO_MICROPYTHON;

if (!micropython) {
  console.log(
    'test:device did nothing: set PLAMO_MICROPYTHON to a unix-port MicroPython with ssl (mbedTLS), e.g.\n' +
      '  PLAMO_MICROPYTHON=/opt/micropython/micropython npm run test:device\n' +
      'README, "Testing against a real MicroPython", says how to build one.',
  );
  process.exit(0);
}

try {
  accessSync(micropython, constants.X_OK);
} catch {
  console.error(`PLAMO_MICROPYTHON=${micropython} is not an executable file`);
  process.exit(1);
}

const probe = spawnSync(micropython, ['-c', 'import ssl, socket, select, asyncio, sys; print(sys.version)'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`${micropython} cannot import ssl, socket, select and asyncio:\n${probe.stderr || probe.stdout}`);
  process.exit(1);
}
console.log(`test:device: ${micropython}, ${probe.stdout.trim()}`);

const jest = spawnSync(
  process.execPath,
  [require.resolve('jest/bin/jest'), '--config', 'jest.device.config.js', '--runInBand', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(jest.status ?? 1);
