import { randomBytes } from 'node:crypto';
import { DEFAULT_CERT_FILES, renderFirmwareFiles } from '../firmware/generate';
import type { PlamoConfig } from '../lib/config';
import { carTopics } from '../lib/contract';
import {
  DEVICE_MS_PER_MESSAGE,
  firmwareModuleHeap,
  type HeapGrowth,
  measureFirmwareHeap,
  measureGrowth,
  mixedMessage,
  runMessages,
  ScriptedBroker,
  type TestMessage,
  VirtualClock,
  VirtualPico,
} from '../lib/sim/pico';

/**
 * The firmware's MicroPython heap under the WebAssembly interpreter, driven through the virtual Pico W
 * harness on its virtual clock, with the helpers the firmware tests use (lib/sim/pico/heap.ts): its own
 * heap after boot, what each module takes, growth over many messages of every kind, and what one message
 * allocates.
 */

export interface FirmwareFigures {
  /** `gc.mem_alloc()` after a full collection: the interpreter with the board's modules, nothing of the firmware. */
  readonly boardBytes: number;
  /** The same once the car is connected and subscribed. */
  readonly afterBootBytes: number;
  /** The budget's figure: afterBootBytes − boardBytes. */
  readonly firmwareBytes: number;
  /** Of it: the interned strings the firmware added (qstr pools). */
  readonly internedBytes: number;
  /** Of it: the DER certificate, key and root CA the TLS context holds (mbedTLS keeps its copy on the same heap). */
  readonly credentialsBytes: number;
  /** What importing each firmware module adds, in import order. */
  readonly modules: Readonly<Record<string, number>>;
  readonly growth: HeapGrowth;
  /** Allocated per message of the mix with the collector paused, less the same device time without messages. */
  readonly allocatedPerMessageBytes: number;
}

export interface FirmwareBenchOptions {
  readonly config: PlamoConfig;
  /** The long run of the growth measurement. */
  readonly messages: number;
  /** Messages measured with the collector paused (they must not fill the heap meanwhile). */
  readonly sampledMessages: number;
  readonly progress: (line: string) => void;
}

const WARMUP_MESSAGES = 500;
/** The short run is a tenth of the long one (1,000 for the budget's 10,000). */
const SHORT_RUN_SHARE = 10;
const BOOT_DEADLINE_MS = 120_000;
/** Sizes of a real AWS IoT device certificate (RSA 2048), its key and Amazon Root CA 1, in DER. */
const CREDENTIAL_SIZES = new Map([
  [DEFAULT_CERT_FILES.certificate, 860],
  [DEFAULT_CERT_FILES.privateKey, 1192],
  [DEFAULT_CERT_FILES.rootCa, 837],
]);

function deviceFiles(config: PlamoConfig, carId: string): Map<string, string | Uint8Array> {
  // The scripted broker does no TLS: the certificate files only have to exist for the firmware's checks.
  const files = new Map<string, string | Uint8Array>(
    renderFirmwareFiles(config, carId, { mqttHost: 'bench.invalid', wifiPassword: 'bench' }),
  );
  for (const [name, size] of CREDENTIAL_SIZES) files.set(name, randomBytes(size));
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
  const pico = await VirtualPico.create({ files: deviceFiles(config, carId), clock, wire: broker });
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

/** Every valid command of the first `count` messages was applied: each lamp's last state names its last command. */
function checkHandled(board: Board, topics: ReturnType<typeof carTopics>, next: (i: number) => TestMessage, count: number): void {
  const last = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const applies = next(i).applies;
    if (applies) last.set(applies.lamp, applies.id);
  }
  for (const [lamp, id] of last) {
    const states = board.broker.publishedOn(topics.lampState(lamp)) as { id: string | null }[];
    if (states.at(-1)?.id !== id) throw new Error(`${lamp}'s last state is not its last command`);
  }
}

export async function benchFirmwareHeap(options: FirmwareBenchOptions): Promise<FirmwareFigures> {
  const { config } = options;
  const carId = Object.keys(config.cars)[0];
  const topics = carTopics(config.topicRoot, carId);
  const lamps = Object.keys(config.cars[carId].lamps);
  const next = (i: number) => mixedMessage(topics.lampSet, lamps, i);

  options.progress(`${carId}'s firmware modules, one by one, on a board that has not started…`);
  const modules = Object.fromEntries(firmwareModuleHeap((await createBoard(config, carId)).pico));

  options.progress(`booting ${carId}'s firmware on the virtual Pico W…`);
  const board = await createBoard(config, carId);
  const heap = await measureFirmwareHeap(board.pico, () => boot(board));

  const long = options.messages;
  const short = Math.max(1, Math.floor(long / SHORT_RUN_SHARE));
  options.progress(
    `${WARMUP_MESSAGES} messages to warm up, then runs of ${short.toLocaleString('en-US')} and ${long.toLocaleString('en-US')}…`,
  );
  const growth = await measureGrowth(board, next, { warmup: WARMUP_MESSAGES, short, long });
  const sent = WARMUP_MESSAGES + short + long;
  checkHandled(board, topics, next, sent);

  const batch = options.sampledMessages;
  const busy = await allocatedDuring(board, () => runMessages(board, next, sent, batch));
  // The same device time in one run, without messages: blinking, pings and the harness's await.
  const idle = await allocatedDuring(board, () => board.clock.runFor(batch * DEVICE_MS_PER_MESSAGE + 1_000));
  const credentialsBytes = [...CREDENTIAL_SIZES.values()].reduce((sum, size) => sum + size, 0);
  return { ...heap, credentialsBytes, modules, growth, allocatedPerMessageBytes: (busy - idle) / batch };
}
