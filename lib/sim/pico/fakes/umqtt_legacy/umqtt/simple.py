# Virtual Pico W: the shape of umqtt.simple before 1.4 (still on many boards): ssl=True plus
# ssl_params, no SSLContext, no connect timeout. It never gets far enough to reach the network, so it
# only has to look right to the firmware's start-up check.
class MQTTException(Exception):
    pass


class MQTTClient:
    def __init__(self, client_id, server, port=0, user=None, password=None, keepalive=0, ssl=False, ssl_params={}):
        if port == 0:
            port = 8883 if ssl else 1883
        self.client_id = client_id
        self.sock = None
        self.server = server
        self.port = port
        self.ssl = ssl
        self.ssl_params = ssl_params
        self.keepalive = keepalive
        self.cb = None

    def set_callback(self, f):
        self.cb = f

    def connect(self, clean_session=True):
        raise OSError(-1)
