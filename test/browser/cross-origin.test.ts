import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { loadConfig } from '../../lib/config';
import { LOOPBACK } from '../../lib/sim/listen';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { temporaryPki } from '../sim/support';
import { findChromium } from '../support/chromium';

/**
 * A page served from another local port, open in the same browser as the phone page, tries every way to
 * switch a lamp that a web page has without the token: a no-cors fetch to an encoded /api path, a form post,
 * a beacon. It even knows the token (as if it had leaked) and tries a fetch with it.
 */
const ROOT = resolve(__dirname, '..', '..');
const config = loadConfig(join(ROOT, 'plamo.config.ts'));
const CAR = Object.keys(config.cars)[0];
const SCENE = Object.keys(config.cars[CAR].scenes)[0];

jest.setTimeout(30_000);

let browser: Browser;
let twin: Twin;
let pki: { dir: string; remove(): void };
let attacker: Server;
const lampCommands: string[] = [];

function attackPage(twinUrl: string, token: string): string {
  const scene = `${twinUrl}/%61pi/cars/${CAR}/scenes/${SCENE}`;
  const lamp = `${twinUrl}/api/cars/${CAR}/lamps/headlights`;
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${twinUrl}/api/cars/${CAR}/scenes/${SCENE}" enctype="text/plain" target="sink">
<input name='{"mode":"on","x":"' value='"}'></form><iframe name="sink"></iframe>
<script>
(async () => {
  const tries = [
    fetch(${JSON.stringify(scene)}, { method: 'POST', mode: 'no-cors' }),
    fetch(${JSON.stringify(lamp)}, { method: 'PUT', headers: { authorization: 'Bearer ${token}', 'content-type': 'application/json' }, body: '{"mode":"on"}' }),
  ].map((attempt) => attempt.then(() => 'answered', () => 'failed'));
  navigator.sendBeacon(${JSON.stringify(scene)}, '{}');
  document.getElementById('f').submit();
  document.title = (await Promise.all(tries)).join(',');
})();
</script></body></html>`;
}

beforeAll(async () => {
  pki = await temporaryPki([]);
  twin = await startTwin({
    config,
    httpPort: 0,
    mqttPort: 0,
    pkiDir: pki.dir,
    observe: (message) => {
      if (message.topic.endsWith('/set')) lampCommands.push(message.topic);
    },
  });
  attacker = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackPage(twin.url, twin.token));
  });
  await new Promise<void>((done) => attacker.listen(0, LOOPBACK, done));
  const { executablePath, env } = await findChromium();
  browser = await chromium.launch({
    executablePath,
    env: env && { ...process.env, ...env },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => attacker?.close(done));
  await twin?.close();
  pki?.remove();
});

test('a page on another local port cannot switch a lamp, even knowing the token', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const answers: string[] = [];
  page.on('response', (response) => {
    if (response.url().startsWith(twin.url)) answers.push(`${response.request().method()} ${response.status()}`);
  });
  await page.goto(`http://${LOOPBACK}:${(attacker.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => document.title.includes(','));
  // The form post and the beacon are fire-and-forget: wait until the browser has seen the twin answer all three.
  for (let waited = 0; answers.length < 3 && waited < 100; waited++) await page.waitForTimeout(50);
  const outcome = await page.title();
  await context.close();
  expect(lampCommands).toEqual([]);
  // The simple requests (no-cors fetch, form, beacon) met the Origin check; the fetch with the token never
  // got past its CORS preflight, which the twin refuses like any request without a token.
  expect(answers).toEqual(['POST 403', 'POST 403', 'POST 403']);
  expect(outcome).toBe('answered,failed');
});
