# Servos that raise lamps before they light: pop-up headlight pods. Imported only by a car that has one.
#
# A servo is up while any lamp it carries is commanded on or blinking, or plays an effect, and down
# otherwise. Its lamps stay dark until it has been up for its travel time (an effect starts then); when they
# are all off and dark, it lowers.
# A command that arrives mid-travel turns the servo round and starts its travel time again, so no lamp is
# ever lit on a pod that may still be down. No waiting in here: update() runs from every wait of the
# supervisor, like the blink engine, and says when it next has something to do.
from micropython import const
from machine import Pin, PWM
from clock import ticks_ms, ticks_add, ticks_diff
import config

DOWN = const(0)
MOVING = const(1)
UP = const(2)
# Indexed by the constants above; the names are the contract's.
POSITIONS = (config.POD_DOWN, config.POD_MOVING, config.POD_UP)
_IDLE_MS = const(60000)


class Pods:
    def __init__(self, specs, lamps):
        # specs: config.SERVOS rows (name, gpio, up ns, down ns, travel ms, carried lamp indices).
        self._lamps = lamps
        self._up_ns = tuple(spec[2] for spec in specs)
        self._down_ns = tuple(spec[3] for spec in specs)
        self._travel = tuple(spec[4] for spec in specs)
        self._carries = tuple(spec[5] for spec in specs)
        # At power-up the servo is wherever it was left: driving it down is the one safe start (lamps dark).
        self._pwm = [PWM(Pin(spec[1]), freq=config.SERVO_HZ, duty_ns=spec[3]) for spec in specs]
        n = len(specs)
        self.position = [MOVING] * n
        self._raising = [False] * n
        self._arrives = [ticks_add(ticks_ms(), spec[4]) for spec in specs]
        for servo in range(n):
            self._show(servo)

    def _wanted(self, servo):
        lamps = self._lamps
        for lamp in self._carries[servo]:
            if lamps.mode[lamp] != 0 or lamps.written[lamp] or lamps.playing[lamp] is not None:
                return True
        return False

    def _show(self, servo):
        # Its lamps may light only once it is up; each reports where its pod is.
        up = self.position[servo] == UP
        name = POSITIONS[self.position[servo]]
        for lamp in self._carries[servo]:
            self._lamps.hold(lamp, not up, name)

    def _move(self, servo, raising, now):
        self._raising[servo] = raising
        self._pwm[servo].duty_ns(self._up_ns[servo] if raising else self._down_ns[servo])
        self.position[servo] = MOVING
        self._arrives[servo] = ticks_add(now, self._travel[servo])
        self._show(servo)

    def update(self):
        # Starts, turns round or ends each servo's travel; returns ms until the next arrival.
        now = ticks_ms()
        due = _IDLE_MS
        for servo in range(len(self._pwm)):
            wanted = self._wanted(servo)
            if wanted != self._raising[servo]:
                self._move(servo, wanted, now)
            left = ticks_diff(self._arrives[servo], now)
            if self.position[servo] == MOVING:
                if left <= 0:
                    self.position[servo] = UP if wanted else DOWN
                    self._show(servo)
                else:
                    due = min(due, left)
        return due
