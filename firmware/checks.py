# Start-up checks: the things only a person can fix, found before anything else runs. They live in
# their own module so the supervisor can drop them from memory once they have passed.
import sys
import config
import status

# MicroPython 1.24 fixed loading DER certificates and keys into ssl.SSLContext (release notes, v1.24.0).
MIN_MICROPYTHON = (1, 24, 0)


def micropython_problem(version):
    # None when this MicroPython can load DER credentials; otherwise what to do about it.
    if tuple(version[:3]) >= MIN_MICROPYTHON:
        return None
    found = ".".join(str(part) for part in version[:3])
    return "MicroPython %s is too old: DER certificates need 1.24 or newer. Flash the latest Pico W firmware from micropython.org/download/RPI_PICO_W" % found


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
