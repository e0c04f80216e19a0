import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetStaging } from 'aws-cdk-lib';
import { createApp, STACK_NAME } from '../lib/cloud/app';
import { carGroupOf } from '../lib/cloud/car-groups';
import { TEMPLATE_LIMITS, templateCosts } from '../lib/cloud/template-limits';
import { type PlamoConfig, parseConfig } from '../lib/config';
import { configWithCars } from './configs';
import { elapsedMs, median } from './stats';

/**
 * `cdk synth` of the real app (cdk-nag included) for configs of 1, 10, 50 and 500 copies of the example car,
 * made in code: how long it takes, what the parent stack and the car groups' nested stacks hold and weigh,
 * and where CloudFormation's limit per stack (500 resources) stops a car group.
 */

/** One template: what CloudFormation counts and takes (1 MB at most from S3, as CDK writes it). */
export interface TemplateFigures {
  readonly resources: number;
  readonly outputs: number;
  readonly bytes: number;
}

export interface SynthRun {
  readonly cars: number;
  readonly parent: TemplateFigures;
  /** How many car groups (nested stacks) the cars went to. */
  readonly groups: number;
  /** The fullest car group: its cars and template. */
  readonly largestGroup: TemplateFigures & { readonly cars: number };
  /** App construction and synth inside this process: what the app itself costs. */
  readonly medianMs: number;
  readonly timings: readonly number[];
  /** `cdk synth` as a user runs it: the CDK CLI starting `npx tsx bin/app.ts` in a fresh process. */
  readonly cliMedianMs: number;
  readonly cliTimings: readonly number[];
  /** Resource count by CloudFormation type, over the parent and every nested stack. */
  readonly byType: Readonly<Record<string, number>>;
}

/** What a car adds to its group's template, what every group has anyway, and how many cars one group holds. */
export interface GroupBudget {
  readonly perCar: number;
  readonly shared: number;
  readonly limit: number;
  readonly maxCarsPerGroup: number;
}

export interface SynthFigures {
  readonly runs: readonly SynthRun[];
  readonly group: GroupBudget;
  /** What synth says for one car more than a group holds, all in one group: first line of the error. */
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
  readonly parent: TemplateFigures;
  /** Each group: its cars and its template's figures. */
  readonly groups: readonly (TemplateFigures & { readonly cars: number })[];
  readonly byType: Record<string, number>;
  /** Resources of one car and of what every group has anyway, as the template-limit guard prices them. */
  readonly group: { readonly perCar: number; readonly shared: number };
}

type Template = { Resources?: Record<string, { Type: string }>; Outputs?: object };

function figuresOf(template: Template, file: string): TemplateFigures {
  return {
    resources: Object.keys(template.Resources ?? {}).length,
    outputs: Object.keys(template.Outputs ?? {}).length,
    bytes: statSync(file).size,
  };
}

function countTypes(byType: Record<string, number>, template: Template): void {
  for (const resource of Object.values(template.Resources ?? {})) byType[resource.Type] = (byType[resource.Type] ?? 0) + 1;
}

function synthOnce(config: PlamoConfig): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'plamo-synth-'));
  try {
    // A fresh `cdk synth` process bundles every Lambda again; in one process CDK would reuse the bundles.
    AssetStaging.clearAssetHashCache();
    const start = performance.now();
    const { app, stack } = createApp(config, { outdir });
    const assembly = app.synth();
    const ms = elapsedMs(start);
    const artifact = assembly.getStackByName(STACK_NAME);
    const byType: Record<string, number> = {};
    countTypes(byType, artifact.template);
    const groups = stack.carGroups.map((group) => {
      const file = join(outdir, group.templateFile);
      const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
      countTypes(byType, template);
      return { ...figuresOf(template, file), cars: group.cars.length };
    });
    const [first] = stack.carGroups;
    const costs = templateCosts(first, first.cars);
    const group = { perCar: costs.perCar.resources, shared: costs.shared.resources };
    return { ms, parent: figuresOf(artifact.template, join(outdir, artifact.templateFile)), groups, byType, group };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Synthesizes `cars` cars that all hash into one group, and returns what synth says; undefined if it does not fail. */
function pastTheLimit(config: PlamoConfig, cars: number): { cars: number; message: string } | undefined {
  const [car] = Object.values(config.cars);
  const ids: string[] = [];
  for (let i = 0; ids.length < cars; i++) if (carGroupOf(`car${i}`) === 0) ids.push(`car${i}`);
  try {
    synthOnce(parseConfig({ ...config, cars: Object.fromEntries(ids.map((id) => [id, car])) }));
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

function groupBudget({ perCar, shared }: { perCar: number; shared: number }): GroupBudget {
  const limit = TEMPLATE_LIMITS.resources;
  return { perCar, shared, limit, maxCarsPerGroup: Math.floor((limit - shared) / perCar) };
}

export function benchSynth(options: SynthBenchOptions): SynthFigures {
  const runs: SynthRun[] = [];
  let costs: { perCar: number; shared: number } | undefined;
  for (const cars of options.carCounts) {
    const config = configWithCars(options.config, cars);
    // The first synth in a process also loads aws-cdk-lib's modules; it is not what a car costs.
    if (runs.length === 0) synthOnce(config);
    const results = Array.from({ length: options.runsPerCount }, () => synthOnce(config));
    const timings = results.map((result) => result.ms);
    const cliTimings = Array.from({ length: options.runsPerCount }, () => synthWithCli(config));
    const [first] = results;
    costs = first.group;
    const largestGroup = first.groups.reduce((a, b) => (b.cars > a.cars ? b : a));
    runs.push({
      cars,
      parent: first.parent,
      groups: first.groups.length,
      largestGroup,
      medianMs: median(timings),
      timings,
      cliMedianMs: median(cliTimings),
      cliTimings,
      byType: first.byType,
    });
    options.progress(
      `synth ${cars} car(s): ${first.groups.length} car group(s), the fullest ${largestGroup.cars} cars / ${largestGroup.resources} resources, ` +
        `median ${(median(timings) / 1000).toFixed(2)} s in-process, ${(median(cliTimings) / 1000).toFixed(2)} s with the CLI`,
    );
  }
  if (!costs) throw new Error('no car counts to synthesize');
  const group = groupBudget(costs);
  options.progress(`synth ${group.maxCarsPerGroup + 1} cars in one car group, one more than it holds…`);
  return { runs, group, pastTheLimit: pastTheLimit(options.config, group.maxCarsPerGroup + 1) };
}
