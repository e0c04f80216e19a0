# The car's lamps: what each one is told to do, how that becomes a pin level or a PWM duty, one blink
# phase shared by every blinking lamp so hazard lamps flash together, fades along the gamma curve, and
# effects played over a lamp's state.
#
# No MQTT and no Wi-Fi in here: the supervisor feeds commands in and calls update() from every wait.
from micropython import const
from machine import Pin, PWM
from clock import ticks_ms, ticks_diff
import config

OFF = const(0)
ON = const(1)
BLINK = const(2)
MODES = ("off", "on", "blink")
# Not a mode: what commands.parse() says of an effect to play.
EFFECT = const(3)

_FULL = const(65535)
# A fade moves its lamp every 20 ms (50 steps a second): smooth to the eye, cheap for the loop.
_FADE_STEP_MS = const(20)


def gamma_duty(percent):
    # Duty for a perceived brightness: the eye answers to roughly duty ** (1 / 2.2), so 20 % looks like 20 %.
    if percent <= 0:
        return 0
    if percent >= 100:
        return _FULL
    return int(_FULL * (percent / 100) ** 2.2 + 0.5)


class Lamps:
    def __init__(self, specs, blink_per_min, pods=()):
        # specs: config.LAMPS rows (name, gpio, PWM Hz or None, default brightness, tail level or None,
        # fade ms).
        n = len(specs)
        self._transition = tuple(spec[5] for spec in specs)
        self._default = tuple(spec[3] for spec in specs)
        self._tail = tuple(spec[4] for spec in specs)
        self._dims = tuple(spec[2] is not None for spec in specs)
        self._out = [self._output(spec[1], spec[2]) for spec in specs]
        self.mode = [OFF] * n
        self.brightness = [0] * n
        self.command_id = [None] * n
        # Lamps whose state is still to be reported: those no command has set, once retained commands
        # had their chance after the subscription (the link reports every applied command at once).
        self.dirty = [False] * n
        self._lit_duty = [0] * n
        self._dark_duty = [0] * n
        self.written = [0] * n
        # A fade: the perceived level (%) it started from, when, and how long it takes (0: none running).
        # Levels, not duties, are what fade, so the gamma curve makes it look even.
        self._shown = [0] * n
        self._fade_from = [0] * n
        self._fade_at = [0] * n
        self._fade_ms = [0] * n
        # An effect playing on a lamp: [start tick, ((from ms, level %), ...), length ms], its name and the
        # id of its command (reported while it plays), or None. Lamps of one request start together.
        self._effect = [None] * n
        self.playing = [None] * n
        self.play_id = [None] * n
        self._play_start = (None, 0)
        # One phase clock for all lamps: flash period from the configured rate, lit for the first half.
        self._period = 60000 // blink_per_min
        self._phase = 0
        self._last = ticks_ms()
        self.lit = True
        # Lamps a servo carries are held dark until it is up; pod is where it is, for the state report.
        self.held = [False] * n
        self.pod = [None] * n
        # Set when a pod moved a lamp's state without a command, so the supervisor lets the link report it.
        self.moved = False
        # pods: config.SERVOS rows. Only a car with pop-up pods pays for their module.
        self.pods = None
        if pods:
            from pods import Pods

            self.pods = Pods(pods, self)

    @staticmethod
    def _output(gpio, pwm_hz):
        pin = Pin(gpio, Pin.OUT, value=0)
        if pwm_hz is None:
            return pin
        pwm = PWM(pin)
        pwm.freq(pwm_hz)
        pwm.duty_u16(0)
        return pwm

    def apply(self, lamp, mode, brightness, command_id, transition=None):
        # Puts one lamp into a mode; brightness None means the lamp's default, transition None its fade.
        if mode == OFF:
            level = 0
        elif not self._dims[lamp]:
            level = 100
        else:
            level = self._default[lamp] if brightness is None else brightness
        if mode == BLINK and BLINK not in self.mode:
            # The first blinking lamp starts the shared phase lit, so it answers at once; lamps that
            # join later take the running phase, which is what keeps hazard lamps in step.
            self._phase = 0
            self._last = ticks_ms()
            self.lit = True
        self.mode[lamp] = mode
        self.brightness[lamp] = level
        self.command_id[lamp] = command_id
        self._lit_duty[lamp] = gamma_duty(level) if self._dims[lamp] else 1
        # Brake over tail: a brake lamp that flashes drops back to its tail level, never to dark.
        tail = self._tail[lamp]
        self._dark_duty[lamp] = gamma_duty(tail) if mode == BLINK and tail is not None else 0
        # The newest command wins: an effect playing on the lamp ends.
        self._effect[lamp] = None
        self.playing[lamp] = None
        if transition is None:
            transition = self._transition[lamp]
        # Only a lamp that dims fades, and a blinking one flashes as it always does.
        self._fade_ms[lamp] = transition if self._dims[lamp] and mode != BLINK else 0
        self._fade_from[lamp] = self._shown[lamp]
        self._fade_at[lamp] = ticks_ms()
        self.dirty[lamp] = True
        self._write(lamp)
        if self.pods is not None:
            # Raises or lowers the lamp's pod now, not at the next wait.
            self.pods.update()

    def play(self, lamp, effect, duration, command_id):
        # Plays the flash (effect -1, full for duration ms) or config.EFFECTS[effect] on a lamp; its own
        # state stays as it was, and the lamp goes back to it once the effect is over.
        if effect < 0:
            name, length, points = config.EFFECT_FLASH, duration, ((0, 100),)
        else:
            name, length, tracks = config.EFFECTS[effect]
            points = ()
            for track in tracks:
                if track[0] == lamp:
                    points = track[1]
        now = ticks_ms()
        start_id, start = self._play_start
        if start_id != command_id or ticks_diff(now, start) >= length:
            start = now
            self._play_start = (command_id, now)
        self._effect[lamp] = [start, points, length]
        self.playing[lamp] = name
        self.play_id[lamp] = command_id
        self.dirty[lamp] = True
        self._write(lamp)
        if self.pods is not None:
            # A lamp in a pod plays once the pod is up: raise it now.
            self.pods.update()

    def _played(self, lamp):
        # The level (%) the playing effect asks of a lamp now, or None for its own state; ends the effect
        # (and has its state reported) once it is over.
        start, points, length = self._effect[lamp]
        elapsed = ticks_diff(ticks_ms(), start)
        if elapsed >= length:
            self._effect[lamp] = None
            self.playing[lamp] = None
            self.dirty[lamp] = True
            self.moved = True
            return None
        level = None
        for at, point in points:
            if at > elapsed:
                break
            level = point
        return level

    def _next_point(self, lamp):
        # ms until the playing effect next changes the lamp (a point or its end).
        start, points, length = self._effect[lamp]
        elapsed = ticks_diff(ticks_ms(), start)
        for at, _ in points:
            if at > elapsed:
                return at - elapsed
        return length - elapsed

    def hold(self, lamp, held, pod):
        # Keeps a lamp dark (its pod is not up) or lets it light; pod is reported with its state.
        if self.held[lamp] == held and self.pod[lamp] == pod:
            return
        self.held[lamp] = held
        self.pod[lamp] = pod
        self.dirty[lamp] = True
        self.moved = True
        self._write(lamp)

    def mark_unset_dirty(self):
        # Lamps no command has set since power-up, to be reported as they are (off, id None).
        for lamp in range(len(self.dirty)):
            if self.command_id[lamp] is None:
                self.dirty[lamp] = True

    def _fading(self, lamp):
        # The duty of a running fade now, or None once it has ended (or there is none).
        fade = self._fade_ms[lamp]
        if not fade:
            return None
        elapsed = ticks_diff(ticks_ms(), self._fade_at[lamp])
        if elapsed >= fade:
            self._fade_ms[lamp] = 0
            return None
        start = self._fade_from[lamp]
        target = self.brightness[lamp]
        level = start + (target - start) * elapsed / fade
        self._shown[lamp] = level
        return gamma_duty(level)

    def _write(self, lamp):
        mode = self.mode[lamp]
        level = None if self._effect[lamp] is None else self._played(lamp)
        if level is not None and not self.held[lamp]:
            # An effect on top of the lamp's state; a fade under it goes on.
            value = gamma_duty(level) if self._dims[lamp] else (1 if level else 0)
            self._shown[lamp] = level
        elif self.held[lamp]:
            # Dark on a pod that is not up; a fade-in starts from dark once it is, and an effect from its start.
            value = 0
            self._shown[lamp] = 0
            self._fade_from[lamp] = 0
            self._fade_at[lamp] = ticks_ms()
            if self._effect[lamp] is not None:
                self._effect[lamp][0] = ticks_ms()
        elif mode != BLINK and self._fade_ms[lamp]:
            value = self._fading(lamp)
            if value is None:
                value = self._lit_duty[lamp] if mode == ON else 0
                self._shown[lamp] = self.brightness[lamp]
        elif mode == ON or (mode == BLINK and self.lit):
            value = self._lit_duty[lamp]
            self._shown[lamp] = self.brightness[lamp]
        else:
            value = self._dark_duty[lamp] if mode == BLINK else 0
            self._shown[lamp] = self._tail[lamp] if value else 0
        # What the pin is set to now; a pod waits for its lamps to be dark before it lowers.
        self.written[lamp] = value
        out = self._out[lamp]
        if self._dims[lamp]:
            out.duty_u16(value)
        else:
            out.value(value)

    def update(self):
        # Advances the shared blink phase; returns ms until the next edge (so waits can end on it).
        now = ticks_ms()
        # Accumulate elapsed time instead of subtracting a start tick: ticks wrap, the phase must not.
        self._phase = (self._phase + ticks_diff(now, self._last)) % self._period
        self._last = now
        half = self._period // 2
        lit = self._phase < half
        if lit != self.lit:
            self.lit = lit
            for lamp in range(len(self.mode)):
                if self.mode[lamp] == BLINK:
                    self._write(lamp)
        edge = (half if lit else self._period) - self._phase
        for lamp in range(len(self.mode)):
            if self._fade_ms[lamp] or self._effect[lamp] is not None:
                self._write(lamp)
            if self._effect[lamp] is not None:
                edge = min(edge, self._next_point(lamp))
            elif self._fade_ms[lamp]:
                edge = min(edge, _FADE_STEP_MS)
        if self.pods is not None:
            edge = min(edge, self.pods.update())
        return edge
