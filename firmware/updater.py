# (The module is not called ota.py: the folder ota/ holds the staging area, and a folder shadows a module.)
# Over-the-air updates while the car runs, on AWS IoT's own engine and over the one MQTT link the car
# already keeps: the job comes from AWS IoT Jobs (notify-next, $next/get), the files from an AWS IoT
# MQTT-based file delivery stream, one block per request so every message fits the link's receive
# buffer. Files are written to ota/new/ and each is checked against the manifest's size and SHA-256
# before anything is replaced; the swap itself happens at the next boot (otaboot.py). Topics, block
# size and protected paths come from otaconfig.py (lib/contract/ota.ts).
from micropython import const
import binascii
import hashlib
import json
import os
import sys
import config
import clock
import otaconfig
import otastate
from otastate import NEW, exists, makedirs, read_state, remove_tree, write_state

_SOURCE_MANIFEST = "ota/manifest.json"
# A block not answered in this long is asked for again; after this many tries the update fails.
_BLOCK_TIMEOUT_MS = const(10000)
_BLOCK_TRIES = const(5)
# Time for the "rebooting" report to leave before the reset.
_REBOOT_DELAY_MS = const(1000)
_CHUNK = const(512)
_IDLE_MS = const(3600000)
_JOB_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
_PATH_CHARS = _JOB_ID_CHARS + "./"


class UpdateError(Exception):
    # Why an update cannot go on, in words for the job's statusDetails and the events topic.
    pass


def sha256_hex(data=None, path=None):
    digest = hashlib.sha256()
    if path is None:
        digest.update(data)
    else:
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        try:
            with open(path, "rb") as file:
                while True:
                    count = file.readinto(buffer)
                    if not count:
                        break
                    digest.update(view[:count])
        except OSError:
            return None
    return binascii.hexlify(digest.digest()).decode()


def _plain(text, chars, longest):
    return isinstance(text, str) and 0 < len(text) <= longest and all(char in chars for char in text)


def path_problem(path):
    # Why a manifest may not name this path, or None. Credentials and the boot step are never replaced.
    if not _plain(path, _PATH_CHARS, 64) or any(part in ("", ".", "..") for part in path.split("/")):
        return "%r is not a plain relative path" % (path,)
    if path in otaconfig.PROTECTED_FILES:
        return "%s is never replaced by an update" % path
    for folder in otaconfig.PROTECTED_DIRS:
        if path.startswith(folder):
            return "%s is in %s, which an update never writes" % (path, folder)
    return None


def flash_needed(sizes, block):
    # littlefs stores each file in whole blocks, plus one for its metadata; two spare blocks for the
    # journal and the copy-on-write of the directories.
    return (sum((size + block - 1) // block + 1 for size in sizes) + 2) * block


def flash_free(statvfs):
    # f_bsize * f_bavail of os.statvfs().
    return statvfs[0] * statvfs[4]


def document_problem(document):
    if not isinstance(document, dict) or document.get("operation") != otaconfig.OPERATION:
        return "not an update for this firmware"
    manifest = document.get("manifest")
    if not _plain(document.get("version"), _PATH_CHARS + "+", 48) or not isinstance(document.get("streamVersion"), int):
        return "the job document has no valid version or streamVersion"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("size"), int) or not 0 < manifest["size"] <= otaconfig.MANIFEST_MAX_BYTES:
        return "the job document's manifest size is missing or over %d bytes" % otaconfig.MANIFEST_MAX_BYTES
    if not isinstance(manifest.get("sha256"), str) or len(manifest["sha256"]) != 64:
        return "the job document's manifest has no SHA-256"
    return None


def plan(manifest, version, statvfs):
    # The files to download (path, size, sha256, file id) for this manifest, or UpdateError. A file the
    # car already holds with the right hash is not fetched again.
    if not isinstance(manifest, dict) or manifest.get("version") != version or not isinstance(manifest.get("files"), list):
        raise UpdateError("the manifest does not describe version %s" % version)
    wanted = []
    for entry in manifest["files"]:
        if not isinstance(entry, dict):
            raise UpdateError("a manifest entry is not an object")
        path, size, digest, file_id = entry.get("path"), entry.get("size"), entry.get("sha256"), entry.get("fileId")
        problem = path_problem(path)
        if problem:
            raise UpdateError("refused: " + problem)
        if not isinstance(size, int) or size < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise UpdateError("the manifest entry for %s has no valid size or SHA-256" % path)
        if sha256_hex(path=path) == digest:
            continue
        if not isinstance(file_id, int):
            raise UpdateError("%s differs from the update, which does not carry it" % path)
        wanted.append((path, size, digest, file_id))
    needed = flash_needed([entry[1] for entry in wanted], statvfs[0])
    free = flash_free(statvfs)
    if needed > free:
        raise UpdateError("not enough flash: the update needs %d KB, %d KB are free" % (needed // 1024, free // 1024))
    return wanted


class Updater:
    def __init__(self, device):
        self._device = device
        self._job = None
        self._ignored = None
        self._document = None
        # The download: the files still to fetch, the one being written, and where in it we are.
        self._files = []
        self._current = None
        self._file = None
        self._hash = None
        self._block = 0
        self._got = 0
        self._asked_at = 0
        self._tries = 0
        self._done = [0, 0, 0, 0]
        self.reboot_at = None

    # --- the link's side --------------------------------------------------------------------------

    def handle(self, topic, payload):
        # A message from the job queue or the stream, or (topic None) the news that the car is online.
        # Returns whether there is still work for this module (the link drops it from RAM otherwise).
        if topic is None:
            self._online()
        elif topic == otaconfig.STREAM_DATA:
            self._on_block(payload)
        elif topic == otaconfig.NOTIFY_NEXT or topic == otaconfig.NEXT_ACCEPTED:
            self._on_next(json.loads(payload).get("execution"))
        elif topic == otaconfig.STREAM_REJECTED and self._job is not None:
            message = json.loads(payload)
            self._fail("the stream refused the download: %s %s" % (message.get("o", ""), message.get("m", "")))
        return self._current is not None or self.reboot_at is not None or read_state() is not None

    def step(self):
        # Called by the link while online: asks again for a block that got lost. Returns ms until it
        # wants the next step, or -1 when it is time to reset into the staged update.
        now = clock.ticks_ms()
        if self.reboot_at is not None:
            left = clock.ticks_diff(self.reboot_at, now)
            return -1 if left <= 0 else left
        if self._current is None:
            return _IDLE_MS
        if clock.ticks_diff(now, self._asked_at) >= _BLOCK_TIMEOUT_MS:
            self._tries += 1
            if self._tries >= _BLOCK_TRIES:
                self._fail("no block %d of %s after %d requests" % (self._block, self._current[0], _BLOCK_TRIES))
                return _IDLE_MS
            self._ask()
        return max(0, _BLOCK_TIMEOUT_MS - clock.ticks_diff(now, self._asked_at))

    def _online(self):
        # An update on trial has now come online; a result is told once; then the queue is asked.
        self._stop()
        state = read_state()
        if state and state.get("phase") == "trial":
            otastate.commit()
            state = read_state()
        if state and state.get("phase") == "report" and not state.get("told"):
            if state["status"] == "SUCCEEDED":
                self._device.report("info", "ota_applied", "firmware %s" % state["version"])
            else:
                self._device.report("error", "ota_rolled_back", state.get("cause", ""))
            state["told"] = True
            write_state(state)
        self._publish(config.OTA_TOPICS[0], '{"includeJobDocument":true}')

    # --- the job ---------------------------------------------------------------------------------

    def _on_next(self, execution):
        state = read_state()
        reporting = state is not None and state.get("phase") == "report"
        if execution is None:
            # Nothing pending: a result already reported is done with, a download of a cancelled job stops.
            if reporting:
                otastate.clear_state()
            self._stop()
            return
        job = execution.get("jobId")
        if not _plain(job, _JOB_ID_CHARS, 64):
            return
        if reporting:
            if state["job"] == job:
                details = {"version": state["version"]}
                if state.get("cause"):
                    details["reason"] = "rolled back: " + state["cause"]
                self._update(job, state["status"], details)
                return
            otastate.clear_state()
        if (state is not None and state.get("phase") == "staged") or job == self._job or job == self._ignored:
            return
        if execution.get("status") not in ("QUEUED", "IN_PROGRESS"):
            return
        if "jobDocument" not in execution:
            # A notification without the document: ask for it ($next/get answers with it).
            self._publish(config.OTA_TOPICS[0], '{"includeJobDocument":true}')
            return
        document = execution.get("jobDocument")
        problem = document_problem(document)
        if problem:
            self._ignored = job
            self._update(job, "REJECTED", {"reason": problem})
            self._device.report("warn", "ota_rejected", problem)
            return
        self._start(job, document)

    def _start(self, job, document):
        self._stop()
        remove_tree(NEW)
        self._job = job
        self._document = document
        self._files = []
        self._done = [0, 0, 0, 0]
        self._update(job, "IN_PROGRESS", {"step": "downloading", "version": document["version"]})
        manifest = document["manifest"]
        self._open((_SOURCE_MANIFEST, manifest["size"], manifest["sha256"], 0))

    def _open(self, entry):
        self._current = entry
        self._block = 0
        self._got = 0
        self._tries = 0
        self._hash = hashlib.sha256()
        target = entry[0] if entry[0] == _SOURCE_MANIFEST else NEW + entry[0]
        makedirs(target)
        self._file = open(target, "wb")
        if entry[1] == 0:
            self._file_done()
        else:
            self._ask()

    def _ask(self):
        self._asked_at = clock.ticks_ms()
        request = '{"s":%d,"f":%d,"l":%d,"o":%d,"n":1}' % (self._document["streamVersion"], self._current[3], otaconfig.BLOCK_BYTES, self._block)
        self._publish(otaconfig.STREAM_GET, request)

    def _on_block(self, payload):
        entry = self._current
        if entry is None:
            return
        message = json.loads(payload)
        if message.get("f") != entry[3] or message.get("i") != self._block:
            # A late answer to a request asked again: its block is already written.
            return
        # Bytes, not str: this build's binascii is the Python one from micropython-lib, which takes bytes only.
        data = binascii.a2b_base64(message.get("p", "").encode())
        expected = min(otaconfig.BLOCK_BYTES, entry[1] - self._got)
        if len(data) != expected:
            self._fail("block %d of %s has %d bytes, not %d" % (self._block, entry[0], len(data), expected))
            return
        self._file.write(data)
        self._hash.update(data)
        self._got += len(data)
        self._block += 1
        self._tries = 0
        if self._got < entry[1]:
            self._ask()
        else:
            self._file_done()

    def _file_done(self):
        entry = self._current
        self._file.close()
        self._file = None
        self._current = None
        if binascii.hexlify(self._hash.digest()).decode() != entry[2]:
            # Checked before anything is replaced: a corrupted block never reaches the swap.
            self._fail("%s does not match its SHA-256 in the manifest" % entry[0])
            return
        try:
            if entry[0] == _SOURCE_MANIFEST:
                with open(_SOURCE_MANIFEST) as file:
                    manifest = json.load(file)
                self._files = plan(manifest, self._document["version"], os.statvfs("/"))
                self._done[1] = len(self._files)
                self._done[3] = sum(item[1] for item in self._files)
            else:
                self._done[0] += 1
                self._done[2] += entry[1]
                self._update(self._job, "IN_PROGRESS", self._progress("downloading"))
        except (UpdateError, ValueError, OSError) as error:
            self._fail(str(error) if isinstance(error, UpdateError) else "the manifest is unreadable: %r" % (error,))
            return
        if self._files:
            self._open(self._files.pop(0))
        else:
            self._stage()

    def _progress(self, step):
        done = self._done
        return {"step": step, "files": "%d/%d" % (done[0], done[1]), "bytes": "%d/%d" % (done[2], done[3])}

    def _stage(self):
        # Every file is in ota/new/ and checked: say which to swap, mark the update staged, and reset
        # into the boot step.
        swap = []
        for path in self._ls(NEW):
            swap.append(path)
        with open(otastate.MANIFEST, "w") as file:
            json.dump({"swap": swap}, file)
        version = self._document["version"]
        write_state({"phase": "staged", "job": self._job, "version": version, "previous": config.FIRMWARE_VERSION})
        self._update(self._job, "IN_PROGRESS", self._progress("rebooting"))
        self._device.report("info", "ota_staged", "firmware %s: %d files, rebooting" % (version, len(swap)))
        self.reboot_at = clock.ticks_add(clock.ticks_ms(), _REBOOT_DELAY_MS)

    def _ls(self, folder, prefix=""):
        paths = []
        for entry in os.ilistdir(folder + prefix):
            path = prefix + entry[0]
            if entry[1] == 0x4000:
                paths.extend(self._ls(folder, path + "/"))
            else:
                paths.append(path)
        return paths

    def _fail(self, reason):
        job = self._job
        self._stop()
        remove_tree(NEW)
        self._ignored = job
        self._device.report("warn", "ota_failed", reason)
        if job is not None:
            self._update(job, "FAILED", {"reason": reason[:1000]})

    def _stop(self):
        # Drops a download in progress (the link broke, the job went away); ota/new/ is cleared on the next start.
        if self._file is not None:
            self._file.close()
        self._file = None
        self._current = None
        self._job = None
        if exists(_SOURCE_MANIFEST):
            os.remove(_SOURCE_MANIFEST)

    def _update(self, job, status, details):
        payload = json.dumps({"status": status, "statusDetails": details})
        self._publish(otaconfig.JOBS_PREFIX + job.encode() + otaconfig.UPDATE_SUFFIX, payload)

    def _publish(self, topic, payload):
        self._device.link.publish(topic, payload)


# The link's side: one Updater per run, reached through the module so the link needs no more names.
_updater = None
# ms until the updater wants its next step (what step() last said).
due = 0


def handle(device, topic, payload):
    # Returns whether there is still work; when not, this module's helpers leave the heap (the link
    # drops this module itself).
    global _updater, due
    if _updater is None:
        _updater = Updater(device)
    busy = _updater.handle(topic, payload)
    due = 0
    if not busy:
        for name in ("otaboot", "otastate", "otaconfig"):
            sys.modules.pop(name, None)
    return busy


def step():
    global due
    due = _updater.step()
    return due
