# What the board tells a person with no computer attached: the on-board LED blinks a code for every
# boot phase and failure (the table is in README.md, "Status LED codes"), and the crash log that
# survives a reset. The start-up checks that choose a code live in checks.py.
from micropython import const
import sys
from machine import Pin
from clock import ticks_ms, ticks_diff

# code: flashes in a group. RUNNING is steady on, CRASHED a fast flicker.
JOINING_WIFI = const(1)
WIFI_BAD_PASSWORD = const(2)
WIFI_NO_AP = const(3)
WIFI_TIMEOUT = const(4)
CLOCK_NOT_SET = const(5)
BROKER_UNREACHABLE = const(6)
BROKER_REFUSED = const(7)
MICROPYTHON_TOO_OLD = const(8)
TLS_REJECTED = const(9)
CERTS_MISSING = const(10)
OUT_OF_MEMORY = const(11)
RUNNING = const(0)
CRASHED = const(-1)

_FLASH_MS = const(200)
_GROUP_GAP_MS = const(1200)
_FLICKER_MS = const(50)

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


def record_error(error):
    # Keeps the newest crash in a bounded file so a board that resets itself can still say why.
    import io

    text = io.StringIO()
    sys.print_exception(error, text)
    with open(ERROR_FILE, "w") as file:
        file.write(text.getvalue()[-ERROR_FILE_MAX:])
