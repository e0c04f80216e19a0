# Start-up checks: the things only a person can fix, found before anything else runs. They live in
# their own module so the supervisor can drop them from memory once they have passed.
import sys
import config
import status

# MicroPython 1.24 fixed loading DER certificates and keys into ssl.SSLContext (release notes, v1.24.0).
MIN_MICROPYTHON = (1, 24, 0)
UMQTT_HINT = 'install it on the board: import mip; mip.install("umqtt.simple") (or: mpremote mip install umqtt.simple)'
# link.connect() finds this one only when connecting; the supervisor imports this module again to say it.
UMQTT_TOO_OLD = "umqtt.simple is too old (connect() takes no timeout; 1.6 or newer needed); " + UMQTT_HINT


def micropython_problem(version):
    # None when this MicroPython can load DER credentials; otherwise what to do about it.
    if tuple(version[:3]) >= MIN_MICROPYTHON:
        return None
    found = ".".join(str(part) for part in version[:3])
    return "MicroPython %s is too old: DER certificates need 1.24 or newer. Flash the latest Pico W firmware from micropython.org/download/RPI_PICO_W" % found


def umqtt_problem():
    # None when umqtt.simple takes ssl=<SSLContext> (1.4+); otherwise the fix. The connect timeout of
    # 1.6 only shows when connecting: link.connect() raises Refused("umqtt_too_old") then.
    hint = UMQTT_HINT
    try:
        from umqtt.simple import MQTTClient
    except ImportError:
        return "umqtt.simple is missing; " + hint
    try:
        probe = MQTTClient("probe", "localhost", port=8883, keepalive=60, ssl=None)
    except TypeError:
        return "umqtt.simple is too old; " + hint
    # Before 1.4 the client took ssl=True plus ssl_params and never sent a client certificate.
    if hasattr(probe, "ssl_params"):
        return "umqtt.simple is too old (it takes ssl_params, not an SSLContext); " + hint
    return None


def credentials_missing():
    import os

    for name in (config.CA_FILE, config.CERT_FILE, config.KEY_FILE):
        try:
            os.stat(name)
        except OSError:
            return name
    return None


def first_problem():
    # (LED code, what to do) for the first thing that keeps the car from starting, or None.
    problem = micropython_problem(sys.implementation.version)
    if problem:
        return status.MICROPYTHON_TOO_OLD, problem
    problem = umqtt_problem()
    if problem:
        return status.UMQTT_MISSING_OR_OLD, problem
    missing = credentials_missing()
    if missing:
        return status.CERTS_MISSING, "%s is missing; write the device folder with `npx plamo device %s` and copy it to the board" % (missing, config.CAR_ID)
    return None


def take_error():
    # The crash recorded before the last reset (at most 200 chars, for `events`), then forgets it.
    import os

    try:
        with open(status.ERROR_FILE) as file:
            text = file.read(status.ERROR_FILE_MAX)
        os.rename(status.ERROR_FILE, status.ERROR_FILE + ".old")
    except OSError:
        return None
    return text[-200:]


def boot_detail():
    # What started this run, for the `boot` event: a watchdog reset means something blocked for 8 s,
    # which is worth knowing from afar.
    import machine

    cause = machine.reset_cause()
    reset = "watchdog" if cause == machine.WDT_RESET else "power-on" if cause == machine.PWRON_RESET else "other"
    version = ".".join(str(part) for part in sys.implementation.version[:3])
    return "fw %s, MicroPython %s, reset: %s" % (config.FIRMWARE_VERSION, version, reset)
