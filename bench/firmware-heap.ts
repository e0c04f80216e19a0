import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CERT_FILES, renderFirmwareFiles } from '../firmware/generate';
import type { PlamoConfig } from '../lib/config';
import { carTopics, encodePayload, type LampCommand } from '../lib/contract';
import { ScriptedBroker, VirtualClock, VirtualPico } from '../lib/sim/pico';

/**
 * The firmware's MicroPython heap under the WebAssembly interpreter, driven through the virtual Pico W
 * harness on its virtual clock: in use after boot, growth over many handled commands, and what one
 * command allocates.
 *
 * Every time the firmware's sleep outlasts the virtual clock's window it awaits a JavaScript promise, and
 * each such await keeps a few dozen bytes of the interpreter's heap for good (measured: 16–35 B). A Pico W
 * has no JavaScript, so growth and allocation are measured against a control run with the same awaits
 * and no commands, and the commands are queued at once so that there is a single await.
 */

export interface FirmwareFigures {
  /** `gc.mem_alloc()` after a full collection, once the car is connected and subscribed. */
  readonly heapAfterBootBytes: number;
  /** Of it: the harness's Python fakes of `machine`, `network`, `ssl`, … (C modules on a Pico W). */
  readonly fakeModulesBytes: number;
  readonly messages: number;
  /**
   * In use after `messages` commands minus before (after a warm-up batch; full collections each), less
   * the control run.
   */
  readonly growthBytes: number;
  /** The same, without subtracting the control run. */
  readonly rawGrowthBytes: number;
  /** What the control run (same virtual time and awaits, no commands) kept. */
  readonly controlGrowthBytes: number;
  readonly allocatedPerMessageBytes: number;
}

export interface FirmwareBenchOptions {
  readonly config: PlamoConfig;
  readonly messages: number;
  /** Commands measured with the collector paused (they must not fill the heap meanwhile). */
  readonly sampledMessages: number;
  readonly progress: (line: string) => void;
}

/** Device time given per queued command: the firmware's poll period (`POLL_MS` in firmware/link.py). */
const MS_PER_COMMAND = 20;
/** Commands before the measured run: afterwards each lamp holds a command id where it held None since boot. */
const WARMUP_COMMANDS = 1_000;
const BOOT_DEADLINE_MS = 120_000;
const FAKES_DIR = join(__dirname, '..', 'lib', 'sim', 'pico', 'fakes');
/** Fakes with a counterpart on the real board that costs heap too: the firmware's own clock seam, and `gc`. */
const FAKES_WITH_REAL_COUNTERPART = new Set(['clock', 'pico_gc']);

function deviceFiles(config: PlamoConfig, carId: string): Map<string, string | Uint8Array> {
  // The scripted broker does no TLS: the certificate files only have to exist for the firmware's checks.
  const files = new Map<string, string | Uint8Array>(
    renderFirmwareFiles(config, carId, { mqttHost: 'bench.invalid', wifiPassword: 'bench' }),
  );
  for (const name of Object.values(DEFAULT_CERT_FILES)) files.set(name, randomBytes(600));
  return files;
}

interface Board {
  readonly pico: VirtualPico;
  readonly clock: VirtualClock;
  readonly broker: ScriptedBroker;
}

async function createBoard(config: PlamoConfig, carId: string): Promise<Board> {
  const clock = new VirtualClock();
  const broker = new ScriptedBroker(clock);
  const pico = await VirtualPico.create({ files: deviceFiles(config, carId), clock, mqtt: broker });
  return { pico, clock, broker };
}

async function boot(board: Board): Promise<void> {
  const { pico, clock, broker } = board;
  pico.start();
  while (!(broker.isConnected && broker.subscriptions.length > 0)) {
    if (pico.end)
      throw new Error(`the firmware stopped during boot: ${JSON.stringify(pico.end)}; last output: ${pico.output.slice(-5).join(' | ')}`);
    if (clock.now() > BOOT_DEADLINE_MS) throw new Error(`no MQTT subscription after ${BOOT_DEADLINE_MS / 1000} s of device time`);
    await clock.runFor(100);
  }
  // Let it publish its status and settle into the main loop.
  await clock.runFor(2_000);
}

/** Heap the Python fakes of the board's C modules take, imported into a fresh interpreter. */
async function fakeModulesBytes(config: PlamoConfig, carId: string): Promise<number> {
  const { pico } = await createBoard(config, carId);
  const before = pico.heapUsed();
  const fakes = readdirSync(FAKES_DIR)
    .filter((name) => name.endsWith('.py'))
    .map((name) => name.slice(0, -3))
    .filter((name) => !FAKES_WITH_REAL_COUNTERPART.has(name));
  for (const name of fakes) pico.eval(`__import__(${JSON.stringify(name)})`);
  return pico.heapUsed() - before;
}

interface Sent {
  readonly lamp: string;
  readonly id: string;
}

/** A stream of valid commands over every lamp and mode, the way the API sends them. */
function commandStream(config: PlamoConfig, carId: string): () => [string, string, Sent] {
  const topics = carTopics(config.topicRoot, carId);
  const lamps = Object.keys(config.cars[carId].lamps);
  const modes = ['on', 'off', 'blink', 'off'] as const;
  let i = 0;
  return () => {
    const lamp = lamps[i % lamps.length];
    const mode = modes[Math.floor(i / lamps.length) % modes.length];
    const command: LampCommand = { mode, id: randomUUID(), ts: Date.now() };
    if (mode === 'on') command.brightness = 40 + (i % 60);
    i++;
    return [topics.lampSet(lamp), encodePayload(command), { lamp, id: command.id }];
  };
}

type Stream = ReturnType<typeof commandStream>;

/** Queues `count` commands (none for a control run) and gives the firmware the device time to handle them. */
async function runBatch(board: Board, count: number, next?: Stream, sent?: Map<string, string>): Promise<void> {
  if (next) {
    for (let i = 0; i < count; i++) {
      const [topic, payload, { lamp, id }] = next();
      board.broker.send(topic, payload);
      sent?.set(lamp, id);
    }
  }
  await board.clock.runFor(count * MS_PER_COMMAND);
  if (board.pico.end) throw new Error(`the firmware stopped: ${JSON.stringify(board.pico.end)}`);
}

/**
 * Heap kept (after full collections) over `messages` commands queued at once, or over the same device
 * time without any: one await of the clock either way.
 */
async function heapKept(board: Board, messages: number, next?: Stream, sent?: Map<string, string>): Promise<number> {
  const before = board.pico.heapUsed();
  await runBatch(board, messages, next, sent);
  return board.pico.heapUsed() - before;
}

/** Bytes the heap grew by with the collector off (nothing is freed meanwhile). */
async function allocatedDuring(board: Board, run: () => Promise<void>): Promise<number> {
  board.pico.heapUsed();
  board.pico.eval('pico_gc._gc.disable()');
  try {
    const before = board.pico.eval('pico_gc._gc.mem_alloc()') as number;
    await run();
    return (board.pico.eval('pico_gc._gc.mem_alloc()') as number) - before;
  } finally {
    board.pico.eval('pico_gc._gc.enable()');
  }
}

/**
 * Every command was applied: nothing reported on `events` since `from` (an index into what the car
 * published), and each lamp's last state names its last command.
 */
function checkHandled(board: Board, config: PlamoConfig, carId: string, sent: Map<string, string>, from: number): void {
  const topics = carTopics(config.topicRoot, carId);
  const rejected = board.broker.published.slice(from).filter((record) => record.topic === topics.events);
  if (rejected.length > 0) throw new Error(`the firmware reported ${rejected.length} events, first: ${rejected[0].payload}`);
  for (const [lamp, id] of sent) {
    const states = board.broker.publishedOn(topics.lampState(lamp)) as { id: string | null }[];
    if (states.at(-1)?.id !== id) throw new Error(`${lamp}'s last state is not its last command`);
  }
}

export async function benchFirmwareHeap(options: FirmwareBenchOptions): Promise<FirmwareFigures> {
  const { config } = options;
  const carId = Object.keys(config.cars)[0];
  options.progress(`booting ${carId}'s firmware on the virtual Pico W…`);
  const board = await createBoard(config, carId);
  await boot(board);
  const heapAfterBootBytes = board.pico.heapUsed();

  options.progress(`${options.messages.toLocaleString('en-US')} commands after ${WARMUP_COMMANDS} to warm up, then a control run without…`);
  const next = commandStream(config, carId);
  const sent = new Map<string, string>();
  const publishedAtBoot = board.broker.published.length;
  await runBatch(board, WARMUP_COMMANDS, next, sent);
  const rawGrowthBytes = await heapKept(board, options.messages, next, sent);
  checkHandled(board, config, carId, sent, publishedAtBoot);
  const controlGrowthBytes = await heapKept(board, options.messages);

  const batch = options.sampledMessages;
  const busy = await allocatedDuring(board, () => runBatch(board, batch, next));
  const idle = await allocatedDuring(board, () => runBatch(board, batch));
  return {
    heapAfterBootBytes,
    fakeModulesBytes: await fakeModulesBytes(config, carId),
    messages: options.messages,
    growthBytes: rawGrowthBytes - controlGrowthBytes,
    rawGrowthBytes,
    controlGrowthBytes,
    allocatedPerMessageBytes: (busy - idle) / batch,
  };
}
