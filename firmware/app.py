# plamo-iot firmware for the Raspberry Pi Pico W: brings the car online and keeps it there.
#
# One supervisor coroutine walks the boot steps in docs/architecture.md order (checks, Wi-Fi, clock,
# TLS/MQTT, loop) and every wait goes through Device.pause(), which keeps the lamps blinking, the
# status LED flashing and the watchdog fed. main.py starts it; the virtual Pico W awaits main().
# const(): the value is compiled into the bytecode, and a _private name takes no memory at run time
# (MicroPython docs, micropython.const): bytes of RAM the car keeps.
from micropython import const
import gc
import sys
import machine
import config
import clock
import status
import timesync
from lamps import Lamps
from wifi import Wifi
from link import Link, backoff_ms, STABLE_MS
from mqtt import LinkError

# RP2040 datasheet 4.7 and erratum RP2040-E1: the 24-bit watchdog counter drops by 2 every
# microsecond, so the longest timeout is 0xFFFFFF / 2 us = 8,388 ms (MicroPython refuses more).
# 8 s leaves room for one slow blocking call (TLS handshake, NTP timeout).
_WDT_TIMEOUT_MS = const(8000)
# No single sleep longer than this, so the watchdog sees a feed at least this often.
_FEED_MS = const(1000)
_PENDING_EVENTS = const(4)
# A flood of bad commands must not become a flood of events: AWS IoT Core allows a connection 100
# publishes a second. A burst of 20, then 5 a second; what is dropped is counted and reported.
_EVENT_BURST = const(20)
_EVENTS_PER_S = const(5)
# The same connect failure this many times in a row is not bad luck: say on the console what to do.
_HINT_AFTER = const(3)
_HINTS = {
    "tls_rejected": "the TLS handshake rejected a certificate: check that the clock is set, that MQTT_HOST is the endpoint the certificates in certs/ were made for, and write them again with `npx plamo device {car}`",
    "tls_failed": "the TLS handshake failed: check MQTT_HOST and MQTT_PORT in config.py and that the broker speaks TLS",
    "no_connack": "the broker closed the connection without an answer: on AWS IoT Core this is a denied connect; check that the certificate is active and its policy attached (`npx plamo device {car}`)",
    "connack_5": "the broker refused the car (not authorised): check the certificate and the policy of car {car}",
    "subscribe_refused": "the broker refused the lamp subscriptions: the policy does not allow this car's lamp topics; deploy the stack again for car {car}",
    "no_memory": "not enough memory for TLS: remove other files and modules from the board and restart car {car}",
}


class Device:
    def __init__(self):
        self.started = clock.ticks_ms()
        self.wdt = machine.WDT(timeout=_WDT_TIMEOUT_MS)
        self.led = status.StatusLed()
        self.lamps = Lamps(config.LAMPS, config.BLINK_PER_MIN, config.SERVOS)
        self.wifi = Wifi(self)
        self.link = Link(self)
        self.reconnects = 0
        self.heap_min_free = gc.mem_free()
        self.next_sync = clock.ticks_ms()
        self.booted_epoch_ms = 0
        self._pending = []
        # Event tokens in thousandths, so refilling needs no floats.
        self._tokens = _EVENT_BURST * 1000
        self._tokens_at = clock.ticks_ms()
        self._suppressed = 0

    def feed(self):
        self.wdt.feed()

    def keep_feeding(self):
        wdt = self.wdt
        self._feeder = machine.Timer(mode=machine.Timer.PERIODIC, period=_FEED_MS, callback=lambda timer: wdt.feed())

    def note_heap(self):
        # The lowest free heap seen while the heap is at its fullest (TLS handshake, handling messages).
        free = gc.mem_free()
        if free < self.heap_min_free:
            self.heap_min_free = free

    async def pause(self, ms, poller=None):
        # Waits ms while blinking lamps and the LED on time and feeding the watchdog; with a poller,
        # ends early (True) as soon as the broker's socket is readable.
        deadline = clock.ticks_add(clock.ticks_ms(), ms)
        while True:
            lamps = self.lamps
            step = min(lamps.update(), self.led.update(), _FEED_MS)
            self.wdt.feed()
            if poller is not None and lamps.moved:
                # A pod arrived: the link reports its lamps now, not at its next timer.
                lamps.moved = False
                return True
            left = clock.ticks_diff(deadline, clock.ticks_ms())
            if left <= 0:
                return False
            if await clock.wait_ms(min(step, left), poller):
                return True

    def _may_report(self):
        now = clock.ticks_ms()
        self._tokens = min(_EVENT_BURST * 1000, self._tokens + clock.ticks_diff(now, self._tokens_at) * _EVENTS_PER_S)
        self._tokens_at = now
        if self._tokens < 1000:
            return False
        self._tokens -= 1000
        return True

    def report(self, level, code, detail):
        # Sends an `events` message now, or keeps the latest few until the car is back online.
        print("event:", level, code, detail)
        if not self._may_report():
            self._suppressed += 1
            return
        if self._suppressed:
            dropped, self._suppressed = self._suppressed, 0
            self._send("warn", "events_suppressed", "%d events dropped by the rate limit" % dropped)
        self._send(level, code, detail)

    def _send(self, level, code, detail):
        if self.link.online:
            try:
                self.link.publish_event(level, code, detail)
                return
            except LinkError:
                pass
        # When full, keep the oldest (what started the outage) and overwrite the newest.
        if len(self._pending) >= _PENDING_EVENTS:
            self._pending[-1] = (level, code, detail)
        else:
            self._pending.append((level, code, detail))

    def flush_events(self):
        # Dropped only once sent: a connection that breaks again mid-flush keeps the rest for the next one.
        while self._pending:
            self.link.publish_event(*self._pending[0])
            self._pending.pop(0)

    async def halt(self, code, message):
        # A fault only a person can fix: say how, show the LED code, and keep the watchdog quiet.
        print("plamo: cannot start:", message)
        self.led.show(code)
        while True:
            await self.pause(60000)
            print("plamo: cannot start:", message)


def _describe(error):
    # "cause detail" for events and the console.
    return " ".join(str(part) for part in error.args)


def _led_for(cause):
    if cause.startswith("connack_") or cause == "subscribe_refused":
        return status.BROKER_REFUSED
    if cause == "tls_rejected":
        return status.TLS_REJECTED
    if cause == "no_memory":
        return status.OUT_OF_MEMORY
    return status.BROKER_UNREACHABLE


async def _connect(device):
    # One attempt: returns once the session is up (subscribed, announced), or raises LinkError.
    link = device.link
    link.open(device.wifi.ip())
    while True:
        link.step()
        if link.online:
            return
        await device.pause(link.idle_ms(), link.poller())


async def _online(device, failures):
    # Wi-Fi, clock and broker, in that order; returns the number of failed broker attempts in a row.
    last_failure = None
    repeats = 0
    while True:
        await device.wifi.ensure()
        if not timesync.clock_ok() and not await timesync.sync(device):
            continue
        if device.booted_epoch_ms == 0:
            # Set once the clock is good, before the first session: its retained commands are checked against it.
            device.booted_epoch_ms = clock.epoch_s() * 1000
        if failures:
            # Back off before the retry, not after the drop: the first loss is retried after 1 s.
            await device.pause(backoff_ms(failures - 1))
        try:
            await _connect(device)
            return failures
        except LinkError as error:
            cause = error.args[0]
            failure = _describe(error)
        device.link.close()
        device.led.show(_led_for(cause))
        failures += 1
        repeats = repeats + 1 if failure == last_failure else 1
        last_failure = failure
        print("MQTT:", failure, "- retry", failures)
        if repeats >= _HINT_AFTER and cause in _HINTS:
            print("plamo: %s fails every time:" % cause, _HINTS[cause].replace("{car}", config.CAR_ID))
        device.report("warn", "connect_failed", failure)


async def _serve(device):
    # The connected loop; returns the reason when the connection is lost.
    link = device.link
    while True:
        # The radio knows at once when the access point is gone; the socket would only find out after
        # a TCP timeout, with commands lost meanwhile.
        if not device.wifi.connected():
            return "wifi_lost"
        try:
            device.flush_events()
            link.step()
        except LinkError as error:
            return _describe(error)
        if clock.ticks_diff(clock.ticks_ms(), device.next_sync) >= 0:
            # Daily: the RP2040 RTC drifts by seconds a day, and certificates are checked against it.
            # A failed re-sync is not urgent (the clock is already good): try again in an hour.
            if timesync.try_sync():
                device.next_sync = clock.ticks_add(clock.ticks_ms(), timesync.RESYNC_MS)
            else:
                device.next_sync = clock.ticks_add(clock.ticks_ms(), timesync.RESYNC_RETRY_MS)
                device.report("warn", "ntp_failed", "clock kept; next try in 1 h")
        # Wakes for the broker's next packet or the link's next timer, whichever comes first.
        await device.pause(link.idle_ms(), link.poller())


def _run_checks():
    # The start-up checks; then their module leaves the heap again (its bytecode, about 1.5 KB the car
    # can use). A plain function, not a coroutine: a coroutine's frame stays on the heap, and its used
    # slots would keep a function of the module, and with it the whole module, alive for good.
    import checks

    try:
        return checks.first_problem(), checks.take_error(), checks.boot_detail()
    finally:
        del sys.modules["checks"]


async def _preflight(device):
    # Halts on a problem only a person can fix; returns the detail of the `boot` event, sent once online.
    problem, crash, detail = _run_checks()
    if problem:
        await device.halt(*problem)
    if crash:
        device.report("error", "reset_after_crash", crash)
    return detail


async def run(device):
    boot_detail = await _preflight(device)
    failures = 0
    while True:
        failures = await _online(device, failures)
        if boot_detail is not None:
            device.report("info", "boot", boot_detail)
            boot_detail = None
        device.led.show(status.RUNNING)
        connected_at = clock.ticks_ms()
        cause = await _serve(device)
        device.link.close()
        if cause == "update_staged":
            # A verified update waits in ota/new/: the boot step (boot.py) swaps it in.
            machine.reset()
        device.reconnects += 1
        # A connection that lasted restarts the backoff at 1 s; one that dropped at once keeps doubling.
        failures = 1 if clock.ticks_diff(clock.ticks_ms(), connected_at) >= STABLE_MS else failures + 1
        print("MQTT:", cause)
        device.report("warn", "reconnecting", cause)


async def main():
    # Runs the car; an unexpected error is written to last_error.txt and the board resets.
    device = None
    try:
        device = Device()
        await run(device)
    except KeyboardInterrupt:
        # Ctrl-C from Thonny or mpremote hands the REPL over. The RP2040 watchdog cannot be stopped once
        # started, so a timer keeps feeding it until the board is reset.
        if device is not None:
            device.keep_feeding()
        print("plamo: stopped; reset the board to start again")
        raise
    except Exception as error:
        sys.print_exception(error)
        try:
            status.record_error(error)
        except OSError:
            # A full or damaged filesystem must not keep the board from resetting.
            pass
        if device is not None:
            try:
                device.led.show(status.CRASHED)
                await device.pause(2000)
            except Exception:
                pass
        machine.reset()
