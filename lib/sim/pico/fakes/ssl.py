# Virtual Pico W: `ssl` with MicroPython's mbedTLS API (extmod/modtls_mbedtls.c). The context keeps
# the DER credentials the firmware loads; wrap_socket() hands them to the host, whose far end (scripted
# broker, or Node's TLS to the twin's broker) does or models the handshake. Failures come back as the
# real module raises them: ValueError with mbedTLS's verification text, OSError(ENOMEM) when mbedTLS
# cannot allocate, OSError with the negative mbedTLS code or the socket's errno otherwise.
# Like the real SSLSocket, this one has no settimeout().
import io
import binascii
import machine
import pico_host
import socket as _socket

PROTOCOL_TLS_CLIENT = 0
PROTOCOL_TLS_SERVER = 1
CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2

_STREAM_POLL = 3
_STREAM_CLOSE = 4
_POLL_NVAL = 0x20


def _hex(data):
    return binascii.hexlify(data).decode()


class SSLContext:
    def __init__(self, protocol):
        if protocol not in (PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER):
            raise ValueError("protocol")
        self.protocol = protocol
        self.verify_mode = CERT_REQUIRED if protocol == PROTOCOL_TLS_CLIENT else CERT_NONE
        self._cadata = None
        self._cert = None
        self._key = None

    def load_verify_locations(self, cadata):
        self._cadata = bytes(cadata)

    def load_cert_chain(self, certfile, keyfile):
        self._cert = bytes(certfile)
        self._key = bytes(keyfile)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True, server_hostname=None):
        if self.verify_mode == CERT_REQUIRED and server_hostname is None:
            raise ValueError("CERT_REQUIRED requires server_hostname")
        if do_handshake_on_connect:
            # The real one loops on the handshake here; the WebAssembly interpreter cannot wait for
            # the host, so only the handshake driven by reads and writes is modelled.
            raise NotImplementedError("virtual Pico W: use do_handshake_on_connect=False")
        pico_host.tls_start(
            sock.handle,
            _hex(self._cadata or b""),
            _hex(self._cert or b""),
            _hex(self._key or b""),
            server_hostname or "",
            self.verify_mode,
        )
        return SSLSocket(sock.handle)


class SSLSocket(io.IOBase):
    def __init__(self, handle):
        self._handle = handle
        self._open = True

    def _spend_handshake_cpu(self):
        # The RSA and ECDH work of the handshake, done inside this one call as on the RP2040.
        ms = pico_host.tls_take_cpu_ms(self._handle)
        if ms:
            machine.block_ms(ms)

    def readinto(self, buf, size=-1):
        if not self._open:
            raise OSError(9)
        count = _socket.read_into(self._handle, buf)
        self._spend_handshake_cpu()
        return count

    def read(self, size=-1):
        buf = bytearray(size if size > 0 else 1024)
        count = self.readinto(buf)
        return None if count is None else bytes(buf[:count])

    def write(self, data):
        if not self._open:
            raise OSError(9)
        written = _socket.write_from(self._handle, data)
        self._spend_handshake_cpu()
        return written

    def setblocking(self, flag):
        pass

    def ioctl(self, request, arg):
        if request == _STREAM_POLL:
            if not self._open:
                return _POLL_NVAL
            return pico_host.sock_poll(self._handle, arg)
        if request == _STREAM_CLOSE:
            self.close()
        return 0

    def close(self):
        if self._open:
            self._open = False
            pico_host.sock_close(self._handle)
