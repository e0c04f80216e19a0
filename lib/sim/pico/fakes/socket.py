# Virtual Pico W: `socket` as lwIP offers it on the Pico W (extmod/modlwip.c): a resolver and a TCP
# socket whose bytes cross to the host (lib/sim/pico/wire.ts), to a scripted broker or a real one.
# Bytes cross as hex: this build's binascii does hex in C but base64 in Python. Only what the firmware's link needs is here: non-blocking connect (EINPROGRESS), setsockopt, and the
# stream methods and poll ioctl that ssl and select.poll use on a real socket.
import io
import binascii
import pico_host

AF_INET = 2
SOCK_STREAM = 1
SOCK_DGRAM = 2
SOL_SOCKET = 1
IPPROTO_TCP = 6
TCP_NODELAY = 1

_EINPROGRESS = 115
_ENOTCONN = 107
_STREAM_POLL = 3
_STREAM_CLOSE = 4


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    ip = pico_host.dns_resolve(host, port)
    if not ip:
        # lwIP's "host not found", as the Pico W reports it.
        raise OSError(-2)
    return [(AF_INET, SOCK_STREAM, 0, "", (ip, port))]


def raise_failure(handle):
    # The host's record of how a connection failed, raised as lwIP and mbedTLS raise it.
    code = pico_host.sock_error(handle)
    if code == 0:
        return
    text = pico_host.sock_error_text(handle)
    if text:
        raise ValueError(text)
    raise OSError(code)


class socket(io.IOBase):
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0):
        self.handle = pico_host.sock_open()
        self._blocking = True

    def setblocking(self, flag):
        self._blocking = bool(flag)

    def settimeout(self, seconds):
        self._blocking = seconds is None or seconds > 0

    def setsockopt(self, level, option, value):
        pico_host.sock_option(self.handle, level, option, 1 if value else 0)

    def connect(self, address):
        # The WebAssembly interpreter cannot wait for the host, so only the non-blocking connect that
        # the firmware uses is modelled: lwIP then answers EINPROGRESS and the handshake goes on later.
        pico_host.sock_connect(self.handle, address[0], address[1])
        if not self._blocking:
            raise OSError(_EINPROGRESS)

    def readinto(self, buf, size=-1):
        # This board speaks only TLS to its broker: the plain socket's bytes are ssl's business.
        raise OSError(_ENOTCONN)

    def write(self, data):
        raise OSError(_ENOTCONN)

    def ioctl(self, request, arg):
        if request == _STREAM_POLL:
            return pico_host.sock_poll(self.handle, arg)
        if request == _STREAM_CLOSE:
            self.close()
        return 0

    def close(self):
        pico_host.sock_close(self.handle)


def read_into(handle, buf):
    # readinto() of a non-blocking stream: None when nothing is waiting, 0 at the end, else a count.
    raise_failure(handle)
    data = pico_host.sock_read(handle, len(buf))
    if data is None:
        return None
    chunk = binascii.unhexlify(data)
    buf[0 : len(chunk)] = chunk
    return len(chunk)


def write_from(handle, data):
    # write() of a non-blocking stream: None while the socket (or the TLS handshake) cannot take it.
    raise_failure(handle)
    return pico_host.sock_write(handle, binascii.hexlify(data).decode())
