# What the board tells a person with no computer attached: the on-board LED blinks a code for every
# boot phase and failure (the table is in README.md, "Status LED codes"), and the start-up checks
# that explain a wrong MicroPython or umqtt.simple instead of dying on a TypeError.
import sys
from machine import Pin
from clock import ticks_ms, ticks_diff

# code: flashes in a group. RUNNING is steady on, CRASHED a fast flicker.
JOINING_WIFI = 1
WIFI_BAD_PASSWORD = 2
WIFI_NO_AP = 3
WIFI_TIMEOUT = 4
CLOCK_NOT_SET = 5
BROKER_UNREACHABLE = 6
BROKER_REFUSED = 7
MICROPYTHON_TOO_OLD = 8
UMQTT_MISSING_OR_OLD = 9
CERTS_MISSING = 10
RUNNING = 0
CRASHED = -1

_FLASH_MS = 200
_GROUP_GAP_MS = 1200
_FLICKER_MS = 50

# MicroPython 1.24 fixed loading DER certificates and keys into ssl.SSLContext (release notes, v1.24.0).
MIN_MICROPYTHON = (1, 24, 0)

ERROR_FILE = "last_error.txt"
ERROR_FILE_MAX = 1024


class StatusLed:
    # The Pico W's on-board LED ("LED": it hangs on the Wi-Fi chip, not on a GPIO) blinking a code.

    def __init__(self):
        self._pin = Pin("LED", Pin.OUT, value=0)
        self.code = JOINING_WIFI
        self._step = 0
        self._since = ticks_ms()

    def show(self, code):
        if code != self.code:
            self.code = code
            self._step = 0
            self._since = ticks_ms()
            # Every pattern starts lit: steady for RUNNING, the first flash of a group otherwise.
            self._pin.value(1)

    def _step_ms(self):
        if self.code == CRASHED:
            return _FLICKER_MS
        # Steps alternate on/off for `code` flashes, then one long dark gap.
        return _GROUP_GAP_MS if self._step == 2 * self.code - 1 else _FLASH_MS

    def update(self):
        # Moves the pattern on; returns ms until the LED changes next.
        if self.code == RUNNING:
            return 1000
        now = ticks_ms()
        left = self._step_ms() - ticks_diff(now, self._since)
        if left > 0:
            return left
        self._since = now
        if self.code == CRASHED:
            self._step ^= 1
        else:
            self._step = (self._step + 1) % (2 * self.code)
        self._pin.value(1 if self._step % 2 == 0 else 0)
        return self._step_ms()


def micropython_problem(version):
    # None when this MicroPython can load DER credentials; otherwise what to do about it.
    if tuple(version[:3]) >= MIN_MICROPYTHON:
        return None
    found = ".".join(str(part) for part in version[:3])
    return "MicroPython %s is too old: DER certificates need 1.24 or newer. Flash the latest Pico W firmware from micropython.org/download/RPI_PICO_W" % found


_UMQTT_HINT = 'install it on the board: import mip; mip.install("umqtt.simple") (or: mpremote mip install umqtt.simple)'
UMQTT_TOO_OLD = "umqtt.simple is too old (connect() takes no timeout; 1.6 or newer needed); " + _UMQTT_HINT


def umqtt_problem():
    # None when umqtt.simple takes ssl=<SSLContext> (1.4+); otherwise the fix. The connect timeout of
    # 1.6 only shows when connecting: link.connect() raises Refused("umqtt_too_old") then.
    hint = _UMQTT_HINT
    try:
        from umqtt.simple import MQTTClient
    except ImportError:
        return "umqtt.simple is missing; " + hint
    try:
        probe = MQTTClient("probe", "localhost", port=8883, keepalive=60, ssl=None)
    except TypeError:
        return "umqtt.simple is too old; " + hint
    # Before 1.4 the client took ssl=True plus ssl_params and never sent a client certificate.
    if hasattr(probe, "ssl_params"):
        return "umqtt.simple is too old (it takes ssl_params, not an SSLContext); " + hint
    return None


def record_error(error):
    # Keeps the newest crash in a bounded file so a board that resets itself can still say why.
    import io

    text = io.StringIO()
    sys.print_exception(error, text)
    with open(ERROR_FILE, "w") as file:
        file.write(text.getvalue()[-ERROR_FILE_MAX:])


def take_error():
    # The crash recorded before the last reset (at most 200 chars, for `events`), then forgets it.
    import os

    try:
        with open(ERROR_FILE) as file:
            text = file.read(ERROR_FILE_MAX)
        os.rename(ERROR_FILE, ERROR_FILE + ".old")
    except OSError:
        return None
    return text[-200:]
