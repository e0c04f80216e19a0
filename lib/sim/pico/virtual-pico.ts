import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PicoClock } from './clock';
import { VirtualNetwork } from './network';
import { PinBank } from './pins';
import { BoardSockets } from './sockets';
import type { Wire } from './wire';

export interface VirtualPicoOptions {
  /** The device folder (renderFirmwareFiles() plus the certificate files), path → content. */
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly clock: PicoClock;
  /** Where the board's TLS sockets lead: a ScriptedBroker in tests, a TlsWire to the twin's broker. */
  readonly wire: Wire & { readonly handshakeCpuMs?: number };
  /** @default new VirtualNetwork(clock): an access point that lets the car join at once */
  readonly network?: VirtualNetwork;
  /**
   * The interpreter's first heap area. This build grows its heap on demand, so it is a starting size,
   * not a limit like the Pico W's ~170 KB.
   * @default 192 KiB
   */
  readonly heapBytes?: number;
  /** Receives each line the firmware prints. @default - dropped */
  readonly output?: (line: string) => void;
  /** Seed of the firmware's `random` (backoff jitter), for repeatable runs. @default 1 */
  readonly seed?: number;
}

export interface TraceEntry {
  readonly at: number;
  readonly kind: string;
  readonly detail: string;
}

/** How the firmware run ended, once it has (a reset is no end: the board boots again). */
export type PicoEnd = { readonly kind: 'returned' } | { readonly kind: 'error'; readonly type: string; readonly message: string };

interface MicroPython {
  FS: {
    mkdirTree?(path: string): void;
    mkdir(path: string): void;
    writeFile(path: string, data: string | Uint8Array): void;
    readFile(path: string, options: { encoding: 'utf8' }): string;
    analyzePath(path: string): { exists: boolean };
  };
  registerJsModule(name: string, module: object): void;
  runPython(code: string): unknown;
  runPythonAsync(code: string): Promise<unknown>;
  globals: { get(name: string): unknown };
  _module: { _mp_sched_keyboard_interrupt(): void };
}

interface PythonError {
  readonly type?: string;
  readonly message?: string;
}

const FAKES_DIR = join(__dirname, 'fakes');
/** The fakes standing in for C modules of the Pico W build (and the firmware's clock seam). */
const FAKE_LIBS = ['machine.py', 'network.py', 'ntptime.py', 'socket.py', 'ssl.py', 'pico_gc.py'];
/** Folder of the firmware seams, ahead of the board's root on sys.path. */
export const SEAM_DIR = 'pico_seams';
/** machine.PWRON_RESET and machine.WDT_RESET on rp2; machine.reset() reboots through the watchdog, so it reads as WDT_RESET too. */
const PWRON_RESET = 1;
const WDT_RESET = 3;
/** MicroPython on the RP2040 starts its RTC here until something sets it. */
const RTC_POWER_UP_S = Date.UTC(2021, 0, 1) / 1000;
/** The interpreter's ticks are 30 bits wide; JS integers crossing into Python must fit in 32. */
const TICKS_PERIOD = 2 ** 30;
/** A twin board runs for days: keep its trace and output bounded. */
const TRACE_LIMIT = 100_000;
const OUTPUT_LIMIT = 5_000;

/** Bytes cross the bridge as hex: this interpreter's binascii does hex in C (base64 is Python). */
function fromHex(text: string): Buffer {
  return Buffer.from(text, 'hex');
}

/**
 * A Raspberry Pi Pico W made of the MicroPython WebAssembly interpreter and fake hardware, running the
 * real firmware files. JavaScript sees its pins, watchdog, resets and a trace of every hardware step.
 *
 * One VirtualPico per JavaScript realm at a time: the interpreter package keeps its proxy tables on
 * globalThis, so run several cars in separate worker threads.
 */
export class VirtualPico {
  readonly pins: PinBank;
  readonly network: VirtualNetwork;
  readonly trace: TraceEntry[] = [];
  /** What the firmware printed, line by line (the latest OUTPUT_LIMIT lines). */
  readonly output: string[] = [];
  readonly sockets: BoardSockets;
  /** Resets so far, each followed by a boot: machine.reset() and watchdog resets alike. */
  resets = 0;
  /** Resets because the watchdog was starved. */
  watchdogResets = 0;
  private resetCause = PWRON_RESET;
  /** Set by powerCut(): the board stops at its next step and boots as from power-on. */
  private powerLost = false;
  private wdtTimeoutMs = 0;
  private lastFeed = 0;
  /** The longest time between two watchdog feeds so far (after the watchdog started), in device ms. */
  private longestGap = 0;
  private rtcOffsetS = RTC_POWER_UP_S;
  private country = '';
  private pm = 0;
  private ended?: PicoEnd;
  private endedAt?: number;
  private run?: Promise<void>;

  private constructor(
    private readonly mp: MicroPython,
    private readonly options: VirtualPicoOptions,
  ) {
    this.network = options.network ?? new VirtualNetwork(options.clock);
    this.pins = new PinBank(() => options.clock.now());
    this.sockets = new BoardSockets(
      options.wire,
      options.clock,
      () => options.clock.wake(),
      () => options.wire.handshakeCpuMs ?? 0,
    );
  }

  /** Loads the interpreter, writes the device folder and the fakes into its filesystem. */
  static async create(options: VirtualPicoOptions): Promise<VirtualPico> {
    const { loadMicroPython } = await import('@micropython/micropython-webassembly-pyscript');
    let pico: VirtualPico | undefined;
    const mp = (await loadMicroPython({
      heapsize: options.heapBytes ?? 192 * 1024,
      stdout: (line: string) => pico?.print(line),
      stderr: (line: string) => pico?.print(line),
    })) as MicroPython;
    pico = new VirtualPico(mp, options);
    pico.install();
    return pico;
  }

  private print(line: string): void {
    if (this.output.length >= OUTPUT_LIMIT) this.output.shift();
    this.output.push(line);
    this.options.output?.(line);
  }

  private write(path: string, content: string | Uint8Array): void {
    const parts = path.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      if (!this.mp.FS.analyzePath(dir).exists) this.mp.FS.mkdir(dir);
    }
    this.mp.FS.writeFile(`/${parts.join('/')}`, content);
  }

  private install(): void {
    for (const [path, content] of this.options.files) this.write(path, content);
    // The firmware's clock.py is the seam: the fake one reads the PicoClock instead of the interpreter's.
    // It sits in a folder searched before the board's root, so the root holds exactly the files a real
    // board holds (an update hashes and replaces them like on the car) and the fake still wins.
    this.write(`${SEAM_DIR}/clock.py`, readFileSync(join(FAKES_DIR, 'clock.py'), 'utf8'));
    for (const name of FAKE_LIBS) this.write(`lib/${name}`, readFileSync(join(FAKES_DIR, name), 'utf8'));
    this.mp.registerJsModule('pico_host', this.hostModule());
    this.mp.runPython(
      `import os, sys, random, pico_gc\nos.chdir("/")\nsys.path.insert(0, "/${SEAM_DIR}")\nsys.modules["gc"] = pico_gc\nrandom.seed(${this.options.seed ?? 1})\n_pico_boot_modules = set(sys.modules)`,
    );
  }

  /** Starts the firmware as the board does at power-up (app.main(); main.py's asyncio.run is not available here). */
  start(): void {
    if (this.run) throw new Error('this VirtualPico has already started');
    this.run = this.runBoots();
  }

  /** Runs the firmware; after each reset the board boots again, as a Pico W does. */
  private async runBoots(): Promise<void> {
    for (;;) {
      try {
        // As at power-up on the board: boot.py (when there is one), then main.py's app.main().
        const boot = this.mp.FS.analyzePath('/boot.py').exists ? 'import boot\n' : '';
        await this.mp.runPythonAsync(`${boot}import app\nawait app.main()`);
        return this.finish({ kind: 'returned' });
      } catch (caught) {
        const error = caught as PythonError;
        if (error.type !== '_Reset')
          return this.finish({ kind: 'error', type: error.type ?? 'Error', message: error.message ?? String(error) });
      }
      this.reboot();
    }
  }

  /** What a reset does to the board: sockets gone, lamps dark, watchdog stopped, every module loaded afresh. */
  private reboot(): void {
    this.resets++;
    this.resetCause = this.powerLost ? PWRON_RESET : WDT_RESET;
    this.powerLost = false;
    this.record('boot');
    this.sockets.closeAll();
    this.pins.powerDown();
    this.network.setActive(false);
    this.wdtTimeoutMs = 0;
    this.mp.runPython(
      'for _name in [n for n in sys.modules if n not in _pico_boot_modules]:\n    del sys.modules[_name]\npico_gc._gc.collect()',
    );
  }

  private finish(end: PicoEnd): void {
    this.ended = end;
    this.endedAt = this.options.clock.now();
    const clock = this.options.clock as { stopped?: () => void };
    clock.stopped?.();
  }

  /**
   * Pulls the power: the firmware stops at its next step (a wait, a watchdog feed) with whatever it had
   * written to flash so far, and the board boots again as from power-on.
   */
  powerCut(): void {
    this.powerLost = true;
    this.record('power.cut');
  }

  /** Ctrl-C on the USB console (Thonny's Stop): a KeyboardInterrupt at the firmware's next step. */
  interrupt(): void {
    this.mp._module._mp_sched_keyboard_interrupt();
  }

  /** Undefined while the firmware runs. */
  get end(): PicoEnd | undefined {
    return this.ended;
  }

  /** Runs Python in the board's interpreter between steps (the firmware is asleep then), returning its value. */
  eval(expression: string): unknown {
    this.mp.runPython(`_pico_value = (${expression})`);
    return this.mp.globals.get('_pico_value');
  }

  /** Bytes in use on the MicroPython heap after a full collection. */
  heapUsed(): number {
    this.mp.runPython('pico_gc._gc.collect()');
    return this.eval('pico_gc._gc.mem_alloc()') as number;
  }

  readFile(path: string): string | undefined {
    const full = `/${path}`;
    return this.mp.FS.analyzePath(full).exists ? this.mp.FS.readFile(full, { encoding: 'utf8' }) : undefined;
  }

  /** The watchdog as the RP2040 would see it: its timeout and the longest gap between feeds. */
  get watchdog(): { readonly timeoutMs: number; readonly longestGapMs: number } {
    // Once the firmware has ended (reset, Ctrl-C) the board is no longer this run's to judge.
    const until = this.endedAt ?? this.options.clock.now();
    const sinceLast = this.wdtTimeoutMs > 0 ? until - this.lastFeed : 0;
    return { timeoutMs: this.wdtTimeoutMs, longestGapMs: Math.max(this.longestGap, sinceLast) };
  }

  traced(kind: string): TraceEntry[] {
    return this.trace.filter((entry) => entry.kind === kind);
  }

  private record(kind: string, detail = ''): void {
    if (this.trace.length >= TRACE_LIMIT) this.trace.shift();
    this.trace.push({ at: this.options.clock.now(), kind, detail });
  }

  private rtcSeconds(): number {
    return Math.floor(this.rtcOffsetS + this.options.clock.now() / 1000);
  }

  private watchdogStarved(): boolean {
    return this.wdtTimeoutMs > 0 && this.options.clock.now() - this.lastFeed > this.wdtTimeoutMs;
  }

  /** A sleep never runs past the watchdog's deadline: the RP2040 resets at that moment. */
  private sleepWithinWatchdog(ms: number): number {
    if (this.wdtTimeoutMs === 0) return ms;
    const untilReset = this.lastFeed + this.wdtTimeoutMs + 1 - this.options.clock.now();
    return Math.max(0, Math.min(ms, untilReset));
  }

  /**
   * `pico_host`: plain functions taking and returning primitives only (JS objects kept in Python leak heap),
   * one per operation: where the real API reads or writes through one call (`WLAN.active()`, `config(pm=)`,
   * `network.country()`), the fakes call a getter or a setter. Bytes cross as hex (see fakes/socket.py).
   */
  private hostModule(): object {
    const { clock } = this.options;
    const sockets = this.sockets;
    const network = this.network;
    const pins = this.pins;
    return {
      now: () => clock.now() % TICKS_PERIOD,
      sleep: (ms: number) => clock.sleep(this.sleepWithinWatchdog(ms)),
      spend: (ms: number) => clock.spend(ms),
      rtc_s: () => this.rtcSeconds(),
      rtc_set: (year: number, month: number, day: number, hours: number, minutes: number, seconds: number) => {
        this.rtcOffsetS = Date.UTC(year, month - 1, day, hours, minutes, seconds) / 1000 - clock.now() / 1000;
        this.record('rtc.set', new Date(Date.UTC(year, month - 1, day, hours, minutes, seconds)).toISOString());
      },
      trace: (kind: string, detail: string) => this.record(kind, detail),
      pin_mode: (pin: string, mode: 'out' | 'pwm') => pins.setMode(pin, mode),
      pin_write: (pin: string, level: number) => pins.write(pin, level),
      pwm_freq: (pin: string, hz: number) => pins.setFreq(pin, hz),
      pwm_duty: (pin: string, duty: number, pulseNs: number) => pins.setDuty(pin, duty, pulseNs),
      wdt_start: (timeoutMs: number) => {
        this.wdtTimeoutMs = timeoutMs;
        this.lastFeed = clock.now();
        this.record('wdt.start', String(timeoutMs));
      },
      wdt_feed: () => {
        const now = clock.now();
        this.longestGap = Math.max(this.longestGap, now - this.lastFeed);
        this.lastFeed = now;
      },
      // The board stops at its next step when its watchdog ran out or its power was pulled.
      wdt_starved: () => {
        if (this.powerLost) return true;
        if (!this.watchdogStarved()) return false;
        this.watchdogResets++;
        this.record('wdt.reset');
        return true;
      },
      timer_start: (periodMs: number, periodic: number) => {
        this.record('timer.start', `${periodic ? 'periodic' : 'one-shot'} ${periodMs} ms`);
      },
      timer_stop: () => this.record('timer.stop'),
      machine_reset: () => this.record('machine.reset'),
      reset_cause: () => this.resetCause,
      unique_id: () => 'e6614c311b4a2a2f',
      wlan_country: () => this.country,
      wlan_set_country: (code: string) => {
        this.country = code;
        this.record('wlan.country', code);
      },
      wlan_is_active: () => network.isActive(),
      wlan_set_active: (on: boolean) => {
        network.setActive(Boolean(on));
        this.record('wlan.active', String(Boolean(on)));
      },
      wlan_pm: () => this.pm,
      wlan_set_pm: (pm: number) => {
        this.pm = pm;
        this.record('wlan.pm', `0x${pm.toString(16)}`);
      },
      wlan_connect: (ssid: string) => {
        // The key is deliberately not recorded: traces end up in test output.
        network.connect(ssid);
        this.record('wlan.connect', ssid);
      },
      wlan_disconnect: () => network.disconnect(),
      wlan_status: () => network.status(),
      wlan_rssi: () => network.rssi,
      wlan_ip: () => (network.status() === 3 ? network.ip : '0.0.0.0'),
      ntp_query: (_host: string, timeoutS: number) => {
        const errno = network.ntp(timeoutS);
        this.record(errno === 0 ? 'ntp.answer' : 'ntp.failed');
        return errno;
      },
      ntp_answer_s: () => network.ntpAnswerS(clock.trueTimeS()),
      dns_resolve: (host: string) => {
        const ip = network.resolve(host);
        this.record('dns', ip ? host : `${host} failed`);
        return ip;
      },
      sock_open: () => sockets.create(),
      sock_option: (handle: number, level: number, option: number, value: number) => sockets.setOption(handle, level, option, value),
      sock_connect: (handle: number, ip: string, port: number) => {
        this.record('tcp.connect', `${ip}:${port}`);
        sockets.connect(handle, ip, port);
      },
      // One handshake, with what the SSLContext loaded. (Split into one call per credential, the bridge kept
      // about 4 KB of the interpreter's heap for good, which would count against the firmware's budget.)
      tls_start: (handle: number, ca: string, cert: string, key: string, serverHostname: string, verifyMode: number) => {
        this.record('tls.handshake', serverHostname);
        const tls = { caDer: fromHex(ca), certDer: fromHex(cert), keyDer: fromHex(key), serverHostname, verifyMode };
        sockets.startTls(handle, tls, this.rtcSeconds());
      },
      tls_take_cpu_ms: (handle: number) => sockets.takeCpuMs(handle),
      sock_error: (handle: number) => sockets.errorCode(handle),
      sock_error_text: (handle: number) => sockets.errorText(handle),
      sock_read: (handle: number, max: number) => sockets.read(handle, max)?.toString('hex') ?? null,
      sock_write: (handle: number, data: string) => sockets.write(handle, fromHex(data)),
      sock_poll: (handle: number, requested: number) => sockets.poll(handle, requested),
      sock_close: (handle: number) => {
        this.record('tcp.close');
        sockets.close(handle);
      },
    };
  }
}
