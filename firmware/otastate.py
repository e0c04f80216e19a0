# The journal and files of an over-the-air update, shared by the boot step (otaboot.py) and the download
# (updater.py), so a car that downloads does not hold the boot step's swap and rollback code as well.
# The journal, ota/journal.json, is always replaced whole: written to ota/journal.tmp, then os.rename,
# which littlefs does atomically (the target replaced, as POSIX rename does).
import json
import os
import sys

STATE = "ota/journal.json"
_STATE_TMP = "ota/journal.tmp"
NEW = "ota/new/"
OLD = "ota/old/"
# Which files the staged update replaces: {"swap": [path, …]}.
MANIFEST = "ota/swap.json"


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def makedirs(path):
    # Every parent folder of a file path ("ota/new/lib/x.py" -> ota, ota/new, ota/new/lib).
    at = 0
    while True:
        at = path.find("/", at)
        if at < 0:
            return
        try:
            os.mkdir(path[:at])
        except OSError:
            pass
        at += 1


def remove_tree(path):
    try:
        entries = list(os.ilistdir(path))
    except OSError:
        return
    for entry in entries:
        child = path.rstrip("/") + "/" + entry[0]
        if entry[1] == 0x4000:
            remove_tree(child)
        else:
            os.remove(child)
    os.rmdir(path.rstrip("/"))


def read_state():
    try:
        with open(STATE) as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def write_state(state):
    makedirs(STATE)
    with open(_STATE_TMP, "w") as file:
        json.dump(state, file)
    os.rename(_STATE_TMP, STATE)


def clear_state():
    try:
        os.remove(STATE)
    except OSError:
        pass




def commit():
    # The new version came online: the trial is over and the old files are no longer needed.
    otaboot = sys.modules.get("otaboot")
    if otaboot is not None:
        otaboot.confirmed()
    state = read_state()
    remove_tree(OLD)
    remove_tree(NEW)
    write_state({"phase": "report", "job": state["job"], "status": "SUCCEEDED", "version": state.get("version", "")})
