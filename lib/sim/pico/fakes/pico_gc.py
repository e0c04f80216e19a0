# Virtual Pico W: `gc` as the firmware sees it, recording each collect() in the host's trace so a test
# can prove the heap was compacted before the TLS handshake. Everything else is the real gc.
import gc as _gc
import pico_host

mem_alloc = _gc.mem_alloc
mem_free = _gc.mem_free
enable = _gc.enable
disable = _gc.disable
isenabled = _gc.isenabled
threshold = _gc.threshold


def collect():
    pico_host.trace("gc.collect", "")
    return _gc.collect()
