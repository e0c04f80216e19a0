# Virtual Pico W: a look-alike of micropython-lib's umqtt.simple (1.6+): the same class, constructor,
# methods and errors, with the wire replaced by the host's MqttBackend (scripted in tests, a real broker
# in the twin). Payloads cross to JavaScript as hex so every byte survives and no JS object is kept.
import binascii
import socket
import pico_host


class MQTTException(Exception):
    pass


class _Socket:
    """What the client keeps in .sock once connected; close() ends the session with the backend."""

    def __init__(self):
        self._open = True

    def setblocking(self, flag):
        pass

    def settimeout(self, seconds):
        pass

    def close(self):
        if self._open:
            self._open = False
            pico_host.mqtt_close()


def _hex(data):
    if data is None:
        return ""
    if isinstance(data, str):
        data = data.encode()
    return binascii.hexlify(data).decode()


def _check(result):
    if result:
        raise OSError(result)


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=None):
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.pid = 0
        self.cb = None
        self.user = user
        self.pswd = password
        self.keepalive = keepalive
        self.lw_topic = None
        self.lw_msg = None
        self.lw_qos = 0
        self.lw_retain = False

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        assert 0 <= qos <= 2
        assert topic
        self.lw_topic = topic
        self.lw_msg = msg
        self.lw_qos = qos
        self.lw_retain = retain

    def connect(self, clean_session=True, timeout=None):
        socket.getaddrinfo(self.server, self.port)
        tls = self.ssl
        if tls:
            tls.wrap_socket(None, server_hostname=self.server)
        result = pico_host.mqtt_connect(
            self.client_id,
            self.server,
            self.port,
            self.keepalive,
            1 if clean_session else 0,
            _hex(self.lw_topic),
            _hex(self.lw_msg),
            self.lw_qos,
            1 if self.lw_retain else 0,
            _hex(tls.cadata) if tls else "",
            _hex(tls.cert) if tls else "",
            _hex(tls.key) if tls else "",
            self.server if tls else "",
            self.user or "",
            self.pswd or "",
            timeout or 0,
        )
        # Negative: a socket error (errno); positive: the broker's CONNACK refusal code.
        if result < 0:
            raise OSError(-result)
        if result > 0:
            raise MQTTException(result)
        self.sock = _Socket()
        return 0

    def disconnect(self):
        _check(pico_host.mqtt_disconnect())
        self.sock.close()

    def ping(self):
        _check(pico_host.mqtt_ping())

    def publish(self, topic, msg, retain=False, qos=0):
        assert qos in (0, 1)
        _check(pico_host.mqtt_publish(_hex(topic), _hex(msg), qos, 1 if retain else 0))

    def subscribe(self, topic, qos=0):
        assert self.cb is not None, "Subscribe callback is not set"
        result = pico_host.mqtt_subscribe(_hex(topic), qos)
        if result == 0x80:
            raise MQTTException(result)
        _check(result)

    def wait_msg(self):
        # The real one blocks until the broker speaks; the host records the call so tests can prove the
        # firmware never makes it.
        pico_host.trace("mqtt.wait_msg", "")
        return self._receive()

    def check_msg(self):
        return self._receive()

    def _receive(self):
        topic = pico_host.mqtt_poll()
        if topic is None:
            return None
        if type(topic) is int:
            raise OSError(topic)
        msg = binascii.unhexlify(pico_host.mqtt_payload())
        self.cb(binascii.unhexlify(topic), msg)
        return 0x30
