import { existsSync, readFileSync } from 'node:fs';
import { type JobExecutionStatus, otaTopics, streamTopics, TERMINAL_JOB_STATUSES } from '../../contract';
import { writeFileAtomically } from '../../files/atomic-write';

/**
 * The parts of AWS IoT Jobs and AWS IoT MQTT-based file delivery a device uses, with the same reserved
 * topics and payloads (AWS IoT developer guide, "Jobs device MQTT API operations", "Jobs notifications",
 * "Using AWS IoT MQTT-based file delivery in devices"; API reference, "JobExecution"): job executions kept
 * per thing and handed out in AWS's order (IN_PROGRESS before QUEUED, then by queue time), notify-next when
 * the next one changes, `$next/get`, `{jobId}/update` with AWS's state transitions and statusDetails
 * limits, and stream blocks on request. A job created for a car that is offline waits for it, as in AWS.
 * With a file, the state survives a restart of the twin like its retained messages do.
 */

export interface JobExecution {
  readonly jobId: string;
  readonly thingName: string;
  status: JobExecutionStatus;
  statusDetails: Record<string, string>;
  readonly queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  readonly executionNumber: number;
  readonly jobDocument: unknown;
}

export interface Stream {
  readonly streamId: string;
  version: number;
  /** fileId → content */
  files: Map<number, Buffer>;
}

/** Publishes a message to a device as the service (never judged by a policy: the device's Receive permission is). */
export type ServicePublish = (topic: string, payload: string) => void;

interface Saved {
  readonly executions: JobExecution[];
  readonly streams: { streamId: string; version: number; files: [number, string][] }[];
}

const STATUS_DETAILS_MAX_PAIRS = 10;
const STATUS_DETAIL_KEY = /^[a-zA-Z0-9:_-]{1,128}$/;
const STATUS_DETAIL_VALUE_MAX = 1024;
const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const BLOCK_SIZE_MIN = 256;
const BLOCK_SIZE_MAX = 131_072;
const DEVICE_STATUSES: readonly JobExecutionStatus[] = ['IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'REJECTED'];

const REQUEST = /^\$aws\/things\/([^/]+)\/(?:jobs\/([^/]+)\/(get|update)|streams\/([^/]+)\/get\/json)$/;

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function isPending(execution: JobExecution): boolean {
  return !TERMINAL_JOB_STATUSES.includes(execution.status);
}

function statusDetailsProblem(details: unknown): string | undefined {
  if (details === undefined) return undefined;
  if (typeof details !== 'object' || details === null || Array.isArray(details)) return 'statusDetails must be an object';
  const entries = Object.entries(details);
  if (entries.length > STATUS_DETAILS_MAX_PAIRS) return `statusDetails has ${entries.length} pairs, at most ${STATUS_DETAILS_MAX_PAIRS}`;
  for (const [key, value] of entries) {
    if (!STATUS_DETAIL_KEY.test(key)) return `statusDetails key '${key}' is not [a-zA-Z0-9:_-]{1,128}`;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: AWS refuses control characters in a value.
    if (typeof value !== 'string' || value.length === 0 || value.length > STATUS_DETAIL_VALUE_MAX || /[\u0000-\u001f\u007f]/.test(value))
      return `statusDetails value of '${key}' must be 1–${STATUS_DETAIL_VALUE_MAX} printable characters`;
  }
  return undefined;
}

export class IotJobsEmulator {
  private readonly executions: JobExecution[] = [];
  private readonly streams = new Map<string, Stream>();
  private publish: ServicePublish = () => {};

  constructor(private readonly options: { readonly file?: string; readonly now?: () => number } = {}) {
    if (options.file && existsSync(options.file)) this.load(options.file);
  }

  /** Where the service's messages to devices go (the broker). */
  connect(publish: ServicePublish): void {
    this.publish = publish;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  // --- control plane (CreateJob, CancelJob, DescribeJobExecution, CreateStream/UpdateStream) ---------

  /** CreateJob targeted at one thing: its execution is QUEUED and waits for the device. */
  createJob(thingName: string, jobId: string, jobDocument: unknown): JobExecution {
    if (!JOB_ID.test(jobId)) throw new Error(`job id '${jobId}' is not [a-zA-Z0-9_-]{1,64}`);
    if (this.executions.some((execution) => execution.jobId === jobId)) throw new Error(`a job '${jobId}' exists already`);
    const before = this.next(thingName);
    const at = seconds(this.now());
    const execution: JobExecution = {
      jobId,
      thingName,
      status: 'QUEUED',
      statusDetails: {},
      queuedAt: at,
      lastUpdatedAt: at,
      versionNumber: 1,
      executionNumber: 1,
      jobDocument,
    };
    this.executions.push(execution);
    this.changed(thingName, before);
    return execution;
  }

  /** CancelJob for one thing's pending execution. */
  cancelJob(thingName: string, jobId: string): void {
    const execution = this.describe(thingName, jobId);
    if (!execution || !isPending(execution)) return;
    const before = this.next(thingName);
    execution.status = 'CANCELED';
    execution.lastUpdatedAt = seconds(this.now());
    this.changed(thingName, before);
  }

  describe(thingName: string, jobId: string): JobExecution | undefined {
    return this.executions.find((execution) => execution.thingName === thingName && execution.jobId === jobId);
  }

  /** A thing's executions, newest first. */
  list(thingName: string): readonly JobExecution[] {
    return this.executions.filter((execution) => execution.thingName === thingName).reverse();
  }

  /** CreateStream, or UpdateStream of an existing one (its version goes up by one). */
  putStream(streamId: string, files: ReadonlyMap<number, Buffer>): Stream {
    const existing = this.streams.get(streamId);
    const stream = { streamId, version: existing ? existing.version + 1 : 1, files: new Map(files) };
    this.streams.set(streamId, stream);
    this.save();
    return stream;
  }

  stream(streamId: string): Stream | undefined {
    return this.streams.get(streamId);
  }

  // --- device side: the reserved request topics ----------------------------------------------------

  /** Whether a topic is a request to this service (requests are answered, never routed to subscribers). */
  handles(topic: string): boolean {
    return REQUEST.test(topic);
  }

  /** Answers a device's request on a reserved topic. */
  request(topic: string, payload: Buffer): void {
    const match = REQUEST.exec(topic);
    if (!match) return;
    const [, thing, jobId, verb, streamId] = match;
    let body: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(payload.toString('utf8') || '{}');
      if (typeof parsed === 'object' && parsed !== null) body = parsed;
    } catch {
      body = {};
    }
    if (streamId) this.getStream(thing, streamId, body);
    else if (jobId === '$next' && verb === 'get') this.nextGet(thing, body);
    else if (verb === 'update') this.update(thing, jobId, body);
  }

  private next(thingName: string): JobExecution | undefined {
    const pending = this.executions.filter((execution) => execution.thingName === thingName && isPending(execution));
    const inProgress = pending.filter((execution) => execution.status === 'IN_PROGRESS');
    return (inProgress.length ? inProgress : pending).sort((a, b) => a.queuedAt - b.queuedAt)[0];
  }

  private summary(execution: JobExecution, withDocument = true): Record<string, unknown> {
    return {
      jobId: execution.jobId,
      status: execution.status,
      ...(Object.keys(execution.statusDetails).length ? { statusDetails: execution.statusDetails } : {}),
      queuedAt: execution.queuedAt,
      ...(execution.startedAt !== undefined ? { startedAt: execution.startedAt } : {}),
      lastUpdatedAt: execution.lastUpdatedAt,
      versionNumber: execution.versionNumber,
      executionNumber: execution.executionNumber,
      ...(withDocument ? { jobDocument: execution.jobDocument } : {}),
    };
  }

  /** notify-next goes out when the execution that $next would return changes. */
  private changed(thingName: string, before: JobExecution | undefined): void {
    this.save();
    const after = this.next(thingName);
    if (after === before) return;
    const message = { timestamp: seconds(this.now()), ...(after ? { execution: this.summary(after) } : {}) };
    this.publish(otaTopics(thingName).notifyNext, JSON.stringify(message));
  }

  private nextGet(thing: string, body: Record<string, unknown>): void {
    const next = this.next(thing);
    const message = {
      timestamp: seconds(this.now()),
      ...(body.clientToken !== undefined ? { clientToken: body.clientToken } : {}),
      // includeJobDocument defaults to true (DescribeJobExecution).
      ...(next ? { execution: this.summary(next, body.includeJobDocument !== false) } : {}),
    };
    this.publish(otaTopics(thing).nextGetAccepted, JSON.stringify(message));
  }

  private reject(topic: string, code: string, message: string, body: Record<string, unknown>): void {
    const reply = {
      code,
      message,
      timestamp: seconds(this.now()),
      ...(body.clientToken !== undefined ? { clientToken: body.clientToken } : {}),
    };
    this.publish(`${topic}/rejected`, JSON.stringify(reply));
  }

  /** Why AWS would refuse this update of an execution, as [error code, message]; undefined when it takes it. */
  private updateProblem(execution: JobExecution | undefined, body: Record<string, unknown>): [string, string] | undefined {
    if (!execution) return ['ResourceNotFound', 'no such job execution for this thing'];
    const status = body.status as JobExecutionStatus;
    if (!DEVICE_STATUSES.includes(status)) return ['InvalidRequest', `status ${String(status)} is not one a device sets`];
    const problem = statusDetailsProblem(body.statusDetails);
    if (problem) return ['InvalidRequest', problem];
    if (!isPending(execution)) return ['InvalidStateTransition', `${execution.jobId} is ${execution.status}`];
    if (body.expectedVersion !== undefined && body.expectedVersion !== execution.versionNumber)
      return ['VersionMismatch', `version is ${execution.versionNumber}`];
    return undefined;
  }

  private update(thing: string, jobId: string, body: Record<string, unknown>): void {
    const topic = otaTopics(thing).jobUpdate(jobId);
    const execution = this.describe(thing, jobId);
    const problem = this.updateProblem(execution, body);
    if (problem || !execution) {
      this.reject(topic, ...(problem ?? ['ResourceNotFound', '']), body);
      return;
    }
    const before = this.next(thing);
    const at = seconds(this.now());
    execution.status = body.status as JobExecutionStatus;
    if (body.statusDetails !== undefined) execution.statusDetails = body.statusDetails as Record<string, string>;
    if (execution.status === 'IN_PROGRESS' && execution.startedAt === undefined) execution.startedAt = at;
    execution.lastUpdatedAt = at;
    execution.versionNumber++;
    const state = { status: execution.status, statusDetails: execution.statusDetails, versionNumber: execution.versionNumber };
    this.publish(`${topic}/accepted`, JSON.stringify({ executionState: state, timestamp: at }));
    this.changed(thing, before);
  }

  /** Why AWS would refuse this block request, as [error code, message]; undefined when it answers it. */
  private streamProblem(stream: Stream | undefined, file: Buffer | undefined, body: Record<string, unknown>): [string, string] | undefined {
    if (!stream) return ['ResourceNotFound', 'no such stream'];
    if (body.s !== undefined && body.s !== stream.version) return ['VersionMismatch', `stream version is ${stream.version}`];
    if (!file) return ['ResourceNotFound', `no file ${String(body.f)} in stream ${stream.streamId}`];
    const size = body.l;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < BLOCK_SIZE_MIN || size > BLOCK_SIZE_MAX)
      return ['InvalidRequest', `block size must be ${BLOCK_SIZE_MIN}–${BLOCK_SIZE_MAX}`];
    return undefined;
  }

  private getStream(thing: string, streamId: string, body: Record<string, unknown>): void {
    const topics = streamTopics(thing, streamId);
    const stream = this.streams.get(streamId);
    const file = typeof body.f === 'number' ? stream?.files.get(body.f) : undefined;
    const problem = this.streamProblem(stream, file, body);
    if (problem || !file) {
      const [code, message] = problem ?? ['ResourceNotFound', ''];
      this.publish(topics.rejected, JSON.stringify({ o: code, m: message, ...(body.c !== undefined ? { c: body.c } : {}) }));
      return;
    }
    const size = body.l as number;
    const offset = typeof body.o === 'number' ? body.o : 0;
    const count = typeof body.n === 'number' ? body.n : 1;
    for (let block = offset; block < offset + count && block * size < file.length; block++) {
      const data = file.subarray(block * size, (block + 1) * size);
      const message = { ...(body.c !== undefined ? { c: body.c } : {}), f: body.f, l: data.length, i: block, p: data.toString('base64') };
      this.publish(topics.data, JSON.stringify(message));
    }
  }

  // --- persistence -----------------------------------------------------------------------------------

  private load(file: string): void {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    this.executions.push(...saved.executions);
    for (const stream of saved.streams) {
      this.streams.set(stream.streamId, {
        streamId: stream.streamId,
        version: stream.version,
        files: new Map(stream.files.map(([id, content]) => [id, Buffer.from(content, 'base64')])),
      });
    }
  }

  private save(): void {
    const file = this.options.file;
    if (!file) return;
    const saved: Saved = {
      executions: this.executions,
      streams: [...this.streams.values()].map((stream) => ({
        streamId: stream.streamId,
        version: stream.version,
        files: [...stream.files].map(([id, content]) => [id, content.toString('base64')]),
      })),
    };
    // Whole or not at all: a kill mid-write leaves the previous state.
    writeFileAtomically(file, JSON.stringify(saved), 0o600);
  }
}
