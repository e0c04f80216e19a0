# The clock, set by NTP before any TLS: a Pico W wakes up in 2021, and a certificate checked against
# that date is "not yet valid", so the TLS handshake fails with an error that does not say why.
from micropython import const
import time
import machine
import ntptime
import clock
import status

_TLS_MIN_YEAR = const(2025)
_NTP_TIMEOUT_S = const(2)
RETRY_MS = (1000, 2000, 5000, 10000, 30000)
RESYNC_MS = 24 * 3600 * 1000
RESYNC_RETRY_MS = 3600 * 1000


def clock_ok():
    return clock.year() >= _TLS_MIN_YEAR


def try_sync():
    # One NTP query; True when the clock is now good enough for TLS. An answer before 2025 is wrong
    # (a broken or spoofed server, or a reply of zeros) and never replaces the clock: certificates,
    # state timestamps and the stale-command check all trust it.
    ntptime.timeout = _NTP_TIMEOUT_S
    try:
        # time() asks without setting; ntptime.settime() would write any answer into the RTC.
        answer = time.gmtime(ntptime.time())
    except (OSError, OverflowError, ValueError):
        # ValueError: micropython-lib's ntptime unpacks msg[40:44] without checking the reply's length,
        # so a short or garbled UDP answer would otherwise crash the car.
        return False
    if answer[0] < _TLS_MIN_YEAR:
        print("NTP answered %d; clock kept" % answer[0])
        return False
    # machine.RTC().datetime() takes the weekday fourth; the rp2 port ignores it (it derives the weekday from
    # the date) and reports it 0-6 from Monday, as time.gmtime() gives it.
    machine.RTC().datetime((answer[0], answer[1], answer[2], answer[6], answer[3], answer[4], answer[5], 0))
    return clock_ok()


async def sync(device):
    # A few NTP attempts with growing pauses; False sends the caller back to check Wi-Fi first.
    for pause_ms in RETRY_MS:
        if try_sync():
            device.next_sync = clock.ticks_add(clock.ticks_ms(), RESYNC_MS)
            return True
        print("NTP failed; next try in %d ms" % pause_ms)
        device.led.show(status.CLOCK_NOT_SET)
        await device.pause(pause_ms)
    return False
