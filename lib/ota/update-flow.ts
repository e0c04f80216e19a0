import { OTA_JOB_PREFIX, type OtaManifest, otaStreamId, TERMINAL_JOB_STATUSES } from '../contract';
import type { PlamoConfig } from '../config';
import { type JobExecutionView, MANIFEST_PATH, type OtaControlPlane, otaObjectKey, type StreamFile } from './control-plane';
import { jobDocument, packageUpdate, renderUpdateFiles, type UpdateFiles } from './package';

/** What the car says about itself (its retained status). */
export interface CarStatus {
  readonly online: boolean | null;
  readonly fw: string | null;
}

export interface UpdateRequest {
  readonly config: PlamoConfig;
  readonly carId: string;
  readonly plane: OtaControlPlane;
  /** The broker the car talks to, exactly as its bundle has it (a different one would cut it off). */
  readonly mqttHost: string;
  readonly mqttPort: number;
  readonly readStatus: (carId: string) => Promise<CarStatus>;
  readonly progress: (line: string) => void;
  /** How long to follow the update before handing back. @default 300 s */
  readonly timeoutMs?: number;
  /** @default 500 ms */
  readonly pollMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export type UpdateOutcome =
  | { readonly kind: 'online'; readonly version: string; readonly jobId: string }
  | { readonly kind: 'up-to-date'; readonly version: string }
  | { readonly kind: 'queued'; readonly version: string; readonly jobId: string }
  | { readonly kind: 'failed'; readonly version: string; readonly jobId: string; readonly reason: string }
  | { readonly kind: 'timed-out'; readonly version: string; readonly jobId: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${(bytes / 1024).toFixed(1)} KB`;
}

function parseManifest(bytes: Buffer | undefined): OtaManifest | undefined {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as OtaManifest;
  } catch {
    return undefined;
  }
}

/** One line per step the car reports in its job's statusDetails. */
export function describeProgress(details: Readonly<Record<string, string>>): string | undefined {
  if (details.step === 'downloading' && details.files) return `downloading: ${details.files} files, ${details.bytes} bytes`;
  if (details.step === 'downloading') return 'downloading: the car has started';
  if (details.step === 'rebooting') return `rebooting into the update (${details.files} files, ${details.bytes} bytes checked)`;
  return undefined;
}

/** A job id AWS takes (`[a-zA-Z0-9_-]{1,64}`), unique per update, with the prefix the car's policy allows. */
export function updateJobId(version: string, now: number): string {
  return `${OTA_JOB_PREFIX}${version.replace(/[^a-zA-Z0-9]/g, '-')}-${now.toString(36)}`.slice(0, 64);
}

async function cancelPending(request: UpdateRequest): Promise<void> {
  for (const job of await request.plane.listJobs(request.carId)) {
    if (job.jobId.startsWith(OTA_JOB_PREFIX) && !TERMINAL_JOB_STATUSES.includes(job.status)) {
      await request.plane.cancelJob(request.carId, job.jobId);
      request.progress(`✓ cancelled the earlier update ${job.jobId} (${job.status}): this one replaces it`);
    }
  }
}

/**
 * `plamo ota <car>`: renders the car's files as `plamo device` would, sends only what changed since the
 * version the car runs (when its manifest is still kept), queues a job for the car and follows it until
 * the car is online with the new version, or says why not.
 */
export async function runUpdate(request: UpdateRequest): Promise<UpdateOutcome> {
  return sendUpdate(request, renderUpdateFiles(request.config, request.carId, { mqttHost: request.mqttHost, mqttPort: request.mqttPort }));
}

/** `runUpdate` with files already rendered. */
export async function sendUpdate(request: UpdateRequest, update: UpdateFiles): Promise<UpdateOutcome> {
  const { carId, plane, progress } = request;
  const now = request.now ?? Date.now;
  const status = await request.readStatus(carId);
  if (status.fw === update.version) {
    progress(`✓ ${carId} already runs firmware ${update.version}: nothing to send`);
    return { kind: 'up-to-date', version: update.version };
  }
  const previous = status.fw ? parseManifest(await plane.manifestOf(carId, status.fw)) : undefined;
  const pkg = packageUpdate(update, previous);
  const total = [...update.files.values()].reduce((sum, content) => sum + content.length, 0);
  progress(
    `✓ firmware ${pkg.version} for ${carId}: ${pkg.changed.length} of ${update.files.size} files changed (${kilobytes(pkg.bytes)} of ${kilobytes(total)})` +
      (previous
        ? `, against ${status.fw}`
        : `; ${status.fw ? `no manifest of ${status.fw} kept` : 'the car never reported a version'}, so all are sent and the car fetches only those that differ`),
  );
  if (pkg.changed.length) progress(`  ${pkg.changed.join(', ')}`);
  await cancelPending(request);
  const files: StreamFile[] = [...pkg.streamFiles]
    .sort(([a], [b]) => a - b)
    .map(([fileId, content]) => ({
      fileId,
      key: otaObjectKey(carId, pkg.version, fileId === 0 ? MANIFEST_PATH : pkg.changed[fileId - 1]),
      content,
    }));
  const streamVersion = await plane.putStream(carId, otaStreamId(carId), files);
  const jobId = updateJobId(pkg.version, now());
  await plane.createJob(carId, jobId, jobDocument(pkg, streamVersion));
  progress(`✓ job ${jobId} queued for ${carId} (stream ${otaStreamId(carId)} v${streamVersion})`);
  if (status.online !== true) {
    progress(`… ${carId} is offline: it gets the update when it next comes online (follow it with \`plamo ota ${carId} --status\`)`);
    return { kind: 'queued', version: pkg.version, jobId };
  }
  return follow(request, pkg.version, jobId);
}

async function follow(request: UpdateRequest, version: string, jobId: string): Promise<UpdateOutcome> {
  const { carId, plane, progress } = request;
  const now = request.now ?? Date.now;
  const deadline = now() + (request.timeoutMs ?? 300_000);
  let said = '';
  const say = (line: string | undefined) => {
    if (line && line !== said) progress(`… ${line}`);
    said = line ?? said;
  };
  while (now() < deadline) {
    const job: JobExecutionView | undefined = await plane.describeJob(carId, jobId);
    if (job?.status === 'FAILED' || job?.status === 'REJECTED' || job?.status === 'CANCELED' || job?.status === 'TIMED_OUT') {
      const reason = job.statusDetails.reason ?? job.status.toLowerCase();
      progress(`✗ the update did not take: ${reason}`);
      return { kind: 'failed', version, jobId, reason };
    }
    if (job) say(describeProgress(job.statusDetails));
    if (job?.status === 'SUCCEEDED') {
      const status = await request.readStatus(carId);
      if (status.online && status.fw === version) {
        progress(`✓ ${carId} is online with firmware ${version}`);
        return { kind: 'online', version, jobId };
      }
    }
    await sleep(request.pollMs ?? 500);
  }
  progress(`✗ no word from ${carId} in time; the job stays with the car: \`plamo ota ${carId} --status\``);
  return { kind: 'timed-out', version, jobId };
}

/** `plamo ota <car> --status`: the car's update jobs, newest first, with what the car last said. */
export async function updateStatus(plane: OtaControlPlane, carId: string, status: CarStatus): Promise<string[]> {
  const jobs = await plane.listJobs(carId);
  const lines = [
    `${carId}: ${status.online ? 'online' : status.online === false ? 'offline' : 'never seen'}, firmware ${status.fw ?? 'unknown'}`,
  ];
  if (jobs.length === 0) lines.push('  no update jobs');
  for (const job of jobs) {
    const details = Object.entries(job.statusDetails)
      .map(([key, value]) => `${key}: ${value}`)
      .join(', ');
    lines.push(`  ${job.jobId}  ${job.status}${details ? `  (${details})` : ''}`);
  }
  return lines;
}
