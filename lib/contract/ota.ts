/**
 * Over-the-air updates on AWS IoT's own engine: a job per update (AWS IoT Jobs device MQTT API) and the
 * files in a stream (AWS IoT MQTT-based file delivery). Every reserved topic the firmware, the cloud
 * policy and the twin use is spelled here, once.
 *
 * Facts relied on (AWS IoT developer guide, "Jobs device MQTT API operations", "Using AWS IoT MQTT-based
 * file delivery in devices"; API reference, "JobExecution", "JobExecutionState"):
 * - `$aws/things/{thing}/jobs/notify-next` carries `{"execution":{…}}`, or no `execution` when nothing is pending;
 * - a device asks with `$aws/things/{thing}/jobs/$next/get`, answered on `…/$next/get/accepted`;
 * - it reports on `$aws/things/{thing}/jobs/{jobId}/update` with `status` IN_PROGRESS, SUCCEEDED, FAILED or
 *   REJECTED and `statusDetails`: at most 10 pairs, keys `[a-zA-Z0-9:_-]{1,128}`, values 1–1,024 characters;
 * - job ids are `[a-zA-Z0-9_-]{1,64}`, job documents at most 32,768 characters;
 * - a stream block is asked for on `$aws/things/{thing}/streams/{streamId}/get/json` with
 *   `{"s":version,"f":fileId,"l":blockSize,"o":blockOffset,"n":blocks}` and arrives on `…/data/json` as
 *   `{"f","l","i":blockId,"p":base64}`; refusals come on `…/rejected/json` as `{"o":code,"m":message}`.
 */

/** The job document's `operation`: jobs with anything else are not updates and the car rejects them. */
export const OTA_OPERATION = 'plamo-ota';

/** Job ids of updates start with this, so the car's policy can name its update topics without a bare `*`. */
export const OTA_JOB_PREFIX = 'plamo-ota-';

/**
 * Bytes per stream block. A data message is its base64 (4/3 of it) plus a small JSON envelope and the
 * topic; at 512 B it stays inside the firmware's 1,024-byte receive buffer for the longest car id and
 * stream id (test/contract/ota.test.ts checks the arithmetic). AWS takes 256 B to 128 KB.
 */
export const OTA_BLOCK_BYTES = 512;

/** The manifest is stream file 0; the car keeps it in RAM while it downloads, so it is bounded. */
export const OTA_MANIFEST_MAX_BYTES = 4096;

/**
 * Files an update never names and never replaces: the credentials `plamo device` writes, and the boot
 * step that finishes or undoes an update (a broken update must never take away the way back).
 */
export const OTA_PROTECTED_FILES = ['boot.py', 'otaboot.py', 'last_error.txt'] as const;
/** Folders an update never writes into: the credentials, and the update's own staging area. */
export const OTA_PROTECTED_DIRS = ['certs/', 'ota/'] as const;

/** The one stream per car that carries its updates (updated in place; its version tells one update from the next). */
export function otaStreamId(car: string): string {
  return `plamo-ota-${car}`;
}

export interface OtaTopics {
  readonly notifyNext: string;
  readonly nextGet: string;
  readonly nextGetAccepted: string;
  /** The update topic of one job. */
  jobUpdate(jobId: string): string;
  /** `jobUpdate` for every update job, with a policy `*` in the job id's place. */
  readonly jobUpdateAny: string;
  readonly streamGet: string;
  readonly streamData: string;
  readonly streamRejected: string;
}

/** AWS IoT MQTT-based file delivery's topics of one stream, JSON flavour, for any thing and stream. */
export function streamTopics(thing: string, streamId: string): { readonly get: string; readonly data: string; readonly rejected: string } {
  const stream = `$aws/things/${thing}/streams/${streamId}`;
  return { get: `${stream}/get/json`, data: `${stream}/data/json`, rejected: `${stream}/rejected/json` };
}

export function otaTopics(thing: string): OtaTopics {
  const jobs = `$aws/things/${thing}/jobs`;
  const stream = streamTopics(thing, otaStreamId(thing));
  return {
    notifyNext: `${jobs}/notify-next`,
    nextGet: `${jobs}/$next/get`,
    nextGetAccepted: `${jobs}/$next/get/accepted`,
    jobUpdate: (jobId) => `${jobs}/${jobId}/update`,
    jobUpdateAny: `${jobs}/${OTA_JOB_PREFIX}*/update`,
    streamGet: stream.get,
    streamData: stream.data,
    streamRejected: stream.rejected,
  };
}

/** What the car subscribes to for updates, after its lamps: every filter exact. */
export function otaSubscriptions(thing: string): readonly string[] {
  const topics = otaTopics(thing);
  return [topics.notifyNext, topics.nextGetAccepted, topics.streamData, topics.streamRejected];
}

/** One file of an update, as the manifest lists it; `fileId` is its stream file, absent when the car already has it. */
export interface OtaManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly fileId?: number;
}

/** Stream file 0: every updatable file of the new version, with the hash the car checks. */
export interface OtaManifest {
  readonly version: string;
  readonly files: readonly OtaManifestFile[];
}

/** The job document: small, because it arrives inside a notify-next message the car reads whole. */
export interface OtaJobDocument {
  readonly operation: typeof OTA_OPERATION;
  readonly version: string;
  readonly streamVersion: number;
  readonly manifest: { readonly size: number; readonly sha256: string };
}

export type JobExecutionStatus = 'QUEUED' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'CANCELED' | 'TIMED_OUT' | 'REMOVED';

export const TERMINAL_JOB_STATUSES: readonly JobExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'REJECTED', 'CANCELED', 'TIMED_OUT', 'REMOVED'];

/** A manifest path is relative, `/`-separated, printable and outside the protected files and folders. */
export function otaPathProblem(path: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(path) || path.split('/').some((part) => part === '..' || part === '.'))
    return `'${path}' is not a plain relative path`;
  if ((OTA_PROTECTED_FILES as readonly string[]).includes(path)) return `${path} is never replaced by an update`;
  const dir = OTA_PROTECTED_DIRS.find((prefix) => path.startsWith(prefix));
  if (dir) return `${path} is in ${dir}, which an update never writes (credentials stay on the car)`;
  return undefined;
}
