# Time for the firmware, in one place.
#
# Every wait goes through wait_ms() and every reading of time through ticks_ms() / epoch_s(), so the
# virtual Pico W (lib/sim/pico) can swap this one module for its own and run hours of device time in
# milliseconds. The built-in `time` module stays untouched: asyncio depends on it.
import time
import asyncio

ticks_ms = time.ticks_ms
ticks_add = time.ticks_add
ticks_diff = time.ticks_diff

# MicroPython ports differ in their epoch (2000 on older builds, 1970 on rp2 since 1.22); gmtime(0)
# tells which one this build uses, so epoch_s() is Unix time on every build.
_UNIX_OFFSET = 946684800 if time.gmtime(0)[0] == 2000 else 0


async def wait_ms(ms, poller=None):
    # Sleeps ms; with a select.poll object, wakes early and returns True once one of its streams is
    # ready. The supervisor is the only task, so waiting in poll() is its sleep: it ends on time for
    # the next lamp edge and at once when the broker speaks. ipoll() allocates no result list.
    if poller is None:
        await asyncio.sleep_ms(ms)
        return False
    for _ in poller.ipoll(ms):
        return True
    return False


def epoch_s():
    # Seconds since 1970 from the RTC (set by NTP).
    return time.time() + _UNIX_OFFSET


def year():
    # The RTC's year: 2021 on a Pico W that has not been told the time since power-up.
    return time.gmtime()[0]
