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


# RP2040 datasheet 4.5.2: 8 slices of two channels; GPIO n drives slice (n >> 1) & 7, channel n & 1, so GPIO n
# and n+16 are the same channel and put out the same signal. A slice's divider (in 16ths) and TOP are shared
# by both its channels: a frequency set through one pin is the frequency of every pin on the slice.
# _slices[s] = [divider, TOP] (reset values: 1.0, 0xffff); _chans[slice * 2 + channel] = [how the duty
# was last set (1: duty_u16, 2: duty_ns, 0: not yet), its value, the compare level in counts, the GPIOs routed
# to it]. Few names on purpose: the stand-in's interned names share the heap's pools with the firmware's.
_slices = [[16, 0xFFFF] for _ in range(8)]
_chans = [[0, 0, 0, []] for _ in range(16)]


class PWM:
    # Follows ports/rp2/machine_pwm.c: freq() picks the divider and TOP, duty_u16() and duty_ns() set the
    # channel's compare level from them, a new frequency re-applies both channels' duties, and the same
    # ValueError is raised only where the port raises it, for a frequency its divider cannot reach; duties out of
    # range are clamped as the port clamps them (the system clock is 125 MHz, as freq() says).
    def __init__(self, pin, *, freq=None, duty_u16=None, duty_ns=None):
        self._id = pin._id
        n = int(self._id)
        self._i = ((n >> 1) & 7) * 2 + (n & 1)
        if self._id not in _chans[self._i][3]:
            _chans[self._i][3].append(self._id)
        pico_host.pin_mode(self._id, "pwm")
        if freq is not None:
            self.freq(freq)
        if duty_u16 is not None:
            self.duty_u16(duty_u16)
        if duty_ns is not None:
            self.duty_ns(duty_ns)

    def freq(self, value=None):
        s = self._i >> 1
        if value is None:
            return _rate(s, _slices[s][1] + 1)
        if value <= 0:
            raise ValueError("freq too small")
        if (125000000 + value // 2) // value < 65534:
            n = 16
            top = (125000000 + value // 2) // value - 1
        else:
            n = -(-2000000000 // (65534 * value))
            top = (2000000000 + n * value // 2) // (n * value) - 1
        if n >= 256 * 16:
            raise ValueError("freq too small")
        _slices[s] = [n, top]
        for i in (s * 2, s * 2 + 1):
            _set(i, _chans[i][0], _chans[i][1])

    def duty_u16(self, value=None):
        if value is None:
            top = _slices[self._i >> 1][1] + 1
            return (_chans[self._i][2] * 65535 + top // 2) // top
        # The port clamps rather than refuses (mp_machine_pwm_duty_set_u16).
        if value > 65535:
            value = 65535
        _set(self._i, 1, value)

    def duty_ns(self, value=None):
        if value is None:
            return (_chans[self._i][2] * 1000000000 + _rate(self._i >> 1, 1) // 2) // _rate(self._i >> 1, 1)
        _set(self._i, 2, value)

    def deinit(self):
        self.duty_u16(0)


def _rate(s, counts):
    # The slice clock divided by counts: counts 1 gives the counter's rate, TOP + 1 the PWM frequency.
    n = _slices[s][0] * counts
    return (2000000000 + n // 2) // n


def _set(i, how, value):
    # Sets channel i's compare level, then tells the host, for every pin on the channel: the slice's
    # frequency, the duty as a fraction of 65535 (as asked, when set with duty_u16) and the pulse width.
    chan = _chans[i]
    top = _slices[i >> 1][1] + 1
    rate = _rate(i >> 1, 1)
    if how == 1:
        chan[2] = (value * top + 65535 // 2) // 65535
    elif how == 2:
        # A pulse longer than the period is clamped to the whole period, as the port does (mp_machine_pwm_duty_set_ns).
        n = (value * rate + 500000000) // 1000000000
        chan[2] = n if n < top else top
    chan[0] = how
    chan[1] = value
    n = min(chan[2], top)
    duty = value if how == 1 else (n * 65535 + top // 2) // top
    for pin in chan[3]:
        pico_host.pwm_freq(pin, _rate(i >> 1, top))
        pico_host.pwm_duty(pin, duty, (n * 1000000000 + rate // 2) // rate)


class WDT:
    def __init__(self, id=0, timeout=5000):
        if timeout > _WDT_MAX_MS:
            raise ValueError("timeout exceeds %d" % _WDT_MAX_MS)
        pico_host.wdt_start(timeout)

    def feed(self):
        check_watchdog()
        pico_host.wdt_feed()


_timers = []


class Timer:
    # Soft and hard timers alike fire from block_ms(), the host's model of a long blocking C call
    # (the TLS handshake), and from check_watchdog() at the firmware's waits; each is recorded with its period.
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
    # Not in the real module: the RP2040 resets the moment its watchdog runs out (or its power goes);
    # here the board finds out at its next step, and the host has kept time from running past that moment.
    # It is also where soft timers that came due run their callbacks, as the board's scheduler would.
    if pico_host.wdt_starved():
        raise _Reset()
    now = pico_host.now()
    for timer in list(_timers):
        timer._fire_if_due(now)


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
