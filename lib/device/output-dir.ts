import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { DeviceBundleError } from './errors';

function nearestExistingFolder(path: string): string {
  let folder = path;
  while (!existsSync(folder)) folder = dirname(folder);
  return folder;
}

/** Runs git; undefined when git is missing or `cwd` is not inside a work tree. */
function git(cwd: string, args: readonly string[]): { status: number; stdout: string } | undefined {
  try {
    return { status: 0, stdout: execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (error) {
    const failure = error as { code?: string; status?: number | null; stdout?: string };
    if (failure.code === 'ENOENT' || failure.status === undefined || failure.status === null) return undefined;
    return { status: failure.status, stdout: failure.stdout ?? '' };
  }
}

/**
 * Refuses an output folder that git could commit: one holding tracked files, or one not covered by
 * .gitignore. The bundle holds the device's private key and the Wi-Fi password, one `git add .` away
 * from a public repository otherwise. Outside a git work tree there is nothing to guard.
 * Returns why the folder is safe, for a progress line.
 */
export function checkOutputFolder(outDir: string, suggestion: string): string {
  const target = resolve(outDir);
  const top = git(nearestExistingFolder(target), ['rev-parse', '--show-toplevel']);
  if (top?.status !== 0) return 'is outside any git work tree';
  const root = top.stdout.trim();
  const path = relative(root, target) || '.';
  const tracked = git(root, ['ls-files', '--', path]);
  const firstTracked = tracked?.stdout.split('\n').find(Boolean);
  if (firstTracked) {
    throw new DeviceBundleError(`${outDir} holds files tracked by git (${firstTracked}); write the bundle to ${suggestion} instead`);
  }
  const ignored = git(root, ['check-ignore', '-q', '--no-index', '--', path]);
  if (ignored?.status !== 0) {
    throw new DeviceBundleError(
      `${outDir} is not ignored by git, so the private key would be one 'git add' away from a commit; ` +
        `write the bundle to ${suggestion} or add the folder to .gitignore`,
    );
  }
  return 'is ignored by git';
}
