import { GetRetainedMessageCommand, type IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  CancelJobCommand,
  CreateJobCommand,
  CreateStreamCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  type IoTClient,
  ListJobExecutionsForThingCommand,
  UpdateStreamCommand,
} from '@aws-sdk/client-iot';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { carTopics, type JobExecutionStatus, OTA_JOB_PREFIX, type OtaJobDocument } from '../contract';
import { type JobExecutionView, MANIFEST_PATH, type OtaControlPlane, otaObjectKey, type StreamFile } from './control-plane';
import type { CarStatus } from './update-flow';

export interface AwsOtaClients {
  readonly s3: S3Client;
  readonly iot: IoTClient;
  /** On the account's ATS data endpoint (the stack's IotEndpoint output). */
  readonly iotData: IoTDataPlaneClient;
}

export interface AwsControlPlaneOptions {
  readonly clients: AwsOtaClients;
  /** The stack's OtaBucketName output. */
  readonly bucket: string;
  /** The stack's OtaStreamRoleArn output: what AWS IoT assumes to read the files into the stream. */
  readonly streamRoleArn: string;
  readonly topicRoot: string;
}

const isMissing = (error: unknown) => error instanceof Error && (error.name === 'ResourceNotFoundException' || error.name === 'NoSuchKey');

/**
 * AWS's engine for `plamo ota`: files in S3, the car's stream over them (CreateStream once, UpdateStream
 * after; each raises the stream's version), a job per update targeted at the car's thing (CreateJob), and
 * its status from DescribeJobExecution; the car's own word from its retained status (GetRetainedMessage).
 */
export class AwsControlPlane implements OtaControlPlane {
  constructor(private readonly options: AwsControlPlaneOptions) {}

  async putStream(_carId: string, streamId: string, files: readonly StreamFile[]): Promise<number> {
    const { s3, iot } = this.options.clients;
    const { bucket, streamRoleArn } = this.options;
    for (const file of files) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: file.key, Body: file.content }));
    const streamFiles = files.map((file) => ({ fileId: file.fileId, s3Location: { bucket, key: file.key } }));
    const description = 'plamo over-the-air update';
    try {
      const updated = await iot.send(new UpdateStreamCommand({ streamId, files: streamFiles, roleArn: streamRoleArn, description }));
      return updated.streamVersion ?? 0;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    const created = await iot.send(new CreateStreamCommand({ streamId, files: streamFiles, roleArn: streamRoleArn, description }));
    return created.streamVersion ?? 0;
  }

  async createJob(carId: string, jobId: string, document: OtaJobDocument): Promise<void> {
    const { iot } = this.options.clients;
    const thing = await iot.send(new DescribeThingCommand({ thingName: carId }));
    await iot.send(
      new CreateJobCommand({
        jobId,
        targets: [thing.thingArn ?? ''],
        // A snapshot job: this one car, now; it waits in the car's queue while the car is offline.
        targetSelection: 'SNAPSHOT',
        document: JSON.stringify(document),
        description: `plamo update of ${carId} to firmware ${document.version}`,
      }),
    );
  }

  async describeJob(carId: string, jobId: string): Promise<JobExecutionView | undefined> {
    try {
      const { execution } = await this.options.clients.iot.send(new DescribeJobExecutionCommand({ jobId, thingName: carId }));
      if (!execution) return undefined;
      return {
        jobId,
        status: execution.status as JobExecutionStatus,
        statusDetails: execution.statusDetails?.detailsMap ?? {},
        queuedAt: execution.queuedAt ? Math.floor(execution.queuedAt.getTime() / 1000) : undefined,
        lastUpdatedAt: execution.lastUpdatedAt ? Math.floor(execution.lastUpdatedAt.getTime() / 1000) : undefined,
      };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async listJobs(carId: string): Promise<readonly JobExecutionView[]> {
    const { executionSummaries } = await this.options.clients.iot.send(
      new ListJobExecutionsForThingCommand({ thingName: carId, maxResults: 20 }),
    );
    return (executionSummaries ?? [])
      .filter((summary) => summary.jobId?.startsWith(OTA_JOB_PREFIX))
      .map((summary) => ({
        jobId: summary.jobId ?? '',
        status: (summary.jobExecutionSummary?.status ?? 'QUEUED') as JobExecutionStatus,
        statusDetails: {},
        queuedAt: summary.jobExecutionSummary?.queuedAt ? Math.floor(summary.jobExecutionSummary.queuedAt.getTime() / 1000) : undefined,
      }))
      .sort((a, b) => (b.queuedAt ?? 0) - (a.queuedAt ?? 0));
  }

  async cancelJob(_carId: string, jobId: string): Promise<void> {
    // force: an execution the car already started is cancelled too; the car drops its download.
    await this.options.clients.iot.send(new CancelJobCommand({ jobId, force: true, comment: 'replaced by a newer update' }));
  }

  async manifestOf(carId: string, version: string): Promise<Buffer | undefined> {
    try {
      const object = await this.options.clients.s3.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: otaObjectKey(carId, version, MANIFEST_PATH) }),
      );
      return object.Body ? Buffer.from(await object.Body.transformToByteArray()) : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async readStatus(carId: string): Promise<CarStatus> {
    try {
      const { payload } = await this.options.clients.iotData.send(
        new GetRetainedMessageCommand({ topic: carTopics(this.options.topicRoot, carId).status }),
      );
      const status = JSON.parse(Buffer.from(payload ?? new Uint8Array()).toString('utf8') || '{}');
      return { online: typeof status.online === 'boolean' ? status.online : null, fw: typeof status.fw === 'string' ? status.fw : null };
    } catch (error) {
      if (isMissing(error)) return { online: null, fw: null };
      throw error;
    }
  }
}
