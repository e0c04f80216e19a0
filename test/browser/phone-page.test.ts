import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../lib/config';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualPico } from '../../lib/sim/virtual-car';
import { temporaryPki } from '../sim/support';
import { findChromium } from '../support/chromium';

/** The phone page in headless Chromium (see findChromium), against a running twin with its virtual car. */
const ROOT = resolve(__dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const config = loadConfig(join(ROOT, 'plamo.config.ts'));
const CAR = Object.keys(config.cars)[0];

jest.setTimeout(30_000);

let browser: Browser;
let twin: Twin;
let pki: { dir: string; remove(): void };
let context: BrowserContext;

beforeAll(async () => {
  pki = await temporaryPki([]);
  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pki.dir, startVirtualCar: startVirtualPico });
  const { executablePath, env } = await findChromium();
  browser = await chromium.launch({
    executablePath,
    env: env && { ...process.env, ...env },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterEach(async () => {
  await context?.close();
});

afterAll(async () => {
  await browser?.close();
  await twin?.close();
  pki?.remove();
});

async function openPage(options: { locale?: string; width?: number; withToken?: boolean } = {}): Promise<Page> {
  const viewport = { ...PHONE.viewport, width: options.width ?? PHONE.viewport.width };
  context = await browser.newContext({ ...PHONE, viewport, locale: options.locale ?? 'en-US' });
  const page = await context.newPage();
  await page.goto(options.withToken === false ? `${twin.url}/` : `${twin.url}/#token=${twin.token}`);
  return page;
}

function textOf(page: Page, selector: string, expected: string) {
  return page.waitForFunction(([wanted, text]) => document.querySelector(wanted)?.textContent === text, [selector, expected] as const);
}

test('tapping Headlights turns the reported state on; a screenshot is kept', async () => {
  const page = await openPage();
  const headlights = page.getByRole('button', { name: config.cars[CAR].lamps.headlights.label });
  await headlights.tap();
  await textOf(page, `#${CAR}--headlights-state`, 'On');
  expect(await headlights.getAttribute('aria-pressed')).toBe('true');
  expect(await page.getByLabel('Token').isVisible()).toBe(false);
  expect(twin.cars.get(CAR)?.pinLevel('headlights')).toBeGreaterThan(0);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'phone-page.png'), fullPage: true });
});

test('the token moves from the address into local storage', async () => {
  const page = await openPage();
  await page.getByRole('heading', { name: config.cars[CAR].name }).waitFor();
  expect(new URL(page.url()).hash).toBe('');
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBe(twin.token);
});

test('the hazard toggle makes both turn signals blink', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Hazard' }).tap();
  await textOf(page, `#${CAR}--turnLeft-state`, 'Blinking');
  await textOf(page, `#${CAR}--turnRight-state`, 'Blinking');
});

test('a scene button applies every command of the scene', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Night' }).tap();
  await textOf(page, `#${CAR}--headlights-state`, 'On');
  await textOf(page, `#${CAR}--brake-state`, 'On 20 %');
});

test("moving a lamp's brightness slider dims the lamp", async () => {
  const page = await openPage();
  const slider = page.getByRole('slider', { name: `${config.cars[CAR].lamps.headlights.label} Brightness` });
  await slider.fill('40');
  await textOf(page, `#${CAR}--headlights-state`, 'On 40 %');
});

test('at 320 px nothing is wider than the screen', async () => {
  const page = await openPage({ width: 320 });
  await page.getByRole('heading', { name: config.cars[CAR].name }).waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
});

test('a Japanese browser gets the page in Japanese', async () => {
  const page = await openPage({ locale: 'ja-JP' });
  await page.getByRole('heading', { name: 'ランプ' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
  await page.getByRole('button', { name: 'ハザード' }).waitFor();
});

test('without a token the page asks for one, and a pasted token opens the car', async () => {
  const page = await openPage({ withToken: false });
  await page.getByLabel('Token').fill(twin.token);
  await page.getByRole('button', { name: 'Save' }).tap();
  await page.getByRole('heading', { name: config.cars[CAR].name }).waitFor();
});

test('a refused token asks for a new one', async () => {
  context = await browser.newContext({ ...PHONE });
  const page = await context.newPage();
  await page.goto(`${twin.url}/#token=plamo_${'x'.repeat(43)}`);
  await page.getByText('The token was not accepted').waitFor();
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBeNull();
});

test('a token API Gateway refuses (AWS answers 403 {"message":"Forbidden"} for a revoked one) asks for a new one', async () => {
  context = await browser.newContext({ ...PHONE });
  await context.route('**/api/**', (route) =>
    route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ message: 'Forbidden' }) }),
  );
  const page = await context.newPage();
  await page.goto(`${twin.url}/#token=${twin.token}`);
  await page.getByText('The token was not accepted').waitFor();
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBeNull();
});

test('the car shows as online', async () => {
  const page = await openPage();
  await page.getByText('Online', { exact: true }).waitFor();
});
