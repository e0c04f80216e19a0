import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../../files/atomic-write';
import { UserError } from '../../user-error';

/**
 * The twin's retained messages, kept on disk as AWS IoT Core keeps them across anything short of deletion
 * (AWS IoT developer guide, "MQTT retained messages").
 *
 * An append-only log of JSON lines: `put` writes and fdatasyncs one line before it returns, so whatever the
 * broker acknowledged afterwards is on disk even if the process is killed the next instant. A line cut short by
 * a kill is simply not a line: the log is read line by line up to the last newline. Opening rewrites the log
 * as one line per topic (written to a temporary file, synced, then renamed over the log), so it stays as small
 * as what it holds.
 *
 * A log has one owner, as an account's retained messages have one broker: a second store opened on it would
 * compact it from under the first, whose appends would then go to a file no longer there. `open` takes a lock
 * file beside the log (holding the owner's pid) and refuses while its owner lives; a lock left by a killed
 * process is taken over.
 */

/** A second twin (or broker) started on a folder whose retained messages another one is keeping. */
export class RetainedStoreBusyError extends UserError {
  constructor(
    readonly file: string,
    readonly ownerPid: number,
  ) {
    super(
      `${file} is in use by another running twin (process ${ownerPid}); stop that one first, or give this one ` +
        `its own folder (if no twin is running, delete ${file}.lock)`,
    );
  }
}

export interface RetainedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  /** When the broker took it, epoch ms: what GetRetainedMessage answers as `lastModifiedTime`. */
  readonly lastModified: number;
}

interface LogLine {
  readonly topic: string;
  /** base64; empty deletes the topic's retained message (MQTT 3.1.1 section 3.3.1.3). */
  readonly payload: string;
  readonly qos: 0 | 1;
  /** Epoch ms; absent in logs written before it was kept. */
  readonly at?: number;
}

function encode(message: RetainedMessage): string {
  const line: LogLine = {
    topic: message.topic,
    payload: message.payload.toString('base64'),
    qos: message.qos,
    at: message.lastModified,
  };
  return `${JSON.stringify(line)}\n`;
}

function parseLine(text: string, readAt: number): RetainedMessage | undefined {
  try {
    const line = JSON.parse(text) as Partial<LogLine>;
    if (typeof line.topic !== 'string' || typeof line.payload !== 'string' || (line.qos !== 0 && line.qos !== 1)) return undefined;
    // A line from before the time was kept is at least as old as the log's reading.
    const lastModified = typeof line.at === 'number' && Number.isFinite(line.at) ? line.at : readAt;
    return { topic: line.topic, payload: Buffer.from(line.payload, 'base64'), qos: line.qos, lastModified };
  } catch {
    return undefined;
  }
}

function readLog(file: string): Map<string, RetainedMessage> {
  const messages = new Map<string, RetainedMessage>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return messages;
    throw error;
  }
  // Only complete lines: a kill in the middle of an append leaves a tail without its newline.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const readAt = Date.now();
  for (const line of complete.split('\n')) {
    const message = line === '' ? undefined : parseLine(line, readAt);
    if (!message) continue;
    if (message.payload.length === 0) messages.delete(message.topic);
    else messages.set(message.topic, message);
  }
  return messages;
}

function writeCompacted(file: string, messages: Iterable<RetainedMessage>): void {
  writeFileAtomically(file, Array.from(messages, encode).join(''), 0o600);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `file`.lock for this process, or throws if a live process holds it. Returns the lock's path. */
function lock(file: string): string {
  const lockFile = `${file}.lock`;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return lockFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner = Number.NaN;
    try {
      owner = Number.parseInt(readFileSync(lockFile, 'utf8'), 10);
    } catch (error) {
      // Released between our try and our look: try again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) throw new RetainedStoreBusyError(file, owner);
    // Left by a process that was killed (or torn while being written): the log is ours to take.
    try {
      unlinkSync(lockFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

export class RetainedStore {
  private constructor(
    private readonly messages: Map<string, RetainedMessage>,
    private fd: number | undefined,
    private lockFile: string | undefined,
  ) {}

  /** Opens (or creates) the store in `file`; without a file the store lives in memory only. */
  static open(file?: string): RetainedStore {
    if (file === undefined) return new RetainedStore(new Map(), undefined, undefined);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const lockFile = lock(file);
    try {
      const messages = readLog(file);
      writeCompacted(file, messages.values());
      return new RetainedStore(messages, openSync(file, 'a', 0o600), lockFile);
    } catch (error) {
      unlinkSync(lockFile);
      throw error;
    }
  }

  /** Keeps `message` as its topic's retained message (an empty payload deletes it), durably before returning. */
  put(message: RetainedMessage): void {
    if (this.fd !== undefined) {
      writeSync(this.fd, encode(message));
      fdatasyncSync(this.fd);
    }
    if (message.payload.length === 0) this.messages.delete(message.topic);
    else this.messages.set(message.topic, message);
  }

  get(topic: string): RetainedMessage | undefined {
    return this.messages.get(topic);
  }

  /** Every retained message kept, in no particular order. */
  all(): RetainedMessage[] {
    return [...this.messages.values()];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.lockFile !== undefined) unlinkSync(this.lockFile);
    this.lockFile = undefined;
  }
}
