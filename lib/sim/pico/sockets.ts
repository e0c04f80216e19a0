import type { PicoClock } from './clock';
import { type BoardSocket, ERRNO, MBEDTLS, type RemoteEnd, type TlsFailure, type Wire, verifyErrorText } from './wire';

/** select.poll flags (extmod/modselect.c, MP_STREAM_POLL_*). */
const POLL_IN = 0x01;
const POLL_OUT = 0x04;
const POLL_ERR = 0x08;
const POLL_HUP = 0x10;

/** One `write()` the firmware made, as it crossed the socket. */
export interface SocketWrite {
  readonly at: number;
  readonly bytes: Buffer;
}

/** The host's half of one fake socket: the board's view of one connection. */
class HostSocket implements BoardSocket {
  ip = '';
  port = 0;
  noDelay = false;
  remote?: RemoteEnd;
  private inbound: Buffer[] = [];
  private isSecured = false;
  private ended = false;
  private failure?: TlsFailure;
  /** The firmware's last write found the handshake unfinished: mbedTLS then waits to read (poll_mask). */
  private waitingToWrite = false;
  cpuMs = 0;

  constructor(
    private readonly news: () => void,
    private readonly chargeCpuMs: number,
  ) {}

  secured(): void {
    this.isSecured = true;
    this.cpuMs = this.chargeCpuMs;
    this.news();
  }

  deliver(data: Buffer): void {
    if (data.length === 0 || this.failure) return;
    this.inbound.push(Buffer.from(data));
    this.news();
  }

  end(): void {
    this.ended = true;
    this.news();
  }

  fail(failure: TlsFailure): void {
    this.failure ??= failure;
    this.news();
  }

  /** 0, a positive errno, or a negative mbedTLS code (what OSError carries). */
  errorCode(): number {
    const failure = this.failure;
    if (!failure) return 0;
    if (failure.kind === 'errno') return failure.errno;
    return failure.kind === 'verify' ? MBEDTLS.X509_CERT_VERIFY_FAILED : failure.code;
  }

  /** The ValueError text of a verification failure, '' otherwise. */
  errorText(): string {
    return this.failure?.kind === 'verify' ? verifyErrorText(this.failure.reasons) : '';
  }

  /** Up to `max` bytes, '' at the end of the stream, null when nothing is waiting (EAGAIN). */
  read(max: number): Buffer | null {
    const next = this.inbound[0];
    if (!next) return this.ended ? Buffer.alloc(0) : null;
    if (next.length <= max) {
      this.inbound.shift();
      return next;
    }
    this.inbound[0] = next.subarray(max);
    return next.subarray(0, max);
  }

  /** The number of bytes taken, or null while the handshake is still going (EAGAIN). */
  write(bytes: Buffer): number | null {
    if (!this.isSecured || !this.remote) {
      this.waitingToWrite = true;
      return null;
    }
    this.waitingToWrite = false;
    this.remote.write(bytes);
    return bytes.length;
  }

  poll(requested: number): number {
    if (this.failure) return POLL_IN | POLL_ERR | POLL_HUP;
    let ready = 0;
    if (this.inbound.length > 0 || this.ended) ready |= POLL_IN;
    if (this.ended) ready |= POLL_HUP;
    // As modtls_mbedtls.c does: the direction the handshake needed is ready, so report the one asked for.
    if (this.isSecured && this.waitingToWrite) ready |= requested & (POLL_IN | POLL_OUT);
    if (this.isSecured) ready |= requested & POLL_OUT;
    return ready & (requested | POLL_ERR | POLL_HUP);
  }
}

/**
 * The board's sockets, by the handle the fake `socket` module holds. Every connection goes to the
 * `Wire`; each firmware `write()` is recorded, so tests can count writes per packet.
 */
export class BoardSockets {
  readonly writes: SocketWrite[] = [];
  private readonly open = new Map<number, HostSocket>();
  private nextHandle = 1;

  constructor(
    private readonly wire: Wire,
    private readonly clock: PicoClock,
    private readonly onNews: () => void,
    /** The handshake's CPU time on an RP2040, spent inside the firmware call that completes it. */
    private readonly handshakeCpuMs: () => number,
  ) {}

  private get(handle: number): HostSocket {
    const socket = this.open.get(handle);
    if (!socket) throw new Error(`virtual Pico W: no socket ${handle}`);
    return socket;
  }

  create(): number {
    const handle = this.nextHandle++;
    this.open.set(handle, new HostSocket(this.onNews, this.handshakeCpuMs()));
    return handle;
  }

  setOption(handle: number, level: number, option: number, value: number): void {
    // IPPROTO_TCP (6), TCP_NODELAY (1): the lwIP values on the Pico W.
    if (level === 6 && option === 1) this.get(handle).noDelay = value === 1;
  }

  connect(handle: number, ip: string, port: number): void {
    const socket = this.get(handle);
    socket.ip = ip;
    socket.port = port;
  }

  startTls(
    handle: number,
    tls: { caDer: Buffer; certDer: Buffer; keyDer: Buffer; serverHostname: string; verifyMode: number },
    boardTimeS: number,
  ): void {
    const socket = this.get(handle);
    if (!socket.port) {
      socket.fail({ kind: 'errno', errno: ERRNO.ENOTCONN });
      return;
    }
    socket.remote = this.wire.open({ ip: socket.ip, port: socket.port, tls, noDelay: socket.noDelay, boardTimeS }, socket);
  }

  errorCode(handle: number): number {
    return this.get(handle).errorCode();
  }

  errorText(handle: number): string {
    return this.get(handle).errorText();
  }

  read(handle: number, max: number): Buffer | null {
    return this.get(handle).read(max);
  }

  write(handle: number, bytes: Buffer): number | null {
    const written = this.get(handle).write(bytes);
    if (written !== null) this.writes.push({ at: this.clock.now(), bytes });
    return written;
  }

  poll(handle: number, requested: number): number {
    return this.get(handle).poll(requested);
  }

  takeCpuMs(handle: number): number {
    const socket = this.get(handle);
    const ms = socket.cpuMs;
    socket.cpuMs = 0;
    return ms;
  }

  close(handle: number): void {
    const socket = this.open.get(handle);
    if (!socket) return;
    this.open.delete(handle);
    socket.remote?.close();
  }

  /** The board lost power or reset: every connection drops without a goodbye. */
  closeAll(): void {
    for (const handle of [...this.open.keys()]) this.close(handle);
  }
}
