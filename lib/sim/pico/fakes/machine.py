# Virtual Pico W: the parts of `machine` the firmware uses, reporting every change to the host so
# JavaScript can watch pins, PWM duty, watchdog feeds and resets.
import time
import pico_host

_WDT_MAX_MS = 8388  # RP2040 datasheet 4.7; MicroPython's rp2 port refuses longer timeouts
PWRON_RESET = 1
WDT_RESET = 3


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2

    def __init__(self, id, mode=-1, pull=-1, *, value=None):
        self._id = str(id)
        self._value = 0
        if mode == Pin.OUT:
            pico_host.pin_mode(self._id, "out")
        if value is not None:
            self.value(value)

    def value(self, value=None):
        if value is None:
            return self._value
        self._value = 1 if value else 0
        pico_host.pin_write(self._id, self._value)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def toggle(self):
        self.value(1 - self._value)

    def __call__(self, value=None):
        return self.value(value)


class PWM:
    def __init__(self, pin, *, freq=None, duty_u16=None):
        self._id = pin._id
        self._freq = 0
        self._duty = 0
        pico_host.pin_mode(self._id, "pwm")
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)

    def freq(self, value=None):
        if value is None:
            return self._freq
        self._freq = value
        pico_host.pwm_freq(self._id, value)

    def duty_u16(self, value=None):
        if value is None:
            return self._duty
        if not 0 <= value <= 65535:
            raise ValueError("duty_u16 must be 0-65535")
        self._duty = value
        pico_host.pwm_duty(self._id, value)

    def deinit(self):
        self.duty_u16(0)


class WDT:
    def __init__(self, id=0, timeout=5000):
        if timeout > _WDT_MAX_MS:
            raise ValueError("timeout exceeds maximum")
        pico_host.wdt_start(timeout)

    def feed(self):
        check_watchdog()
        pico_host.wdt_feed()


_timers = []


class Timer:
    # Soft and hard timers alike fire from block_ms(), the host's model of a long blocking C call
    # (the TLS handshake), and are recorded with their period.
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, *, mode=PERIODIC, period=-1, callback=None, hard=False):
        self._callback = callback
        self._period = period
        self._periodic = mode == Timer.PERIODIC
        self._due = pico_host.now() + period
        _timers.append(self)
        pico_host.timer_start(period, 1 if self._periodic else 0)

    def deinit(self):
        if self in _timers:
            _timers.remove(self)
            pico_host.timer_stop()

    def _fire_if_due(self, now):
        if now < self._due:
            return
        if self._periodic:
            self._due += self._period
        else:
            self.deinit()
        if self._callback is not None:
            self._callback(self)


def _next_due(until):
    for timer in _timers:
        if timer._due < until:
            until = timer._due
    return until


def block_ms(ms):
    # Not in the real module: the host's stand-in for a C call that keeps the CPU for ms (RSA on an
    # RP2040). Time passes in steps to each timer's next firing, and a starved watchdog resets the board.
    end = pico_host.now() + ms
    while True:
        now = pico_host.now()
        step_to = _next_due(end)
        if step_to > now:
            pico_host.spend(step_to - now)
        check_watchdog()
        now = pico_host.now()
        for timer in list(_timers):
            timer._fire_if_due(now)
        if now >= end:
            return


def check_watchdog():
    # Not in the real module: the RP2040 resets the moment its watchdog runs out; here the board finds
    # out at its next step, and the host has kept time from running past that moment.
    if pico_host.wdt_starved():
        raise _Reset()


class RTC:
    def datetime(self, value=None):
        if value is None:
            t = time.gmtime(pico_host.rtc_s())
            # The weekday 0-6 from Monday, as the rp2 port reports it (ports/rp2/machine_rtc.c, tm_wday).
            return (t[0], t[1], t[2], t[6], t[3], t[4], t[5], 0)
        # (year, month, day, weekday, hours, minutes, seconds, subseconds), as machine.RTC takes it; the rp2
        # port ignores the weekday and derives it from the date, so this does too.
        pico_host.rtc_set(value[0], value[1], value[2], value[4], value[5], value[6])


class _Reset(BaseException):
    """Ends the firmware like a reset would: nothing after machine.reset() runs."""


def reset():
    pico_host.machine_reset()
    raise _Reset()


def soft_reset():
    reset()


def reset_cause():
    return pico_host.reset_cause()


def unique_id():
    return pico_host.unique_id().encode()


def freq(hz=None):
    return 125000000
