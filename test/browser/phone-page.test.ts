import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { loadConfig } from '../../lib/config';
import { startTwin, type Twin } from '../../lib/sim/twin';
import { startVirtualCar } from '../../lib/sim/virtual-car';
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
  twin = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: pki.dir, startVirtualCar });
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

/** Waits until the car's lamp reports the text, e.g. "On 20 %". */
const lampSays = (page: Page, lamp: string, text: string) => textOf(page, `#${CAR}--${lamp}-state`, text);

async function tapLamp(page: Page, name: string) {
  await page.getByRole('button', { name, exact: true }).tap();
}

test('tapping Headlights turns the reported state on, and the picture lights it', async () => {
  const page = await openPage();
  const headlights = page.getByRole('button', { name: 'Headlights', exact: true });
  await headlights.tap();
  await lampSays(page, 'headlights', 'On');
  expect(await headlights.getAttribute('aria-pressed')).toBe('true');
  expect(twin.cars.get(CAR)?.pinLevel('headlights')).toBeGreaterThan(0);
  const level = await page.evaluate(() =>
    getComputedStyle(document.querySelector('[data-lamp="headlights"]') as Element).getPropertyValue('--level'),
  );
  expect(Number(level)).toBe(1);
  await tapLamp(page, 'Headlights');
  await lampSays(page, 'headlights', 'Off');
});

test('the picture draws each lamp where it sits, and tapping one there switches it', async () => {
  const page = await openPage();
  await lampSays(page, 'turnLeft', 'Off');
  const lamps = await page.$$eval('.car-picture .lamp', (nodes) => nodes.map((node) => (node as SVGElement).dataset.lamp));
  expect(lamps).toEqual(Object.keys(config.cars[CAR].lamps));
  const leftX = await page.$eval('[data-lamp="turnLeft"] .core', (node) => Number(node.getAttribute('cx')));
  const rightX = await page.$eval('[data-lamp="turnRight"] .core', (node) => Number(node.getAttribute('cx')));
  expect(leftX).toBeLessThan(rightX);
  await page.locator('[data-lamp="turnLeft"] .target').first().tap();
  await lampSays(page, 'turnLeft', 'Blinking');
  await tapLamp(page, 'Turn left');
  await lampSays(page, 'turnLeft', 'Off');
});

test('the token moves from the address into local storage', async () => {
  const page = await openPage();
  await page.getByRole('heading', { name: config.cars[CAR].name }).waitFor();
  expect(new URL(page.url()).hash).toBe('');
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBe(twin.token);
});

test('the hazard toggle makes both turn signals blink, in phase on the picture', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Hazard' }).tap();
  await lampSays(page, 'turnLeft', 'Blinking');
  await lampSays(page, 'turnRight', 'Blinking');
  const modes = await page.$$eval('[data-lamp^="turn"]', (nodes) => nodes.map((node) => (node as SVGElement).dataset.mode));
  expect(modes).toEqual(['blink', 'blink']);
  await page.getByRole('button', { name: 'Hazard' }).tap();
  await lampSays(page, 'turnLeft', 'Off');
});

test('a scene applies every command of the scene and is shown as the active one', async () => {
  const page = await openPage();
  await page.getByRole('button', { name: 'Night' }).tap();
  await lampSays(page, 'headlights', 'On');
  await lampSays(page, 'brake', 'On 20 %');
  await page.waitForSelector('.scene.active[aria-current="true"]');
  expect(await page.locator('.scene.active').textContent()).toBe('Night');
});

test("moving a lamp's brightness slider dims the lamp, and the picture dims it too", async () => {
  const page = await openPage();
  await page.getByRole('slider', { name: 'Headlights Brightness' }).fill('40');
  await lampSays(page, 'headlights', 'On 40 %');
  const level = await page.evaluate(() =>
    getComputedStyle(document.querySelector('[data-lamp="headlights"]') as Element).getPropertyValue('--level'),
  );
  expect(Number(level)).toBeCloseTo(0.55);
});

test('holding Brake flares the tail lamp to full, and letting go brings it back to the tail level', async () => {
  const page = await openPage();
  await page.getByRole('slider', { name: 'Brake / tail Brightness' }).fill('20');
  await lampSays(page, 'brake', 'On 20 %');
  const tailLevel = twin.cars.get(CAR)?.pinLevel('brake') ?? 0;
  expect(tailLevel).toBeGreaterThan(0);
  const hold = page.getByRole('button', { name: 'Hold to brake' });
  const box = await hold.boundingBox();
  if (!box) throw new Error('no brake button');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await lampSays(page, 'brake', 'On');
  expect(twin.cars.get(CAR)?.pinLevel('brake')).toBe(1);
  await page.mouse.up();
  await lampSays(page, 'brake', 'On 20 %');
  expect(twin.cars.get(CAR)?.pinLevel('brake')).toBe(tailLevel);
});

test('a Japanese browser gets every label, state and heading in Japanese', async () => {
  const page = await openPage({ locale: 'ja-JP' });
  await page.getByRole('heading', { name: 'ランプ' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
  for (const name of ['ハザード', 'ヘッドライト', '左ウインカー', '右ウインカー', 'ブレーキ／テール', 'ナイト', '駐車', '長押しでブレーキ'])
    await page.getByRole('button', { name, exact: true }).waitFor();
  await page.getByText('オンライン', { exact: true }).waitFor();
  const text = await page.locator('main').textContent();
  expect(text).not.toMatch(/\b(On|Off|Blinking|Online|Lamps|Scenes|Health|Night|Hazard)\b/);
});

test('without a token the page asks for one, and a pasted token opens the car', async () => {
  const page = await openPage({ withToken: false });
  await page.getByLabel('Token').fill(twin.token);
  await page.getByRole('button', { name: 'Save' }).tap();
  await page.getByRole('heading', { name: config.cars[CAR].name }).waitFor();
});

test('a refused token is kept until the user chooses another one', async () => {
  context = await browser.newContext({ ...PHONE });
  const page = await context.newPage();
  const refused = `plamo_${'x'.repeat(43)}`;
  await page.goto(`${twin.url}/#token=${refused}`);
  await page.getByText('The server refused the token').waitFor();
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBe(refused);
  await page.getByRole('button', { name: 'Use another token' }).tap();
  await page.getByLabel('Token').waitFor();
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBeNull();
});

test('a token API Gateway refuses at first (403) works after "Try again" once it is accepted', async () => {
  context = await browser.newContext({ ...PHONE });
  let refuse = true;
  await context.route('**/api/**', (route) =>
    refuse
      ? route.fulfill({ status: 403, contentType: 'application/json', body: JSON.stringify({ message: 'Forbidden' }) })
      : route.fallback(),
  );
  const page = await context.newPage();
  await page.goto(`${twin.url}/#token=${twin.token}`);
  await page.getByText('The server refused the token').waitFor();
  expect(await page.evaluate(() => localStorage.getItem('plamo.token'))).toBe(twin.token);
  refuse = false;
  await page.getByRole('button', { name: 'Try again' }).tap();
  await page.getByText('Online', { exact: true }).waitFor();
});

test('the health panel shows when the car was last seen and the last command latency', async () => {
  const page = await openPage();
  await tapLamp(page, 'Headlights');
  await page.waitForFunction(() => /\d+ ms/.test(document.querySelector('[data-health="latency"]')?.textContent ?? ''));
  expect(await page.locator('[data-health="lastSeen"]').textContent()).toMatch(/s ago/);
});

test('a car that goes offline says since when, greys out and disables its controls; it recovers without a reload', async () => {
  const page = await openPage();
  await page.getByText('Online', { exact: true }).waitFor();
  await twin.killCar(CAR);
  await page.getByText(/^Offline since \d\d:\d\d/).waitFor();
  expect(await page.getByRole('button', { name: 'Headlights', exact: true }).isDisabled()).toBe(true);
  expect(await page.locator('.car-picture.grey').count()).toBe(1);
  await twin.startCar(CAR);
  await page.getByText('Online', { exact: true }).waitFor();
  expect(await page.getByRole('button', { name: 'Headlights', exact: true }).isEnabled()).toBe(true);
});

describe('a twin that stops', () => {
  let own: { dir: string; remove(): void };
  let stopping: Twin | undefined;

  beforeAll(async () => {
    own = await temporaryPki([]);
  });
  afterAll(async () => {
    await stopping?.close();
    own.remove();
  });

  test('the page says the server is unreachable within 5 s, disables the controls, and recovers when it is back', async () => {
    stopping = await startTwin({ config, httpPort: 0, mqttPort: 0, pkiDir: own.dir });
    const port = new URL(stopping.url).port;
    context = await browser.newContext({ ...PHONE });
    const page = await context.newPage();
    await page.goto(`${stopping.url}/#token=${stopping.token}`);
    await page.getByText('Never seen', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Headlights', exact: true }).isDisabled()).toBe(true);
    await stopping.close();
    await page.getByText('No connection', { exact: true }).waitFor({ timeout: 5000 });
    await page.getByText('Cannot reach the server; retrying').waitFor({ timeout: 5000 });
    // The kept token lets the page carry on with the twin's next start.
    stopping = await startTwin({ config, httpPort: Number(port), mqttPort: 0, pkiDir: own.dir });
    await page.getByText('Never seen', { exact: true }).waitFor({ timeout: 10_000 });
  });
});

describe('layout', () => {
  const WIDTHS = [320, 390, 768, 1280];
  const SCHEMES = ['light', 'dark'] as const;

  /** Every state line and badge on one line: its height is at most one line's, and nothing is wider than the screen. */
  async function checkNoWraps(page: Page) {
    return page.evaluate(() => {
      // The line boxes of an element's text: more than one distinct top is a wrap.
      const lines = (node: Element) => {
        const range = document.createRange();
        range.selectNodeContents(node);
        return new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top))).size;
      };
      const wrapped = Array.from(document.querySelectorAll('.state, .badge, .label, .scene, .hold, .brightness output')).filter(
        (node) => lines(node) > 1,
      );
      return {
        wrapped: wrapped.map((node) => node.textContent),
        scrollWidth: document.documentElement.scrollWidth,
        columns: getComputedStyle(document.getElementById('cars') as Element).gridTemplateColumns.split(' ').length,
      };
    });
  }

  for (const locale of ['en-US', 'ja-JP'])
    for (const scheme of SCHEMES)
      test(`${locale} ${scheme}: at ${WIDTHS.join(', ')} px no state wraps and nothing is wider than the screen; screenshots kept`, async () => {
        context = await browser.newContext({ ...PHONE, locale, colorScheme: scheme });
        const page = await context.newPage();
        await page.goto(`${twin.url}/#token=${twin.token}`);
        await page.locator('.badge[data-kind="online"]').waitFor();
        await page.locator('details').evaluate((node) => node.setAttribute('open', ''));
        mkdirSync(ARTIFACTS, { recursive: true });
        for (const width of WIDTHS) {
          await page.setViewportSize({ width, height: 844 });
          const { wrapped, scrollWidth, columns } = await checkNoWraps(page);
          expect(wrapped).toEqual([]);
          expect(scrollWidth).toBeLessThanOrEqual(width);
          expect(columns).toBe(width >= 700 ? Math.floor((width - 32 + 16) / (330 + 16)) : 1);
          await page.screenshot({ path: join(ARTIFACTS, `phone-page-${width}-${scheme}-${locale.slice(0, 2)}.png`), fullPage: true });
        }
      });
});

test('axe-core finds no serious or critical accessibility violation, in light and dark', async () => {
  const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  for (const scheme of ['light', 'dark'] as const) {
    context = await browser.newContext({ ...PHONE, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${twin.url}/#token=${twin.token}`);
    await page.locator('.badge[data-kind="online"]').waitFor();
    // Evaluated through the DevTools protocol, which the page's script-src 'self' does not govern.
    await page.evaluate(axe);
    const violations = await page.evaluate(async () => {
      const result = await (
        window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { html: string }[] }[] }> } }
      ).axe.run();
      return result.violations
        .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
        .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.html).join(' | ')}`);
    });
    expect(violations).toEqual([]);
    await context.close();
  }
});

/** Puts the car's lamps into a known state through the API, whatever the tests before left. */
async function allOff(): Promise<void> {
  const off = Object.fromEntries(Object.keys(config.cars[CAR].lamps).map((lamp) => [lamp, 'off']));
  const response = await fetch(`${twin.url}/api/cars/${CAR}/lamps`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${twin.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(off),
  });
  expect(response.status).toBe(202);
}

test("the picture shows the headlights' pop-up pod up while they are on, and down again once off", async () => {
  await allOff();
  const page = await openPage();
  expect(await page.locator('.car-picture .pod-lid').count()).toBe(config.cars[CAR].servos.pods.carries.length * 2);
  await lampSays(page, 'headlights', 'Off');
  expect(await page.$eval('[data-lamp="headlights"]', (node) => (node as SVGElement).dataset.pod)).toBe('down');
  await tapLamp(page, 'Headlights');
  await lampSays(page, 'headlights', 'On');
  expect(await page.$eval('[data-lamp="headlights"]', (node) => (node as SVGElement).dataset.pod)).toBe('up');
  await tapLamp(page, 'Headlights');
  await page.waitForSelector('[data-lamp="headlights"][data-pod="down"]');
  await lampSays(page, 'headlights', 'Off');
});

test('the effect buttons play the passing flash on the front lamps and the welcome sequence on the car', async () => {
  await allOff();
  const page = await openPage();
  await lampSays(page, 'headlights', 'Off');
  const car = twin.cars.get(CAR)!;
  const edges: { lamp: string; level: number }[] = [];
  const stop = car.onPinChange((edge) => edges.push(edge));
  await page.getByRole('button', { name: 'Passing flash' }).tap();
  await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'Effect “Passing flash” sent');
  const flashed = async () => edges.filter((edge) => edge.lamp === 'headlights').map((edge) => edge.level);
  for (let tries = 0; (await flashed()).length < 2 && tries < 200; tries++) await page.waitForTimeout(25);
  expect(await flashed()).toEqual([1, 0]);
  await page.getByRole('button', { name: 'Welcome' }).tap();
  const blinked = () => edges.filter((edge) => edge.lamp === 'turnLeft' && edge.level === 1).length;
  for (let tries = 0; blinked() < 2 && tries < 200; tries++) await page.waitForTimeout(25);
  stop();
  expect(blinked()).toBe(2);
});
