import { firmwareImportOrder } from '../../../firmware/generate';
import type { TestMessage } from './message-mix';
import type { VirtualPico } from './virtual-pico';

/**
 * Modules the firmware imports that a Pico W already has before the firmware's own files run: C modules
 * (`machine`, `network`, `ssl`, `socket`, `gc`, `json`, `random`, `time`, `os`, `io`, `binascii`), modules
 * frozen into the MicroPython image (`asyncio`, `ntptime`). The
 * harness gives Python stand-ins for several of them (lib/sim/pico/fakes); their heap is the harness's,
 * not the firmware's. `gc` is the harness's `pico_gc` under the board's name.
 */
export const BOARD_MODULES = [
  'machine',
  'network',
  'ssl',
  'socket',
  'ntptime',
  'gc',
  'select',
  'errno',
  'asyncio',
  'json',
  'random',
  'time',
  'os',
  'io',
  'binascii',
] as const;

/** Imports the board's modules into a board that has not started, so the heap they take is in place. */
export function importBoardModules(pico: VirtualPico): void {
  for (const name of BOARD_MODULES) pico.eval(`__import__(${JSON.stringify(name)})`);
}

export interface FirmwareHeap {
  /** `gc.mem_alloc()` after a full collection: the interpreter with the board's modules, nothing of the firmware. */
  readonly boardBytes: number;
  /** The same once the firmware has booted. */
  readonly afterBootBytes: number;
  /**
   * The budget's figure: `afterBootBytes - boardBytes`. The firmware's modules (bytecode, interned names,
   * globals), its objects and what the TLS context holds of the credentials it loaded.
   */
  readonly firmwareBytes: number;
  /**
   * Of it: the interned strings (qstrs: names and short literals) the firmware added, pools included, from
   * `micropython.qstr_info()`. Frozen modules keep theirs in flash.
   */
  readonly internedBytes: number;
}

/** The heap the interned-string pools take (`n_total_bytes` of `micropython.qstr_info()`). */
export function internedBytes(pico: VirtualPico): number {
  pico.eval('__import__("micropython").qstr_info()');
  const line = pico.output.at(-1) ?? '';
  const match = /n_total_bytes=(\d+)/.exec(line);
  if (!match) throw new Error(`micropython.qstr_info() printed no n_total_bytes: '${line}'`);
  return Number(match[1]);
}

/**
 * The firmware's own heap after boot: the same interpreter measured with the board's modules imported and
 * nothing of the firmware, then again after `boot` (which starts the board and runs it until it is online).
 */
export async function measureFirmwareHeap(pico: VirtualPico, boot: () => Promise<void>): Promise<FirmwareHeap> {
  importBoardModules(pico);
  const boardBytes = pico.heapUsed();
  const boardInterned = internedBytes(pico);
  await boot();
  const afterBootBytes = pico.heapUsed();
  return {
    boardBytes,
    afterBootBytes,
    firmwareBytes: afterBootBytes - boardBytes,
    internedBytes: internedBytes(pico) - boardInterned,
  };
}

/**
 * What importing each firmware module adds to the heap, on a board that has not started (board modules
 * first). Import time only: the objects the firmware makes at boot are in `measureFirmwareHeap`'s figure.
 */
export function firmwareModuleHeap(pico: VirtualPico): Map<string, number> {
  importBoardModules(pico);
  const sizes = new Map<string, number>();
  let before = pico.heapUsed();
  for (const name of firmwareImportOrder()) {
    pico.eval(`__import__(${JSON.stringify(name)})`);
    const after = pico.heapUsed();
    sizes.set(name, after - before);
    before = after;
  }
  return sizes;
}

/** What a board under measurement needs: the interpreter, its clock, and a way to hand it messages. */
export interface HeapBoard {
  readonly pico: VirtualPico;
  readonly clock: { runFor(ms: number): Promise<void> };
  readonly broker: { sendRaw(topic: Buffer, payload: Buffer): void };
}

/** Device time given per queued message: the firmware's poll period (`POLL_MS` in firmware/link.py). */
export const DEVICE_MS_PER_MESSAGE = 20;

/**
 * Queues `count` messages at once, then lets device time run for them in a single `runFor`. One run, not
 * one per message: each time the firmware's sleep reaches past the virtual clock it awaits a JavaScript
 * promise, and the interpreter's bridge keeps 16–35 B per such await for good (the twin's RealClock notes
 * it too). A Pico W has no JavaScript; this way every run pays that once, whatever its length.
 */
export async function runMessages(board: HeapBoard, next: (i: number) => TestMessage, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const { topic, payload } = next(i);
    board.broker.sendRaw(topic, payload);
  }
  await board.clock.runFor(count * DEVICE_MS_PER_MESSAGE + 1_000);
  if (board.pico.end) throw new Error(`the firmware stopped: ${JSON.stringify(board.pico.end)}`);
}

/**
 * The most a run may keep beyond a shorter run's figure and still count as no growth. Each run keeps 16 B
 * (its one await) and now and then a few hundred more: the collector scans the interpreter's stack
 * conservatively, so a stale word can keep a block alive at any moment. Measured over 41,000 messages in
 * runs of 0, 1,000 and 10,000: 16–544 B per run, in no relation to its length. A leak of one 16-byte
 * block per 140 messages would already keep over 1 KB more in 10,000 messages than in 1,000.
 */
export const GROWTH_NOISE_BYTES = 1024;

export interface HeapGrowth {
  readonly warmupMessages: number;
  /** Heap kept (full collections before and after) over a short and a long run of messages, in that order. */
  readonly runs: readonly { readonly messages: number; readonly keptBytes: number }[];
  /** (long run's kept − short run's kept) ÷ the difference in messages: what each message adds for good. */
  readonly perMessageBytes: number;
  /** The long run kept more than the short one plus GROWTH_NOISE_BYTES: growth that scales with the messages. */
  readonly proportional: boolean;
}

export interface GrowthOptions {
  /** Messages (of every kind) before measuring: first-time allocations such as interned strings are not growth. */
  readonly warmup: number;
  readonly short: number;
  readonly long: number;
}

/**
 * Heap growth of a booted board over a short and a long run of messages, after a warm-up and a wait past
 * the first keepalive ping and telemetry report (`settleMs` of device time).
 */
export async function measureGrowth(
  board: HeapBoard,
  next: (i: number) => TestMessage,
  options: GrowthOptions,
  settleMs = 65_000,
): Promise<HeapGrowth> {
  let sent = 0;
  // In small batches, so the warm-up meets the events rate limit both with tokens left and without.
  for (; sent < options.warmup; sent += 50) await runMessages(board, next, sent, Math.min(50, options.warmup - sent));
  await board.clock.runFor(settleMs);
  const runs = [];
  for (const messages of [options.short, options.long]) {
    const before = board.pico.heapUsed();
    await runMessages(board, next, sent, messages);
    sent += messages;
    runs.push({ messages, keptBytes: board.pico.heapUsed() - before });
  }
  const [short, long] = runs;
  const extra = long.keptBytes - short.keptBytes;
  return {
    warmupMessages: options.warmup,
    runs,
    perMessageBytes: extra / (long.messages - short.messages),
    proportional: extra > GROWTH_NOISE_BYTES,
  };
}
