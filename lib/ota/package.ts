import { createHash } from 'node:crypto';
import { type FirmwareOptions, packageVersion, renderFirmwareFiles } from '../../firmware/generate';
import type { PlamoConfig } from '../config';
import {
  OTA_MANIFEST_MAX_BYTES,
  OTA_OPERATION,
  OTA_PROTECTED_FILES,
  type OtaJobDocument,
  type OtaManifest,
  type OtaManifestFile,
  otaPathProblem,
} from '../contract';

/** The files of an update, path → content, and the version they make. */
export interface UpdateFiles {
  readonly version: string;
  readonly files: ReadonlyMap<string, Buffer>;
}

/** An update ready for a stream and a job: stream file 0 is the manifest, then only the files that changed. */
export interface UpdatePackage {
  readonly version: string;
  readonly manifest: OtaManifest;
  readonly manifestBytes: Buffer;
  /** fileId → content, the manifest as file 0. */
  readonly streamFiles: ReadonlyMap<number, Buffer>;
  /** Paths the stream carries, in fileId order. */
  readonly changed: readonly string[];
  /** Bytes of the changed files. */
  readonly bytes: number;
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * What `plamo device` would write for the car, minus what an update never carries: no Wi-Fi password (it is
 * never rendered here) and not the boot step. The version is the package version plus a hash of the files,
 * so a config change (a new lamp) is a new version the car reports.
 */
export function renderUpdateFiles(
  config: PlamoConfig,
  carId: string,
  options: Omit<FirmwareOptions, 'wifiPassword' | 'firmwareVersion'>,
): UpdateFiles {
  const render = (firmwareVersion: string) => {
    const files = renderFirmwareFiles(config, carId, { ...options, firmwareVersion });
    for (const path of OTA_PROTECTED_FILES) files.delete(path);
    return new Map([...files].map(([path, content]) => [path, Buffer.from(content)]));
  };
  const base = packageVersion();
  const digest = createHash('sha256');
  for (const [path, content] of [...render(base)].sort(([a], [b]) => a.localeCompare(b)))
    digest.update(path).update('\0').update(content).update('\0');
  const version = `${base}+${digest.digest('hex').slice(0, 8)}`;
  return { version, files: render(version) };
}

/**
 * The manifest and stream files for an update. With `previous` (the manifest the car last installed), only
 * files whose hash changed go into the stream; the car checks every other file against the manifest and
 * refuses the update if one differs. Throws, naming every path at once, when a file is one an update never
 * replaces (credentials, the boot step) or not a plain relative path.
 */
export function packageUpdate(update: UpdateFiles, previous?: OtaManifest): UpdatePackage {
  const problems = [...update.files.keys()].map(otaPathProblem).filter((problem): problem is string => problem !== undefined);
  if (problems.length) throw new Error(`the update cannot carry these files: ${problems.join('; ')}`);
  const known = new Map((previous?.files ?? []).map((file) => [file.path, file.sha256]));
  const streamFiles = new Map<number, Buffer>();
  const changed: string[] = [];
  const entries: OtaManifestFile[] = [...update.files]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, content]) => {
      const digest = sha256(content);
      if (known.get(path) === digest) return { path, size: content.length, sha256: digest };
      changed.push(path);
      const fileId = changed.length;
      streamFiles.set(fileId, content);
      return { path, size: content.length, sha256: digest, fileId };
    });
  const manifest: OtaManifest = { version: update.version, files: entries };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  if (manifestBytes.length > OTA_MANIFEST_MAX_BYTES)
    throw new Error(
      `the update's manifest is ${manifestBytes.length} bytes, over the car's ${OTA_MANIFEST_MAX_BYTES}; fewer files would fit`,
    );
  streamFiles.set(0, manifestBytes);
  const bytes = changed.reduce((sum, path) => sum + (update.files.get(path)?.length ?? 0), 0);
  return { version: update.version, manifest, manifestBytes, streamFiles, changed, bytes };
}

/** The job document for a package, once its stream has a version. */
export function jobDocument(update: UpdatePackage, streamVersion: number): OtaJobDocument {
  return {
    operation: OTA_OPERATION,
    version: update.version,
    streamVersion,
    manifest: { size: update.manifestBytes.length, sha256: sha256(update.manifestBytes) },
  };
}
