# Virtual Pico W: `ssl` with MicroPython's SSLContext API. It keeps the credentials the firmware loads
# (the host hands them to the MqttBackend) and fails the handshake the way mbedTLS does when the board's
# clock is before the certificate's validity or when the server certificate is not checked.
import time
import pico_host

PROTOCOL_TLS_CLIENT = 0
PROTOCOL_TLS_SERVER = 1
CERT_NONE = 0
CERT_OPTIONAL = 1
CERT_REQUIRED = 2

_CERT_VERIFY_FAILED = -9984  # MBEDTLS_ERR_X509_CERT_VERIFY_FAILED (-0x2700)
_TLS_MIN_YEAR = 2025


class SSLContext:
    def __init__(self, protocol):
        if protocol not in (PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER):
            raise ValueError("protocol")
        self.protocol = protocol
        self.verify_mode = CERT_REQUIRED if protocol == PROTOCOL_TLS_CLIENT else CERT_NONE
        self.cadata = None
        self.cert = None
        self.key = None

    def load_verify_locations(self, cafile=None, cadata=None):
        if cafile is not None:
            with open(cafile, "rb") as file:
                cadata = file.read()
        self.cadata = bytes(cadata)

    def load_cert_chain(self, certfile, keyfile):
        self.cert = bytes(certfile)
        self.key = bytes(keyfile)

    def wrap_socket(self, sock, server_side=False, do_handshake_on_connect=True, server_hostname=None):
        pico_host.trace("tls.handshake", server_hostname or "")
        if self.verify_mode == CERT_REQUIRED and time.gmtime(pico_host.rtc_s())[0] < _TLS_MIN_YEAR:
            raise OSError(_CERT_VERIFY_FAILED)
        if self.verify_mode == CERT_REQUIRED and not self.cadata:
            raise OSError(_CERT_VERIFY_FAILED)
        return sock
