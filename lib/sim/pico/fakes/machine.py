# Virtual Pico W: the parts of `machine` the firmware uses, reporting every change to the host so
# JavaScript can watch pins, PWM duty, watchdog feeds and resets.
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
        pico_host.wdt_feed()


class Timer:
    # Soft timers keep running at the REPL after the program stops; the host records the period.
    ONE_SHOT = 0
    PERIODIC = 1

    def __init__(self, id=-1, *, mode=PERIODIC, period=-1, callback=None):
        self._callback = callback
        pico_host.timer_start(period, 1 if mode == Timer.PERIODIC else 0)

    def deinit(self):
        pico_host.timer_stop()


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
