# Stand-in for the Pico W's `network` (CYW43 Wi-Fi) under the unix port: the computer's own network is
# the "joined" access point, so the link is up as soon as the firmware connects.
STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_GOT_IP = 3
_LINK_UP = 3


def country(code=None):
    return code


def hostname(name=None):
    return name


class WLAN:
    PM_NONE = 0xA11140

    def __init__(self, interface=STA_IF):
        self._active = False
        self._joined = False

    def active(self, value=None):
        if value is None:
            return self._active
        self._active = bool(value)
        if not value:
            self._joined = False

    def config(self, *args, **kwargs):
        if args == ("rssi",):
            return -50
        if args == ("mac",):
            return b"\x28\xcd\xc1\x00\x00\x01"
        return None

    def connect(self, ssid=None, key=None, **kwargs):
        if not self._active:
            raise OSError("Wi-Fi chip not active")
        self._joined = True

    def disconnect(self):
        self._joined = False

    def isconnected(self):
        return self._joined

    def status(self, param=None):
        if param == "rssi":
            return -50
        return _LINK_UP if self._joined else STAT_IDLE

    def ifconfig(self, *args):
        return ("127.0.0.1", "255.0.0.0", "127.0.0.1", "127.0.0.1")
