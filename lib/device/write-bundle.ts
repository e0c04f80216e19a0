import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { DeviceBundleError } from './errors';

/** One file of a bundle; `mode` defaults to 0644. */
export interface BundleFile {
  readonly content: string | Uint8Array;
  readonly mode?: number;
}

/** Relative path (always `/`-separated, as on the device) → file. */
export type Bundle = ReadonlyMap<string, BundleFile>;

/** Mode of files holding a secret: the private key, and config.py with the Wi-Fi password. */
export const SECRET_FILE_MODE = 0o600;
const PUBLIC_FILE_MODE = 0o644;

/**
 * Replacing a folder deletes what is in it: only ever replace an empty folder or a previous bundle
 * (recognised by `marker`, a file every bundle holds), never someone's documents.
 */
function checkReplaceable(target: string, marker: string | undefined): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw new DeviceBundleError(`${target} exists and is not a folder; choose another --out`);
  const entries = readdirSync(target);
  if (entries.length === 0 || (marker !== undefined && existsSync(join(target, ...marker.split('/'))))) return;
  throw new DeviceBundleError(
    `${target} is not empty and holds no previous bundle (${entries.slice(0, 3).join(', ')}); choose another --out or empty it`,
  );
}

function writeFiles(folder: string, bundle: Bundle): void {
  for (const [path, file] of bundle) {
    if (path.split('/').some((part) => part === '..' || part === '') || path.startsWith('/')) {
      throw new Error(`bundle path '${path}' must be relative and stay inside the bundle`);
    }
    const target = join(folder, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    const mode = file.mode ?? PUBLIC_FILE_MODE;
    writeFileSync(target, file.content, { mode });
    // The mode given to writeFileSync is masked by the umask; set it exactly.
    chmodSync(target, mode);
  }
}

/** The files of `previous` that `keep` names and the new bundle does not hold, copied into `staging` with their modes. */
function carryOver(previous: string, staging: string, bundle: Bundle, keep: (path: string) => boolean): void {
  if (!existsSync(previous)) return;
  for (const entry of readdirSync(previous, { recursive: true, encoding: 'utf8' })) {
    const from = join(previous, entry);
    const path = relative(previous, from).split(sep).join('/');
    if (bundle.has(path) || !keep(path) || !statSync(from).isFile()) continue;
    const to = join(staging, entry);
    mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
    copyFileSync(from, to);
    chmodSync(to, statSync(from).mode & 0o777);
  }
}

/** Swaps the finished folder into place; the previous bundle, if any, is removed only once the new one is there. */
function swapIn(staging: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(staging, target);
    return;
  }
  const previous = `${staging}.previous`;
  renameSync(target, previous);
  try {
    renameSync(staging, target);
  } catch (error) {
    renameSync(previous, target);
    throw error;
  }
  rmSync(previous, { recursive: true, force: true });
}

/**
 * Writes a bundle to `outDir` all at once: into a temporary folder next to it (same file system, so the
 * final rename is atomic), then renamed into place. On any failure the temporary folder is removed and
 * an existing bundle in `outDir` stays as it was. The folder is mode 0700: it holds a private key.
 * `marker` is a path every bundle of this kind holds; a folder holding it is a previous bundle and is replaced.
 * `keep` names the files of a previous bundle that a partial one (firmware only, certificates only) leaves
 * in place, so writing new firmware into a device folder does not cost it its certificates.
 */
export function writeBundle(outDir: string, bundle: Bundle, options: { marker?: string; keep?: (path: string) => boolean } = {}): void {
  const target = resolve(outDir);
  checkReplaceable(target, options.marker);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
  try {
    writeFiles(staging, bundle);
    if (options.keep) carryOver(target, staging, bundle, options.keep);
    chmodSync(staging, 0o700);
    swapIn(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}
