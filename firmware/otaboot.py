# The boot step of over-the-air updates: boot.py runs it at every power-up, before main.py. It finishes
# or undoes an update, so that a power cut at any moment leaves a car that boots. No update replaces
# this file or boot.py: a broken update can never take away the way back.
#
# An update's journal is ota/journal.json (otastate.py), always replaced whole:
#   staged     all files verified in ota/new/; nothing replaced yet
#   swapping   moving files: each live file to ota/old/, then its new one into place (both renames)
#   trial      the new version runs; it has TRIAL_MS to come online, or the next boot restores ota/old/
#   report     a result (SUCCEEDED, or FAILED after a rollback) for the firmware to send to the job
# Every step is safe to run again after a cut, so the boot step simply replays the journal.
from micropython import const
import json
import os
from otastate import MANIFEST, NEW, OLD, exists, makedirs, read_state, remove_tree, write_state

# Wi-Fi, NTP, TLS and MQTT normally take 10-20 s; this leaves room for a slow access point and a
# retry or two, and bounds how long a car runs a version that cannot reach the broker.
TRIAL_MS = const(120000)
_trial_timer = None


def _swap_paths():
    with open(MANIFEST) as file:
        return json.load(file)["swap"]


def swap():
    # Puts every staged file in place, keeping the one it replaces in ota/old/ (or, for a file new in
    # the update, an empty "<path>.added" there). Idempotent per file: a file whose new copy is gone
    # was swapped already; one whose backup exists was half-way.
    for path in _swap_paths():
        if not exists(NEW + path):
            continue
        makedirs(OLD + path)
        if exists(path):
            if not exists(OLD + path):
                os.rename(path, OLD + path)
        elif not exists(OLD + path):
            open(OLD + path + ".added", "w").close()
        makedirs(path)
        os.rename(NEW + path, path)


def rollback():
    # Undoes swap() from wherever it stopped, and is itself safe to replay: a backup goes back, a file
    # the update added goes away, a file still in ota/new/ was never touched.
    for path in _swap_paths():
        if exists(OLD + path):
            os.rename(OLD + path, path)
        elif exists(OLD + path + ".added"):
            if exists(path):
                os.remove(path)
            os.remove(OLD + path + ".added")


def _crash_cause():
    # The new version's crash, when it left one (its last_error.txt; the old one's was set aside).
    try:
        with open("last_error.txt") as file:
            lines = [line for line in file.read().split("\n") if line.strip()]
        return "crashed: " + lines[-1].strip()[:160] if lines else "crashed"
    except OSError:
        return "restarted before it came online"


def _trial_expired(timer):
    # Soft timer callback (rp2 machine.Timer, hard=False): file access is allowed here.
    import machine

    state = read_state()
    if state and state.get("phase") == "trial":
        state["cause"] = "not online within %d s" % (TRIAL_MS // 1000)
        write_state(state)
        machine.reset()


def _start_trial(state):
    global _trial_timer
    import machine

    state["boots"] = state.get("boots", 0) + 1
    write_state(state)
    _trial_timer = machine.Timer(mode=machine.Timer.ONE_SHOT, period=TRIAL_MS, callback=_trial_expired, hard=False)


def confirmed():
    # The new version came online: the trial timer is no longer needed.
    global _trial_timer
    timer, _trial_timer = _trial_timer, None
    if timer is not None:
        timer.deinit()


def _finish_rollback(state):
    rollback()
    write_state({"phase": "report", "job": state["job"], "status": "FAILED", "version": state.get("previous", ""), "cause": state["cause"]})
    remove_tree(NEW)
    remove_tree(OLD)


def run():
    # One pass of the journal at boot; True when the new version is on trial (this module's timer is
    # then running).
    state = read_state()
    phase = state.get("phase") if state else None
    if phase is None or phase == "report":
        if phase is None:
            remove_tree(NEW)
        return False
    if phase == "staged":
        if exists("last_error.txt"):
            # The running version's crash log is not the new one's: set it aside with its firmware.
            makedirs(OLD + "last_error.txt")
            os.rename("last_error.txt", OLD + "last_error.txt")
        state["phase"] = phase = "swapping"
        write_state(state)
    if phase == "swapping":
        swap()
        state["phase"] = phase = "trial"
        state["boots"] = 0
        write_state(state)
    if phase == "trial" and state.get("boots", 0) >= 1:
        state["phase"] = phase = "rolling_back"
        state["cause"] = state.get("cause") or _crash_cause()
        write_state(state)
    if phase == "rolling_back":
        _finish_rollback(state)
        return False
    _start_trial(state)
    return True
