import type { PicoClock } from './clock';
import { ERRNO } from './wire';

/** How one `wlan.connect()` ends. */
export type JoinOutcome = 'ok' | 'bad-password' | 'no-ap' | 'fail' | 'timeout' | 'no-ip';

/** CYW43 link status values, as `wlan.status()` returns them on a Pico W (cyw43.h, CYW43_LINK_*). */
export const LINK = { down: 0, join: 1, noIp: 2, up: 3, fail: -1, noNet: -2, badAuth: -3 } as const;

const OUTCOME_LINK: Record<JoinOutcome, number> = {
  ok: LINK.up,
  'bad-password': LINK.badAuth,
  'no-ap': LINK.noNet,
  fail: LINK.fail,
  timeout: LINK.join,
  'no-ip': LINK.noIp,
};

export interface VirtualNetworkOptions {
  /** Device time from `wlan.connect()` to the final status. @default 1500 */
  readonly joinMs?: number;
  /** Device time the CYW43 needs after `active(True)` before it reports active. @default 300 */
  readonly chipStartMs?: number;
  /** The address DHCP hands out. @default '192.168.4.23' */
  readonly ip?: string;
  /** What DNS answers for the broker. @default '127.0.0.1' */
  readonly brokerIp?: string;
}

/**
 * The radio world around the virtual Pico W: the access point, DHCP, DNS and NTP. Scripts are queues
 * consumed in order (one join outcome per `wlan.connect()`, one NTP failure per query, …).
 */
export class VirtualNetwork {
  /** Outcome of the next joins, in order; when empty, joins succeed (unless the AP is gone). */
  readonly joinScript: JoinOutcome[] = [];
  /** How many of the next NTP queries get no answer. */
  ntpFailures = 0;
  /** How many of the next NTP answers are cut short (under 48 bytes): micropython-lib's ntptime then raises ValueError. */
  ntpShortReplies = 0;
  /** What the next NTP answers say, Unix seconds, in order (a broken server says 0); then the true time. */
  readonly ntpAnswers: number[] = [];
  /** How many of the next DNS lookups fail. */
  dnsFailures = 0;
  apPresent = true;
  rssi = -58;
  readonly joins: { readonly at: number; readonly ssid: string; readonly outcome: JoinOutcome }[] = [];
  readonly ntpQueries: { readonly at: number; readonly ok: boolean }[] = [];
  readonly dnsQueries: { readonly at: number; readonly host: string; readonly ok: boolean }[] = [];
  private activeSince?: number;
  private joinStarted?: number;
  private joinOutcome: JoinOutcome = 'ok';
  private linkLost = false;
  private readonly joinMs: number;
  private readonly chipStartMs: number;
  readonly ip: string;
  private readonly brokerIp: string;

  constructor(
    private readonly clock: PicoClock,
    options: VirtualNetworkOptions = {},
  ) {
    this.joinMs = options.joinMs ?? 1500;
    this.chipStartMs = options.chipStartMs ?? 300;
    this.ip = options.ip ?? '192.168.4.23';
    this.brokerIp = options.brokerIp ?? '127.0.0.1';
  }

  /** The access point disappears: the link goes down and joins find no network until `restoreAp()`. */
  loseAp(): void {
    this.apPresent = false;
    if (this.joinStarted !== undefined) this.linkLost = true;
  }

  restoreAp(): void {
    this.apPresent = true;
  }

  setActive(on: boolean): void {
    this.activeSince = on ? (this.activeSince ?? this.clock.now()) : undefined;
    if (!on) this.joinStarted = undefined;
  }

  isActive(): boolean {
    return this.activeSince !== undefined && this.clock.now() - this.activeSince >= this.chipStartMs;
  }

  connect(ssid: string): void {
    const scripted = this.joinScript.shift() ?? 'ok';
    this.joinOutcome = this.apPresent ? scripted : 'no-ap';
    this.joinStarted = this.clock.now();
    this.linkLost = false;
    this.joins.push({ at: this.clock.now(), ssid, outcome: this.joinOutcome });
  }

  disconnect(): void {
    this.joinStarted = undefined;
  }

  status(): number {
    if (this.joinStarted === undefined || !this.isActive()) return LINK.down;
    if (this.linkLost) return LINK.noNet;
    if (this.clock.now() - this.joinStarted < this.joinMs) return LINK.join;
    return OUTCOME_LINK[this.joinOutcome];
  }

  /** One NTP query taking `timeoutS` on failure; returns the errno, 0 when answered, -1 for a short answer. */
  ntp(timeoutS: number): number {
    if (this.status() === LINK.up && this.ntpShortReplies > 0) {
      this.ntpShortReplies--;
      this.ntpQueries.push({ at: this.clock.now(), ok: false });
      this.clock.spend(40);
      return -1;
    }
    const ok = this.status() === LINK.up && this.ntpFailures === 0;
    if (!ok && this.ntpFailures > 0) this.ntpFailures--;
    this.ntpQueries.push({ at: this.clock.now(), ok });
    this.clock.spend(ok ? 40 : timeoutS * 1000);
    return ok ? 0 : ERRNO.ETIMEDOUT;
  }

  /** The time the answered query gave. */
  ntpAnswerS(trueTimeS: number): number {
    return this.ntpAnswers.shift() ?? trueTimeS;
  }

  resolve(host: string): string {
    const ok = this.status() === LINK.up && this.dnsFailures === 0;
    if (!ok && this.dnsFailures > 0) this.dnsFailures--;
    this.dnsQueries.push({ at: this.clock.now(), host, ok });
    return ok ? this.brokerIp : '';
  }
}
