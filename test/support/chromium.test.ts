import { execFileSync } from 'node:child_process';
import { findChromium, packagedChromium } from './chromium';

jest.setTimeout(60_000);

test('PLAMO_CHROMIUM names the browser to use', async () => {
  expect(await findChromium({ PLAMO_CHROMIUM: process.execPath })).toEqual({ executablePath: process.execPath });
});

test('a PLAMO_CHROMIUM that does not exist is refused with the fix', async () => {
  await expect(findChromium({ PLAMO_CHROMIUM: '/nowhere/chromium' })).rejects.toThrow(
    'PLAMO_CHROMIUM is /nowhere/chromium, which does not exist; point it at a Chromium or unset it',
  );
});

test('the Chromium npm installed unpacks and runs with the libraries it brings', async () => {
  const { executablePath, env } = await packagedChromium();
  const version = execFileSync(executablePath, ['--version'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(version).toMatch(/^Chromium \d+\./);
});
