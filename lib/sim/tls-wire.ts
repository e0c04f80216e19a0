import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import {
  type BoardSocket,
  ERRNO,
  MBEDTLS,
  type RemoteEnd,
  type TlsConnectRequest,
  type TlsFailure,
  VERIFY_REASONS,
  type Wire,
} from './pico/wire';

/** CONNACK, remaining length 2, no session, return code 0 (MQTT 3.1.1 section 3.2). */
const CONNACK_ACCEPTED = Buffer.from([0x20, 0x02, 0x00, 0x00]);
/** PUBLISH, QoS 1, retained: the first byte of the firmware's "online" status. */
const PUBLISH_QOS1_RETAINED = 0x33;
const PUBACK = 0x40;
const DISCONNECT = Buffer.from([0xe0, 0x00]);

/**
 * The virtual Pico W's TLS sockets in the local twin: each becomes a real TLS connection (Node's `tls`)
 * to the broker, made with the DER credentials the firmware loaded into its SSLContext. The firmware's
 * MQTT bytes pass through unchanged; Node's failures come back as mbedTLS's would.
 */
export class TlsWire implements Wire {
  private readonly sockets = new Set<TLSSocket>();

  /**
   * @param onSession called each time a session is fully up: the broker accepted it and acknowledged the
   * firmware's first QoS 1 publish (its retained "online" status, sent once subscribed). The twin waits for the first.
   */
  constructor(private readonly onSession: () => void = () => {}) {}

  open(request: TlsConnectRequest, board: BoardSocket): RemoteEnd {
    let options: ReturnType<typeof tlsOptions>;
    try {
      options = tlsOptions(request);
    } catch {
      // What mbedTLS says of DER bytes it cannot parse (modtls_mbedtls.c raises this from load_cert_chain).
      board.fail({ kind: 'mbedtls', code: MBEDTLS.X509_CERT_VERIFY_FAILED });
      return { write: () => {}, close: () => {} };
    }
    const socket = connect(options);
    socket.setNoDelay(request.noDelay);
    this.sockets.add(socket);
    let accepted = false;
    let firstPublishId: Buffer | undefined;
    let announced = false;
    let failed = false;
    const fail = (failure: TlsFailure) => {
      failed = true;
      board.fail(failure);
    };
    socket.once('secureConnect', () => board.secured());
    socket.on('data', (data: Buffer) => {
      if (!accepted && data.subarray(0, 4).equals(CONNACK_ACCEPTED)) accepted = true;
      if (firstPublishId && !announced && data.includes(Buffer.concat([Buffer.from([PUBACK, 0x02]), firstPublishId]))) {
        announced = true;
        this.onSession();
      }
      board.deliver(data);
    });
    socket.on('end', () => board.end());
    socket.on('error', (error: Error & { code?: string }) => fail(failureOf(error)));
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (!failed && !socket.readableEnded) fail({ kind: 'errno', errno: ERRNO.ECONNRESET });
    });
    return {
      write: (data) => {
        if (accepted && !firstPublishId && data[0] === PUBLISH_QOS1_RETAINED) firstPublishId = packetIdOfPublish(data);
        socket.write(data);
      },
      close: () => {
        socket.destroy();
      },
    };
  }

  /** Ends every connection, with an MQTT DISCONNECT first when `goodbye` (the car was switched off by its user). */
  closeAll(goodbye: boolean): void {
    for (const socket of this.sockets) {
      if (goodbye) socket.end(DISCONNECT);
      else socket.destroy();
    }
  }
}

/** The packet id of a QoS 1 PUBLISH packet: after the remaining length and the topic (MQTT 3.1.1 section 3.3). */
function packetIdOfPublish(packet: Buffer): Buffer {
  let at = 1;
  while (packet[at] & 0x80) at++;
  at++;
  const topicLength = packet.readUInt16BE(at);
  return packet.subarray(at + 2 + topicLength, at + 4 + topicLength);
}

/** Node's TLS error codes as the mbedTLS failure the real board would report. */
function failureOf(error: Error & { code?: string }): TlsFailure {
  switch (error.code) {
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'CERT_SIGNATURE_FAILURE':
      return { kind: 'verify', reasons: [VERIFY_REASONS.notTrusted] };
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { kind: 'verify', reasons: [VERIFY_REASONS.cnMismatch] };
    case 'CERT_NOT_YET_VALID':
      return { kind: 'verify', reasons: [VERIFY_REASONS.future] };
    case 'CERT_HAS_EXPIRED':
      return { kind: 'verify', reasons: [VERIFY_REASONS.expired] };
    case 'ECONNREFUSED':
      return { kind: 'errno', errno: ERRNO.ECONNREFUSED };
    case 'ETIMEDOUT':
      return { kind: 'errno', errno: ERRNO.ETIMEDOUT };
    default:
      // The server ended the handshake with an alert (e.g. it refused the client certificate).
      return error.code?.startsWith('ERR_SSL_')
        ? { kind: 'mbedtls', code: MBEDTLS.SSL_FATAL_ALERT_MESSAGE }
        : { kind: 'errno', errno: ERRNO.ECONNRESET };
  }
}

/** The key as the firmware holds it in DER: PKCS#8, SEC1 (EC) or PKCS#1 (RSA), whichever parses. */
function keyFromDer(der: Buffer): KeyObject {
  for (const type of ['pkcs8', 'sec1', 'pkcs1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new Error('the device key is not a DER private key');
}

function tlsOptions(request: TlsConnectRequest) {
  const { tls } = request;
  return {
    host: request.ip,
    port: request.port,
    ca: new X509Certificate(tls.caDer).toString(),
    cert: new X509Certificate(tls.certDer).toString(),
    key: keyFromDer(tls.keyDer).export({ format: 'pem', type: 'pkcs8' }) as string,
    // SNI carries host names only (RFC 6066 section 3); the certificate is still checked against the IP.
    ...(isIP(tls.serverHostname) === 0 ? { servername: tls.serverHostname } : {}),
    // mbedTLS checks the name the firmware gave as server_hostname, not the address it connected to.
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tls.serverHostname, cert),
    rejectUnauthorized: tls.verifyMode === 2,
  };
}
