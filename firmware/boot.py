# Runs first at every power-up, before main.py: finishes or undoes an over-the-air update (otaboot.py).
# An update never replaces this file. Whatever goes wrong here, main.py still runs.
import os
import sys

try:
    # otaboot is compiled only when an update is under way: its names would otherwise take RAM for
    # good (interned strings stay).
    os.stat("ota/journal.json")
    import otaboot

    if not otaboot.run():
        # Not needed again until the next update; a trial keeps it for its timer.
        del sys.modules["otaboot"]
    del otaboot
except OSError:
    # No journal: no update to finish.
    pass
except Exception as error:
    print("plamo: update boot step failed:")
    sys.print_exception(error)
