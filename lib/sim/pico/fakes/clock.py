# Virtual Pico W: stands in for firmware/clock.py. Time comes from the host's PicoClock (virtual in
# tests, real in the twin) instead of the interpreter's own clock, and the RTC is the board's, set by
# the fake ntptime. The built-in `time` module is left alone: asyncio depends on it.
import time
import machine
import pico_host

ticks_add = time.ticks_add
ticks_diff = time.ticks_diff
_TICKS_MASK = 0x3FFFFFFF


def ticks_ms():
    # Wraps like MicroPython's 30-bit ticks on the RP2040, so ticks_diff() is exercised for real.
    return pico_host.now() & _TICKS_MASK


def _ready(poller):
    for _ in poller.ipoll(0):
        return True
    return False


async def wait_ms(ms, poller=None):
    # The firmware's wait: a poll of the board's sockets, then a sleep the host ends early when one of
    # them has news (bytes, a finished handshake, a failure). A virtual clock that has already moved on
    # returns None: carry on without a trip through the event loop (each such trip costs about a
    # millisecond and some heap in this interpreter's asyncio).
    if poller is not None and _ready(poller):
        return True
    # A sleep ends when a timer is due, so its callback runs on time (in check_watchdog()).
    now = pico_host.now()
    wait = pico_host.sleep(max(0, min(ms, machine._next_due(now + ms) - now)))
    if wait is not None:
        await wait
    machine.check_watchdog()
    return poller is not None and _ready(poller)


def epoch_s():
    return pico_host.rtc_s()


def year():
    return time.gmtime(pico_host.rtc_s())[0]
