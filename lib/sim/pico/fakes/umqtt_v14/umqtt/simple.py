# Virtual Pico W: the shape of umqtt.simple 1.4 and 1.5: it takes an SSLContext, but connect() has no
# timeout yet. It passes the start-up check and fails at the first connect, like the real one.
class MQTTException(Exception):
    pass


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=None):
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.keepalive = keepalive
        self.cb = None

    def set_callback(self, f):
        self.cb = f

    def set_last_will(self, topic, msg, retain=False, qos=0):
        self.lw_topic = topic

    def connect(self, clean_session=True):
        raise OSError(-1)
