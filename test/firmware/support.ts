import { type PlamoConfig, type PlamoConfigInput, parseConfig } from '../../lib/config';
import { carTopics } from '../../lib/contract';
import { ScriptedBroker, type ScriptedBrokerOptions, VirtualClock, VirtualNetwork, VirtualPico } from '../../lib/sim/pico';
import { DEFAULT_CERT_FILES, renderFirmwareFiles } from '../../firmware/generate';

export const CAR = 'rps13';
export const HOST = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';

export const CONFIG_INPUT: PlamoConfigInput = {
  cars: {
    [CAR]: {
      wifi: { ssid: 'garage-2g', country: 'JP' },
      blinkPerMin: 85,
      lamps: {
        headlights: { pin: 'GP2', kind: 'pwm', currentMa: 10 },
        turnLeft: { pin: 'GP3', kind: 'blinker', currentMa: 6 },
        turnRight: { pin: 'GP4', kind: 'blinker', currentMa: 6 },
        brake: { pin: 'GP5', kind: 'pwm', currentMa: 8, tailLevel: 20 },
      },
      groups: { hazard: ['turnLeft', 'turnRight'] },
    },
  },
};

export const PINS = { headlights: 2, turnLeft: 3, turnRight: 4, brake: 5 } as const;

export function testConfig(overrides: (input: PlamoConfigInput) => void = () => {}): PlamoConfig {
  const input = structuredClone(CONFIG_INPUT);
  overrides(input);
  return parseConfig(input);
}

/** DER-shaped stand-ins of realistic size (an ASN.1 SEQUENCE header, then filler). */
function fakeDer(size: number, fill: number): Buffer {
  const body = Buffer.alloc(size - 4, fill);
  return Buffer.concat([Buffer.from([0x30, 0x82, (size - 4) >> 8, (size - 4) & 0xff]), body]);
}

export const CERTS = {
  [DEFAULT_CERT_FILES.certificate]: fakeDer(860, 0xc1),
  [DEFAULT_CERT_FILES.privateKey]: fakeDer(1192, 0x6b),
  [DEFAULT_CERT_FILES.rootCa]: fakeDer(837, 0xca),
};

export interface Bench {
  readonly pico: VirtualPico;
  readonly clock: VirtualClock;
  readonly broker: ScriptedBroker;
  readonly network: VirtualNetwork;
  readonly topics: ReturnType<typeof carTopics>;
  readonly config: PlamoConfig;
  readonly starvesWatchdog?: boolean;
}

export interface BenchOptions {
  readonly config?: PlamoConfig;
  readonly broker?: ScriptedBrokerOptions;
  readonly withCerts?: boolean;
  readonly setup?: (bench: Omit<Bench, 'pico'>) => void;
  readonly echo?: boolean;
  /** The scenario starves the watchdog on purpose (a handshake that hangs): skip the feed check. */
  readonly starvesWatchdog?: boolean;
}

const benches: Bench[] = [];

// Every scenario, whatever else it tests, must keep the RP2040 watchdog fed: no gap over 8,388 ms of
// device time on any board the test file created.
afterEach(() => {
  for (const b of benches) if (!b.starvesWatchdog) expect(b.pico.watchdog.longestGapMs).toBeLessThanOrEqual(WDT_MAX_MS);
  benches.length = 0;
});

/** A virtual Pico W with the generated firmware for the test car, not yet started. */
export async function bench(options: BenchOptions = {}): Promise<Bench> {
  const config = options.config ?? testConfig();
  const clock = new VirtualClock();
  const broker = new ScriptedBroker(clock, options.broker);
  const network = new VirtualNetwork(clock);
  const topics = carTopics(config.topicRoot, CAR);
  options.setup?.({ clock, broker, network, topics, config });
  const files = new Map<string, string | Uint8Array>(renderFirmwareFiles(config, CAR, { mqttHost: HOST, wifiPassword: 'pa"ss\\word' }));
  if (options.withCerts ?? true) for (const [path, der] of Object.entries(CERTS)) files.set(path, der);
  const pico = await VirtualPico.create({
    files,
    clock,
    wire: broker,
    network,
    output: options.echo ? (line) => console.log(line) : undefined,
  });
  const made = { pico, clock, broker, network, topics, config, starvesWatchdog: options.starvesWatchdog ?? false };
  benches.push(made);
  return made;
}

/** Starts the board and lets it run until it is online (or `ms` of device time pass). */
export async function boot(b: Bench, ms = 10_000): Promise<void> {
  b.pico.start();
  await b.clock.runFor(ms);
}

export function command(mode: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ mode, id: `cmd-${Math.random().toString(16).slice(2, 10)}`, ts: Date.UTC(2026, 5, 1), ...extra });
}

/** The RP2040 watchdog's longest possible timeout (datasheet 4.7). */
export const WDT_MAX_MS = 8388;

/** Rising edges of a pin, as device times. */
export function risingEdges(b: Bench, pin: number | string, from = 0, to = Number.POSITIVE_INFINITY): number[] {
  return b.pico.pins
    .changes(pin)
    .filter((change) => change.state.level === 1 && change.at >= from && change.at < to)
    .map((change) => change.at);
}

/** The status LED's flash groups (flashes separated by the long gap), e.g. [2, 2, 2] for code 2. */
export function ledGroups(b: Bench, from: number, to: number): number[] {
  const edges = risingEdges(b, 'LED', from, to);
  const groups: number[] = [];
  edges.forEach((at, i) => {
    if (i === 0 || at - edges[i - 1] > 1000) groups.push(0);
    groups[groups.length - 1]++;
  });
  return groups;
}

/** `events` the device published, parsed. */
export function events(b: Bench): { level: string; code: string; detail: string }[] {
  return b.broker.publishedOn(b.topics.events) as { level: string; code: string; detail: string }[];
}
