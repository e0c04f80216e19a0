# Stand-in for the Pico W's `machine` under the unix port, which has none: pins, PWM, the watchdog and
# reset report to the test harness as "@pico …" lines on stdout; everything else the firmware uses
# (ssl, socket, select, asyncio, time, json) is the interpreter's own.
import os
import sys
import time

PWRON_RESET = 1
WDT_RESET = 3
# RP2040 datasheet 4.7; MicroPython's rp2 port refuses longer watchdog timeouts.
_WDT_MAX_MS = 8388


def _report(*words):
    print("@pico", *words)


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self._id = str(id)
        self._value = 0
        if value is not None:
            self.value(value)

    def value(self, value=None):
        if value is None:
            return self._value
        self._value = 1 if value else 0
        _report("pin", self._id, self._value)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def __call__(self, value=None):
        return self.value(value)


class PWM:
    # A pulse width (duty_ns, for a servo) is reported as its share of the period, like duty_u16.
    def __init__(self, pin, *, freq=None, duty_u16=None, duty_ns=None):
        self._id = pin._id
        self._freq = 0
        self._duty = 0
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        self._duty = value
        _report("pwm", self._id, value)

    def duty_ns(self, value=None):
        if value is None:
            return self._duty * 1000000000 // 65535 // self._freq
        # A pulse longer than the period is the whole period, as ports/rp2/machine_pwm.c clamps it.
        self.duty_u16(min(value * self._freq * 65535 // 1000000000, 65535))

    def deinit(self):
        pass


class WDT:
    # Not a hardware watchdog: it reports a starved feed (a gap longer than the timeout) so the harness
    # sees the board that would have been reset.
    def __init__(self, id=0, timeout=5000):
        if timeout > _WDT_MAX_MS:
            raise ValueError("timeout exceeds %d" % _WDT_MAX_MS)
        self._timeout = timeout
        self._fed = time.ticks_ms()

    def feed(self):
        now = time.ticks_ms()
        gap = time.ticks_diff(now, self._fed)
        if gap > self._timeout:
            _report("wdt_starved", gap)
        self._fed = now


class Timer:
    # The unix port has no hardware timers; the callback never runs, so a wait the firmware covers with a
    # feeder shows up as a starved watchdog instead of passing unseen.
    PERIODIC = 1
    ONE_SHOT = 0

    # The signature of MicroPython's machine.Timer (docs, "class Timer"), so a call the board takes is taken.
    def __init__(self, id=-1, *, mode=PERIODIC, freq=-1, period=-1, callback=None, hard=True):
        pass

    def init(self, *, mode=PERIODIC, freq=-1, period=-1, callback=None, hard=True):
        pass

    def deinit(self):
        pass


class RTC:
    # The computer's clock is already right and not ours to set: datetime(tuple) is taken and dropped.
    def datetime(self, value=None):
        if value is not None:
            return None
        t = time.localtime()
        # (year, month, day, weekday 0-6 from Monday, hours, minutes, seconds, subseconds), as rp2 returns it.
        return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)


def reset():
    # The harness starts the interpreter again, as the board would boot again.
    _report("reset")
    sys.exit(3)


def soft_reset():
    reset()


def reset_cause():
    return WDT_RESET if os.getenv("PLAMO_RESET_CAUSE") == "watchdog" else PWRON_RESET


def unique_id():
    return b"\xe6\x61\x41\x04\x03\x2f\x2a\x21"


def freq(hz=None):
    return 125_000_000
