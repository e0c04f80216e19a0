# Runs first at every power-up, before main.py: finishes or undoes an over-the-air update (otaboot.py).
# An update never replaces this file. Whatever goes wrong here, main.py still runs.
import sys

try:
    import otaboot

    otaboot.run()
except Exception as error:
    print("plamo: update boot step failed:")
    sys.print_exception(error)
