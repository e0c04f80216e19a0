import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import { createApp, STACK_NAME } from '../lib/cloud/app';
import { TEMPLATE_LIMITS } from '../lib/cloud/template-limits';
import type { PlamoConfig } from '../lib/config';
import { configWithCars } from './configs';
import { elapsedMs, median } from './stats';

/**
 * `cdk synth` of the real app (cdk-nag included) for configs of 1, 10 and 50 copies of the example car,
 * made in code: how long it takes, how many CloudFormation resources and outputs each car adds, and where
 * CloudFormation's limits per stack (500 resources, 200 outputs) are reached.
 */

export interface SynthRun {
  readonly cars: number;
  readonly resources: number;
  readonly outputs: number;
  /** The template as CDK writes it (indented JSON); CloudFormation takes at most 1 MB from S3. */
  readonly templateBytes: number;
  /** App construction and synth inside this process: what the app itself costs. */
  readonly medianMs: number;
  readonly timings: readonly number[];
  /** `cdk synth` as a user runs it: the CDK CLI starting `npx tsx bin/app.ts` in a fresh process. */
  readonly cliMedianMs: number;
  readonly cliTimings: readonly number[];
  /** Resource count by CloudFormation type. */
  readonly byType: Readonly<Record<string, number>>;
}

/** What a car adds to the template, what the stack has anyway, and how many cars fit under the limit. */
export interface TemplateBudget {
  readonly perCar: number;
  readonly shared: number;
  readonly limit: number;
  readonly maxCars: number;
}

export interface SynthFigures {
  readonly runs: readonly SynthRun[];
  readonly resources: TemplateBudget;
  readonly outputs: TemplateBudget;
  /** The smaller of the two. */
  readonly maxCarsPerStack: number;
  /** What synth says for one car more than fits, first line of the error. */
  readonly pastTheLimit?: { readonly cars: number; readonly message: string };
}

export interface SynthBenchOptions {
  /** The car every generated config is made of (copied under new ids). */
  readonly config: PlamoConfig;
  readonly carCounts: readonly number[];
  readonly runsPerCount: number;
  readonly progress: (line: string) => void;
}

interface Synthesized {
  readonly ms: number;
  readonly byType: Record<string, number>;
  readonly outputs: number;
  readonly templateBytes: number;
}

function synthOnce(config: PlamoConfig): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'plamo-synth-'));
  try {
    // A fresh `cdk synth` process bundles every Lambda again; in one process CDK would reuse the bundles.
    AssetStaging.clearAssetHashCache();
    const start = performance.now();
    const { app } = createApp(config, { outdir });
    const assembly = app.synth();
    const ms = elapsedMs(start);
    const { template } = assembly.getStackByName(STACK_NAME);
    const byType: Record<string, number> = {};
    for (const resource of Object.values<{ Type: string }>(template.Resources ?? {})) {
      byType[resource.Type] = (byType[resource.Type] ?? 0) + 1;
    }
    const templateBytes = statSync(join(outdir, assembly.getStackByName(STACK_NAME).templateFile)).size;
    return { ms, byType, outputs: Object.keys(template.Outputs ?? {}).length, templateBytes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function total(byType: Record<string, number>): number {
  return Object.values(byType).reduce((sum, count) => sum + count, 0);
}

/** Synthesizes one car more than fits and returns what synth says; undefined if it does not fail. */
function pastTheLimit(config: PlamoConfig, cars: number): { cars: number; message: string } | undefined {
  try {
    synthOnce(configWithCars(config, cars));
    return undefined;
  } catch (error) {
    // Synth lists every failed validation under a header line; the guard's own line names the limit.
    const lines = (error as Error).message.split('\n').map((line) => line.trim());
    const message = lines.find((line) => line.includes('limit')) ?? lines[0];
    return { cars, message: message.replace(/^\[[^\]]*\]\s*/, '') };
  }
}

const REPO_DIR = join(__dirname, '..');
const CDK_CLI = join(REPO_DIR, 'node_modules', '.bin', 'cdk');

/** `cdk synth` in a fresh process for a config written to a temporary file (bin/app.ts reads PLAMO_CONFIG). */
function synthWithCli(config: PlamoConfig): number {
  const dir = mkdtempSync(join(tmpdir(), 'plamo-synth-cli-'));
  try {
    const configFile = join(dir, 'plamo.config.ts');
    writeFileSync(configFile, `export default ${JSON.stringify(config)};\n`);
    const start = performance.now();
    const result = spawnSync(CDK_CLI, ['synth', '--quiet', '--no-notices', '--output', join(dir, 'cdk.out')], {
      cwd: REPO_DIR,
      env: { ...process.env, PLAMO_CONFIG: configFile },
      encoding: 'utf8',
    });
    const ms = elapsedMs(start);
    if (result.status !== 0)
      throw new Error(`cdk synth exited with ${result.status}: ${(result.stderr ?? '').trim().split('\n').slice(-3).join(' ')}`);
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A straight line through the smallest and the largest run: templates grow by the same amount per car. */
function budget(runs: readonly SynthRun[], kind: keyof typeof TEMPLATE_LIMITS): TemplateBudget {
  const first = runs[0];
  const last = runs[runs.length - 1];
  const perCar = (last[kind] - first[kind]) / (last.cars - first.cars);
  const shared = first[kind] - perCar * first.cars;
  const limit = TEMPLATE_LIMITS[kind];
  return { perCar, shared, limit, maxCars: Math.floor((limit - shared) / perCar) };
}

export function benchSynth(options: SynthBenchOptions): SynthFigures {
  const runs: SynthRun[] = [];
  for (const cars of options.carCounts) {
    const config = configWithCars(options.config, cars);
    // The first synth in a process also loads aws-cdk-lib's modules; it is not what a car costs.
    if (runs.length === 0) synthOnce(config);
    const results = Array.from({ length: options.runsPerCount }, () => synthOnce(config));
    const timings = results.map((result) => result.ms);
    const cliTimings = Array.from({ length: options.runsPerCount }, () => synthWithCli(config));
    const [first] = results;
    runs.push({
      cars,
      resources: total(first.byType),
      outputs: first.outputs,
      templateBytes: first.templateBytes,
      medianMs: median(timings),
      timings,
      cliMedianMs: median(cliTimings),
      cliTimings,
      byType: first.byType,
    });
    options.progress(
      `synth ${cars} car(s): ${total(first.byType)} resources, median ${(median(timings) / 1000).toFixed(2)} s in-process, ${(median(cliTimings) / 1000).toFixed(2)} s with the CLI`,
    );
  }
  const resources = budget(runs, 'resources');
  const outputs = budget(runs, 'outputs');
  const maxCarsPerStack = Math.min(resources.maxCars, outputs.maxCars);
  options.progress(`synth ${maxCarsPerStack + 1} cars, one more than fits…`);
  return { runs, resources, outputs, maxCarsPerStack, pastTheLimit: pastTheLimit(options.config, maxCarsPerStack + 1) };
}
