# Virtual Pico W: `ntptime` from micropython-lib. time() asks the host, which may fail it on script (the
# query then takes `timeout` seconds of device time, as a lost UDP reply does) or answer any time it is
# told to (a server that says 1970); settime() writes the answer into the RTC, as the real one does.
import machine
import pico_host

host = "pool.ntp.org"
timeout = 1


def time():
    errno = pico_host.ntp_query(host, timeout)
    if errno < 0:
        # The real one reads the time with struct.unpack("!I", msg[40:44]) and no length check.
        raise ValueError("buffer too small")
    if errno:
        raise OSError(errno)
    return pico_host.ntp_answer_s()


def settime():
    import time as _time

    t = _time.gmtime(time())
    machine.RTC().datetime((t[0], t[1], t[2], t[6] + 1, t[3], t[4], t[5], 0))
