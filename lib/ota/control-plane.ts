import { join } from 'node:path';
import type { JobExecutionStatus, OtaJobDocument } from '../contract';

/**
 * What `plamo ota` needs from AWS IoT's control plane, as one small port: the same update flow runs against
 * AWS (S3, CreateStream/UpdateStream, CreateJob, DescribeJobExecution) and against the local twin.
 */
export interface JobExecutionView {
  readonly jobId: string;
  readonly status: JobExecutionStatus;
  readonly statusDetails: Readonly<Record<string, string>>;
  /** Seconds since 1970. */
  readonly queuedAt?: number;
  readonly lastUpdatedAt?: number;
}

export interface StreamFile {
  readonly fileId: number;
  /** Where the file is kept (an S3 key, or a path in the twin's bucket folder), under the car's prefix. */
  readonly key: string;
  readonly content: Buffer;
}

export interface OtaControlPlane {
  /** Stores the files and points the car's stream at them; returns the stream's new version. */
  putStream(carId: string, streamId: string, files: readonly StreamFile[]): Promise<number>;
  /** A job for this one car's thing; it waits in the car's queue until the car asks. */
  createJob(carId: string, jobId: string, document: OtaJobDocument): Promise<void>;
  describeJob(carId: string, jobId: string): Promise<JobExecutionView | undefined>;
  /** The car's update jobs, newest first. */
  listJobs(carId: string): Promise<readonly JobExecutionView[]>;
  /** Cancels a job still waiting or running (a newer update replaces it). */
  cancelJob(carId: string, jobId: string): Promise<void>;
  /** The manifest of a version this car was sent before, when it is still kept. */
  manifestOf(carId: string, version: string): Promise<Buffer | undefined>;
}

/** Where an update's files are kept: one prefix per car and version, so the stream role can be given just `ota/`. */
export function otaObjectKey(carId: string, version: string, path: string): string {
  return `ota/${carId}/${version}/${path}`;
}

export const MANIFEST_PATH = 'manifest.json';

/** The twin's bucket: the folder (in its PKI folder) `plamo ota --local` writes an update's files into. */
export const OTA_BUCKET_DIR = 'ota-bucket';

/** Where an object of the twin's bucket is on disk. */
export function bucketPath(bucketDir: string, key: string): string {
  return join(bucketDir, ...key.split('/'));
}
