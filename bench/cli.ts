import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { elapsedMs, median, round } from './stats';

/** `plamo --help` and `plamo --version` as a user starts them, against Node.js starting and doing nothing. */
export interface CliFigures {
  readonly runs: number;
  readonly helpMs: number;
  readonly versionMs: number;
  /** `node -e ''`: what any command costs before the CLI's first line. */
  readonly nodeFloorMs: number;
}

const PLAMO = join(__dirname, '..', 'bin', 'plamo.cjs');

function timedRun(args: readonly string[]): number {
  const start = performance.now();
  execFileSync(process.execPath, args, { stdio: 'ignore', env: { ...process.env, NODE_OPTIONS: '' } });
  return elapsedMs(start);
}

/** Medians of fresh processes, the three kinds interleaved so that a busy moment of the machine hits each alike. */
export function benchCli(options: { runs: number; progress: (line: string) => void }): CliFigures {
  const help: number[] = [];
  const version: number[] = [];
  const floor: number[] = [];
  timedRun([PLAMO, '--help']); // warm-up: tsx compiles into its cache on the first run
  for (let run = 0; run < options.runs; run++) {
    help.push(timedRun([PLAMO, '--help']));
    version.push(timedRun([PLAMO, '--version']));
    floor.push(timedRun(['-e', '']));
  }
  options.progress(`  plamo --help: median ${median(help).toFixed(0)} ms of ${options.runs}`);
  return { runs: options.runs, helpMs: round(median(help), 1), versionMs: round(median(version), 1), nodeFloorMs: round(median(floor), 1) };
}
