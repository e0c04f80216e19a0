import { ScriptedBroker, VirtualClock, VirtualPico } from '../../lib/sim/pico';
import { bench } from './support';

/**
 * The boot step against a power cut at every moment: the file system's os.rename is the only step that
 * changes which file a path names (littlefs replaces the target atomically, like POSIX rename), so a cut
 * can only fall before or after each rename. For every k, the boot step runs with the power gone after k
 * renames (os inside otaboot and otastate is a stand-in that raises then, the way the board would just stop), then
 * the next boot replays the journal on what was left.
 */
const SCENARIO = `
import os as _os, json, otaboot, otastate

class _Cut(Exception):
    pass

class _CutOs:
    # os as otaboot sees it, with the power gone after \`left\` renames.
    def __init__(self, left):
        self.left = left
    def rename(self, a, b):
        if self.left == 0:
            raise _Cut()
        self.left -= 1
        _os.rename(a, b)
    def __getattr__(self, name):
        return getattr(_os, name)

def _write(path, text):
    otaboot.makedirs(path)
    with open(path, "w") as f:
        f.write(text)

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None

def _fresh():
    # The car at version 1 (a.py, b.py), an update to version 2 verified in ota/new/ that changes both
    # and adds lib/c.py, and a crash log of version 1.
    otaboot.remove_tree("ota")
    for path in ("a.py", "b.py", "lib/c.py", "last_error.txt"):
        try:
            _os.remove(path)
        except OSError:
            pass
    _write("a.py", "A1")
    _write("b.py", "B1")
    _write("last_error.txt", "old crash")
    _write("ota/new/a.py", "A2")
    _write("ota/new/b.py", "B2")
    _write("ota/new/lib/c.py", "C2")
    _write(otaboot.MANIFEST, json.dumps({"swap": ["a.py", "b.py", "lib/c.py"]}))
    otaboot.write_state({"phase": "staged", "job": "plamo-ota-9", "version": "2", "previous": "1"})

def _files():
    return [_read("a.py"), _read("b.py"), _read("lib/c.py")]

def _boot(cut_after=None):
    # One boot step; True when the power went before it finished.
    # Both modules' os: the boot step's renames and the journal's own.
    otaboot.os = otastate.os = _CutOs(cut_after) if cut_after is not None else _os
    try:
        otaboot.run()
        return False
    except _Cut:
        return True
    finally:
        otaboot.os = otastate.os = _os
        otaboot.confirmed()

def _crash_on_trial(text):
    # The update swapped in, then the new version crashed (leaving its log) before it came online.
    _fresh()
    _boot()
    _write("last_error.txt", text)
    state = otaboot.read_state()
    state["boots"] = 1
    otaboot.write_state(state)
    _boot()
    return json.dumps(otaboot.read_state())

def _scenario(to_trial_then_fail):
    results = []
    k = 0
    while True:
        _fresh()
        if to_trial_then_fail:
            _boot()
            state = otaboot.read_state()
            state["boots"] = 1
            otaboot.write_state(state)
        cut = _boot(k)
        if not cut:
            break
        _boot()
        state = otaboot.read_state()
        results.append([k, state["phase"], state.get("status"), _files(), otaboot.exists("ota/new"), otaboot.exists("ota/old")])
        k += 1
    return results
`;

async function board(): Promise<VirtualPico> {
  const b = await bench();
  const files = new Map((b.pico as unknown as { options: { files: Map<string, string | Uint8Array> } }).options.files);
  const clock = new VirtualClock();
  const pico = await VirtualPico.create({ files, clock, wire: new ScriptedBroker(clock) });
  pico.eval('0');
  (pico as unknown as { mp: { runPython(code: string): void } }).mp.runPython(SCENARIO);
  return pico;
}

type Row = [number, string, string | null, (string | null)[], boolean, boolean];

function run(pico: VirtualPico, toTrialThenFail: boolean): Row[] {
  return JSON.parse(pico.eval(`json.dumps(_scenario(${toTrialThenFail ? 'True' : 'False'}))`) as string);
}

describe('the boot step survives a power cut at any moment', () => {
  test('mid-swap: after the cut, the next boot finishes the swap and every file is the new version', async () => {
    const pico = await board();
    const rows = run(pico, false);
    // Moving the crash log aside, the journal's two steps and two renames per file: a cut after each.
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) expect(row).toEqual([row[0], 'trial', null, ['A2', 'B2', 'C2'], true, true]);
  });

  test('mid-rollback: after the cut, the next boot finishes the rollback and every file is the old version again', async () => {
    const pico = await board();
    const rows = run(pico, true);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row).toEqual([row[0], 'report', 'FAILED', ['A1', 'B1', null], false, false]);
  });

  test('a rollback tells why: the new version crashed, with its last line', async () => {
    const pico = await board();
    const state = pico.eval('_crash_on_trial("Traceback\\nValueError: bad lamp\\n")') as string;
    expect(JSON.parse(state)).toEqual({
      phase: 'report',
      job: 'plamo-ota-9',
      status: 'FAILED',
      version: '1',
      cause: 'crashed: ValueError: bad lamp',
    });
  });
});
