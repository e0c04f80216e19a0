# Virtual Pico W: `network` with a CYW43 WLAN whose status sequence the host scripts
# (lib/sim/pico/network.ts). Status values are the CYW43 link values the Pico W returns.
import pico_host

STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_CONNECT_FAIL = -1
STAT_NO_AP_FOUND = -2
STAT_WRONG_PASSWORD = -3
STAT_GOT_IP = 3


def country(code=None):
    if code is None:
        return pico_host.wlan_country()
    pico_host.wlan_set_country(code)


def hostname(name=None):
    return "PicoW" if name is None else None


class WLAN:
    PM_NONE = 0xA11140
    PM_PERFORMANCE = 0xA11142
    PM_POWERSAVE = 0x111022

    def __init__(self, interface=STA_IF):
        self._interface = interface

    def active(self, on=None):
        if on is None:
            return pico_host.wlan_is_active()
        pico_host.wlan_set_active(bool(on))

    def config(self, *args, **kwargs):
        if "pm" in kwargs:
            pico_host.wlan_set_pm(kwargs["pm"])
        if args == ("mac",):
            return b"\x28\xcd\xc1\x00\x00\x01"
        if args == ("pm",):
            return pico_host.wlan_pm()

    def connect(self, ssid=None, key=None, *, bssid=None):
        pico_host.wlan_connect(ssid or "", "" if key is None else key)

    def disconnect(self):
        pico_host.wlan_disconnect()

    def status(self, param=None):
        if param == "rssi":
            return pico_host.wlan_rssi()
        if param is not None:
            raise ValueError("unknown status param")
        return pico_host.wlan_status()

    def isconnected(self):
        return pico_host.wlan_status() == STAT_GOT_IP

    def ifconfig(self, config=None):
        ip = pico_host.wlan_ip()
        return (ip, "255.255.255.0", "192.168.4.1", "192.168.4.1")
