import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { benchCli, type CliFigures } from './cli';
import { benchFirmwareHeap, type FirmwareFigures } from './firmware-heap';
import { benchLambdas, type LambdaFigures } from './lambda';
import { machineInfo } from './machine';
import { benchOtaUpdate, type OtaFigures } from './ota-update';
import { benchPhonePage, type PageFigures } from './phone-page';
import { type BenchResults, markdownTable } from './report';
import { benchSynth, type SynthFigures } from './synth';
import { benchTwinLatency, type TwinFigures } from './twin-latency';

/**
 * `npm run bench`: every figure of the performance budget (bench/targets.ts), measured in one run.
 * Progress goes to stderr, the markdown table to stdout, the figures to bench/results/latest.json.
 *   npm run bench -- --only twin,lambda      some sections only
 *   npm run bench -- --quick                 fewer samples, to check that it runs (not for quoting)
 */

const SECTIONS = ['twin', 'page', 'lambda', 'firmware', 'ota', 'synth', 'cli'] as const;
type Section = (typeof SECTIONS)[number];

const RESULTS_DIR = join(__dirname, 'results');
/** The example config in the repository: its first car is the one measured. */
const CONFIG_FILE = join(__dirname, '..', 'plamo.config.ts');

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function parseOptions() {
  const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
  const only = values.only?.split(',').map((name) => name.trim()) ?? [...SECTIONS];
  const unknown = only.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown section ${unknown.join(', ')}; choose from ${SECTIONS.join(', ')}`);
  const quick = values.quick === true;
  return {
    sections: new Set(only as Section[]),
    quick,
    // Full runs take what the budget asks for: ≥ 200 commands, ≥ 20 fresh processes, 10,000 messages, 1/10/50 cars.
    twin: { commands: quick ? 30 : 250, warmup: quick ? 3 : 20 },
    page: { taps: quick ? 10 : 60, windowS: quick ? 12 : 60 },
    lambda: { coldRuns: quick ? 3 : 20, warmCalls: quick ? 50 : 500 },
    firmware: { messages: quick ? 200 : 10_000, sampledMessages: quick ? 20 : 100 },
    synth: { carCounts: quick ? [1, 3] : [1, 10, 50, 500], runsPerCount: quick ? 1 : 3 },
    cli: { runs: quick ? 3 : 15 },
  };
}

async function section<T>(name: Section, failures: Record<string, string>, run: () => Promise<T> | T): Promise<T | undefined> {
  progress(`— ${name}`);
  const start = performance.now();
  try {
    const result = await run();
    progress(`  ${name} done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    progress(`  ${name} failed: ${message}`);
    failures[name] = message.split('\n')[0];
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  const config = loadConfig(CONFIG_FILE);
  const failures: Record<string, string> = {};
  const on = (name: Section) => options.sections.has(name);

  let twin: TwinFigures | undefined;
  let page: PageFigures | undefined;
  let lambdas: LambdaFigures[] | undefined;
  let firmware: FirmwareFigures | undefined;
  let ota: OtaFigures | undefined;
  let synth: SynthFigures | undefined;
  let cli: CliFigures | undefined;
  if (on('twin')) twin = await section('twin', failures, () => benchTwinLatency({ config, progress, ...options.twin }));
  if (on('page')) page = await section('page', failures, () => benchPhonePage({ config, progress, ...options.page }));
  if (on('lambda')) {
    const outDir = join(RESULTS_DIR, 'bundles');
    lambdas = await section('lambda', failures, () => benchLambdas({ config, outDir, progress, ...options.lambda }));
  }
  if (on('firmware')) firmware = await section('firmware', failures, () => benchFirmwareHeap({ config, progress, ...options.firmware }));
  if (on('ota')) ota = await section('ota', failures, () => benchOtaUpdate({ config, progress }));
  if (on('synth')) synth = await section('synth', failures, () => benchSynth({ config, progress, ...options.synth }));
  if (on('cli')) cli = await section('cli', failures, () => benchCli({ progress, ...options.cli }));

  const results: BenchResults = { machine: machineInfo(), quick: options.quick, twin, page, lambdas, firmware, ota, synth, cli, failures };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${markdownTable(results)}\n`);
  progress(`figures written to ${join('bench', 'results', 'latest.json')}`);
  if (Object.keys(failures).length > 0) process.exitCode = 1;
}

main().catch((error) => {
  progress(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
