# Joining Wi-Fi on the Pico W's CYW43439, driven by the chip's status and never by blind sleeps.
from micropython import const
import network
import config
import status
from clock import ticks_ms, ticks_diff

# On the Pico W, wlan.status() returns the CYW43 driver's link status (cyw43.h, CYW43_LINK_*):
LINK_DOWN = const(0)
LINK_JOIN = const(1)
LINK_NOIP = const(2)
LINK_UP = const(3)
LINK_FAIL = const(-1)
LINK_NONET = const(-2)
LINK_BADAUTH = const(-3)

# The Raspberry Pi guide "Connecting to the Internet with Raspberry Pi Pico W" (3.6) turns the chip's
# power saving off with this value; with it on, idle links drop and MQTT keepalives arrive late.
# Newer builds call it network.WLAN.PM_NONE.
_POWER_SAVE_OFF = const(0xA11140)

_CHIP_READY_MS = const(5000)
_JOIN_DEADLINE_MS = const(20000)
_POLL_MS = const(250)
_RADIO_RESET_AFTER = const(3)
RETRY_MS = (2000, 5000, 10000, 30000)

_FAILURES = {
    LINK_BADAUTH: ("wifi_bad_password", status.WIFI_BAD_PASSWORD),
    LINK_NONET: ("wifi_no_ap", status.WIFI_NO_AP),
    LINK_FAIL: ("wifi_failed", status.WIFI_TIMEOUT),
}


def classify(link, timed_out):
    # (event code, LED code) for a failed join, or None when the link is up.
    if link == LINK_UP:
        return None
    if link in _FAILURES:
        return _FAILURES[link]
    if timed_out and link == LINK_NOIP:
        return ("wifi_no_ip", status.WIFI_TIMEOUT)
    return ("wifi_timeout", status.WIFI_TIMEOUT)


class Wifi:
    def __init__(self, device):
        self._device = device
        self.wlan = network.WLAN(network.STA_IF)

    async def _power_up(self):
        # The regulatory domain must be set before the radio starts (MicroPython docs, network.country).
        network.country(config.WIFI_COUNTRY)
        self.wlan.active(True)
        # The CYW43 loads its firmware over SPI after active(True); until then config() and connect()
        # fail. This wait is the fix for boards that join from Thonny but not on their own.
        started = ticks_ms()
        while not self.wlan.active():
            if ticks_diff(ticks_ms(), started) > _CHIP_READY_MS:
                raise OSError("Wi-Fi chip did not start")
            await self._device.pause(50)
        self.wlan.config(pm=_POWER_SAVE_OFF)

    async def _reset_radio(self):
        self.wlan.disconnect()
        self.wlan.active(False)
        await self._device.pause(1000)
        await self._power_up()

    async def _join_once(self):
        # The password is in the credentials folder `plamo device` writes, which an update never sends or
        # replaces; no file means an open network.
        key = None
        try:
            with open(config.WIFI_PASSWORD_FILE) as file:
                key = file.read()
        except OSError:
            pass
        self.wlan.connect(config.WIFI_SSID, key)
        started = ticks_ms()
        while True:
            link = self.wlan.status()
            if link == LINK_UP or link < 0:
                return classify(link, False)
            if ticks_diff(ticks_ms(), started) >= _JOIN_DEADLINE_MS:
                return classify(link, True)
            await self._device.pause(_POLL_MS)

    def connected(self):
        return self.wlan.status() == LINK_UP

    def ip(self):
        return self.wlan.ifconfig()[0]

    def rssi(self):
        try:
            return self.wlan.status("rssi")
        except Exception:
            return 0

    async def ensure(self):
        # Returns once the link is up; retries with growing pauses and resets the radio now and then.
        if not self.wlan.active():
            await self._power_up()
        failures = 0
        while not self.connected():
            self._device.led.show(status.JOINING_WIFI)
            failure = await self._join_once()
            if failure is None:
                break
            failures += 1
            self._device.report("warn", failure[0], "attempt %d" % failures)
            self._device.led.show(failure[1])
            self.wlan.disconnect()
            await self._device.pause(RETRY_MS[min(failures, len(RETRY_MS)) - 1])
            if failures % _RADIO_RESET_AFTER == 0:
                await self._reset_radio()
