# Virtual Pico W: `ntptime` from micropython-lib. settime() asks the host, which may fail it on script
# (the query then takes `timeout` seconds of device time, as a lost UDP reply does).
import pico_host

host = "pool.ntp.org"
timeout = 1


def settime():
    errno = pico_host.ntp_settime(host, timeout)
    if errno:
        raise OSError(errno)


def time():
    settime()
    return pico_host.rtc_s()
