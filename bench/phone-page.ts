import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PlamoConfig } from '../lib/config';
import { startTwin, type Twin } from '../lib/sim/twin';
import { startVirtualCar } from '../lib/sim/virtual-car';
import { findChromium } from '../test/support/chromium';
import { promptLamp } from './configs';
import { type Distribution, distribution } from './stats';

/**
 * The phone page in headless Chromium against the twin: how long from a tap until the page shows the state
 * the car reported (pushed over server-sent events), and how many store reads an open page makes in an hour
 * when it polls as it does in AWS (each read there is one API request, one Lambda call and one DynamoDB
 * Query), visible and hidden.
 */
export interface PageFigures {
  readonly tapToShown: Distribution;
  /** Store reads per car per hour of a visible page that polls (AWS behaviour). */
  readonly readsPerHourVisible: number;
  /** The same with the page hidden (screen off, another tab). */
  readonly readsPerHourHidden: number;
  readonly windowS: number;
}

export interface PageBenchOptions {
  readonly config: PlamoConfig;
  readonly taps: number;
  readonly windowS: number;
  readonly progress: (line: string) => void;
}

/** Taps a lamp's toggle in the page and waits, in the page, for its state line to say what was asked. */
function tapAndWait(page: Page, carId: string, lamp: string): Promise<number> {
  return page.evaluate(
    ([id]) =>
      new Promise<number>((resolve) => {
        const button = document.getElementById(id) as HTMLButtonElement;
        const state = document.getElementById(`${id}-state`) as HTMLElement;
        const wanted = button.getAttribute('aria-pressed') === 'true' ? /^Off$/ : /^On/;
        const start = performance.now();
        const observer = new MutationObserver(() => {
          if (wanted.test(state.textContent ?? '')) {
            observer.disconnect();
            resolve(performance.now() - start);
          }
        });
        observer.observe(state, { childList: true, characterData: true, subtree: true });
        button.click();
      }),
    [`${carId}--${lamp}`] as const,
  );
}

async function openPage(browser: Browser, twin: Twin): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await page.goto(`${twin.url}/#token=${twin.token}`);
  await page.locator('.badge').first().waitFor();
  return page;
}

async function measureTaps(browser: Browser, options: PageBenchOptions, carId: string, pkiDir: string): Promise<Distribution> {
  const twin = await startTwin({ config: options.config, httpPort: 0, mqttPort: 0, pkiDir, startVirtualCar });
  try {
    const page = await openPage(browser, twin);
    await page.locator('.badge[data-kind="online"]').waitFor({ timeout: 30_000 });
    const lamp = promptLamp(options.config.cars[carId]);
    const samples: number[] = [];
    for (let i = 0; i < options.taps; i++) samples.push(await tapAndWait(page, carId, lamp));
    return distribution(samples.slice(Math.min(3, samples.length - 1)));
  } finally {
    await twin.close();
  }
}

async function readsPerHour(twin: Twin, carId: string, windowS: number): Promise<number> {
  const before = twin.store.reads.get(carId) ?? 0;
  await new Promise((resolve) => setTimeout(resolve, windowS * 1000));
  return (((twin.store.reads.get(carId) ?? 0) - before) / windowS) * 3600;
}

async function measureReads(browser: Browser, options: PageBenchOptions, carId: string, pkiDir: string) {
  const twin = await startTwin({ config: options.config, httpPort: 0, mqttPort: 0, pkiDir, liveUpdates: false });
  try {
    const page = await openPage(browser, twin);
    const visible = await readsPerHour(twin, carId, options.windowS);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const hidden = await readsPerHour(twin, carId, options.windowS);
    return { visible, hidden };
  } finally {
    await twin.close();
  }
}

export async function benchPhonePage(options: PageBenchOptions): Promise<PageFigures> {
  const carId = Object.keys(options.config.cars)[0];
  const pkiDir = mkdtempSync(join(tmpdir(), 'plamo-bench-page-'));
  const { executablePath, env } = await findChromium();
  const browser = await chromium.launch({
    executablePath,
    env: env && { ...process.env, ...env },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  try {
    options.progress(`phone page: ${options.taps} taps against the twin…`);
    const tapToShown = await measureTaps(browser, options, carId, pkiDir);
    options.progress(`phone page: store reads of a polling page over ${options.windowS} s visible, then hidden…`);
    const reads = await measureReads(browser, options, carId, pkiDir);
    return { tapToShown, readsPerHourVisible: reads.visible, readsPerHourHidden: reads.hidden, windowS: options.windowS };
  } finally {
    await browser.close();
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
