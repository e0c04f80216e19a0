/**
 * What the virtual Pico W's TLS sockets reach. The firmware's own MQTT bytes cross the fake `socket`/`ssl`
 * modules unchanged; at the far end a `Wire` either models the TLS session and speaks MQTT itself
 * (ScriptedBroker) or makes a real TLS connection with the credentials the firmware loaded (TlsWire).
 */

/** The DER bytes the firmware loaded into its SSLContext, the SNI name it asked for and its verify mode. */
export interface TlsCredentials {
  readonly caDer: Buffer;
  readonly certDer: Buffer;
  readonly keyDer: Buffer;
  readonly serverHostname: string;
  /** ssl.CERT_NONE 0, CERT_OPTIONAL 1, CERT_REQUIRED 2. */
  readonly verifyMode: number;
}

export interface TlsConnectRequest {
  /** The address the firmware connected its socket to (what DNS answered). */
  readonly ip: string;
  readonly port: number;
  readonly tls: TlsCredentials;
  /** Whether the firmware turned Nagle's algorithm off on the socket. */
  readonly noDelay: boolean;
  /** The board's RTC when the handshake starts, Unix seconds: mbedTLS checks certificate dates against it. */
  readonly boardTimeS: number;
}

/** How a connection failed, as the firmware sees it: the real `ssl` raises ValueError(text) or OSError(code). */
export type TlsFailure =
  /** A socket error (lwIP errno, positive), e.g. ECONNREFUSED, ECONNRESET, ENOMEM. */
  | { readonly kind: 'errno'; readonly errno: number }
  /** Certificate verification failed: mbedTLS's `mbedtls_x509_crt_verify_info` lines. */
  | { readonly kind: 'verify'; readonly reasons: readonly string[] }
  /** Another mbedTLS error: its (negative) code. */
  | { readonly kind: 'mbedtls'; readonly code: number };

/** The board's end of one connection: what the far end calls. */
export interface BoardSocket {
  /** The handshake finished: the firmware's writes now go through. */
  secured(): void;
  /** Bytes for the firmware to read. */
  deliver(data: Buffer): void;
  /** The far end closed the connection in order (the firmware reads end of stream). */
  end(): void;
  fail(failure: TlsFailure): void;
}

/** The far end of one connection, as the board's socket drives it. */
export interface RemoteEnd {
  /** One `write()` of the firmware, in plaintext (the TLS records are the far end's business). */
  write(data: Buffer): void;
  /** The firmware closed its socket. */
  close(): void;
}

export interface Wire {
  open(request: TlsConnectRequest, board: BoardSocket): RemoteEnd;
}

/** lwIP errno values as the Pico W reports them. */
export const ERRNO = { ENOMEM: 12, ECONNRESET: 104, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111, EINPROGRESS: 115 } as const;

/** mbedTLS codes the firmware can meet (mbedtls/ssl.h, x509.h). */
export const MBEDTLS = {
  X509_CERT_VERIFY_FAILED: -0x2700,
  SSL_FATAL_ALERT_MESSAGE: -0x7780,
  SSL_ALLOC_FAILED: -0x7f00,
} as const;

/** `mbedtls_x509_crt_verify_info` texts (mbedtls/library/x509_crt.c, X509_CRT_ERROR_INFO_LIST). */
export const VERIFY_REASONS = {
  notTrusted: 'The certificate is not correctly signed by the trusted CA',
  cnMismatch: 'The certificate Common Name (CN) does not match with the expected CN',
  future: 'The certificate validity starts in the future',
  expired: 'The certificate validity has expired',
} as const;

/**
 * The text of the ValueError MicroPython raises for a verification failure: modtls_mbedtls.c calls
 * `mbedtls_x509_crt_verify_info(buf, size, "\n", flags)`, which writes each reason as prefix + text + "\n".
 */
export function verifyErrorText(reasons: readonly string[]): string {
  return reasons.map((reason) => `\n${reason}\n`).join('');
}
