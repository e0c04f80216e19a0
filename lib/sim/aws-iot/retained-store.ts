import { closeSync, fdatasyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../../files/atomic-write';

/**
 * The twin's retained messages, kept on disk as AWS IoT Core keeps them across anything short of deletion
 * (AWS IoT developer guide, "MQTT retained messages").
 *
 * An append-only log of JSON lines: `put` writes and fdatasyncs one line before it returns, so whatever the
 * broker acknowledged afterwards is on disk even if the process is killed the next instant. A line cut short by
 * a kill is simply not a line: the log is read line by line up to the last newline. Opening rewrites the log
 * as one line per topic (written to a temporary file, synced, then renamed over the log), so it stays as small
 * as what it holds.
 */

export interface RetainedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
}

interface LogLine {
  readonly topic: string;
  /** base64; empty deletes the topic's retained message (MQTT 3.1.1 section 3.3.1.3). */
  readonly payload: string;
  readonly qos: 0 | 1;
}

function encode(message: RetainedMessage): string {
  const line: LogLine = { topic: message.topic, payload: message.payload.toString('base64'), qos: message.qos };
  return `${JSON.stringify(line)}\n`;
}

function parseLine(text: string): RetainedMessage | undefined {
  try {
    const line = JSON.parse(text) as Partial<LogLine>;
    if (typeof line.topic !== 'string' || typeof line.payload !== 'string' || (line.qos !== 0 && line.qos !== 1)) return undefined;
    return { topic: line.topic, payload: Buffer.from(line.payload, 'base64'), qos: line.qos };
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
  for (const line of complete.split('\n')) {
    const message = line === '' ? undefined : parseLine(line);
    if (!message) continue;
    if (message.payload.length === 0) messages.delete(message.topic);
    else messages.set(message.topic, message);
  }
  return messages;
}

function writeCompacted(file: string, messages: Iterable<RetainedMessage>): void {
  writeFileAtomically(file, Array.from(messages, encode).join(''), 0o600);
}

export class RetainedStore {
  private constructor(
    private readonly messages: Map<string, RetainedMessage>,
    private fd: number | undefined,
  ) {}

  /** Opens (or creates) the store in `file`; without a file the store lives in memory only. */
  static open(file?: string): RetainedStore {
    if (file === undefined) return new RetainedStore(new Map(), undefined);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const messages = readLog(file);
    writeCompacted(file, messages.values());
    return new RetainedStore(messages, openSync(file, 'a', 0o600));
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

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
