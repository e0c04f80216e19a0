import { otaStreamId } from '../../lib/contract';
import { jobDocument, packageUpdate, renderUpdateFiles } from '../../lib/ota/package';
import { IotJobsEmulator } from '../../lib/sim/aws-iot/jobs';
import { internedBytes } from '../../lib/sim/pico';
import { bench, boot, CAR, HOST, testConfig } from './support';

// While a download runs, the car holds updater.py, its state and one block at a time on top of what it
// holds after boot. It must leave room for a TLS handshake: a link that drops mid-download reconnects with
// the updater still loaded. Measured: 15,568 B resident while downloading (updater.py with otastate.py
// and otaconfig.py, the manifest plan, the open file and its hash), back to the after-boot figure once the
// update is done or gone. A Pico W has about 190 KB free after MicroPython starts (docs/performance.md) and
// the firmware takes 40 KB, so over 130 KB stay free for a handshake that needs tens of KB in one piece.
const DOWNLOAD_RESIDENT_BUDGET = 16 * 1024;

test('heap while downloading stays within its budget, and the updater leaves the heap (all but its interned names) when the download is abandoned', async () => {
  const b = await bench();
  const jobs = new IotJobsEmulator({ now: () => Date.UTC(2026, 5, 1) + b.clock.now() });
  let blocks = 0;
  let hold = false;
  jobs.connect((topic, payload) => {
    if (topic.endsWith('/data/json') && (hold || ++blocks > 8)) {
      hold = true;
      return;
    }
    b.broker.send(topic, payload);
  });
  b.broker.onPublish = (record) => {
    if (jobs.handles(record.topic)) jobs.request(record.topic, Buffer.from(record.payload));
  };
  await boot(b);
  // binascii is C on the rp2 port, Python (micropython-lib) in this interpreter: the board's, not the update's.
  b.pico.eval('__import__("binascii")');
  const afterBoot = b.pico.heapUsed();
  const internedAfterBoot = internedBytes(b.pico);
  // The whole firmware, so the download runs for many blocks: every file differs from a car of another version.
  const pkg = packageUpdate(renderUpdateFiles(testConfig(), CAR, { mqttHost: HOST, mqttPort: 8883 }));
  const stream = jobs.putStream(otaStreamId(CAR), pkg.streamFiles);
  jobs.createJob(CAR, 'plamo-ota-mem', jobDocument(pkg, stream.version));
  await b.clock.runFor(2_000);
  expect(hold).toBe(true);
  expect(b.pico.eval('"updater" in sys.modules')).toBe(true);
  const downloading = b.pico.heapUsed() - afterBoot;
  expect(downloading).toBeGreaterThan(0);
  expect(downloading).toBeLessThanOrEqual(DOWNLOAD_RESIDENT_BUDGET);
  // The stream never answers again: after its retries the update fails, and the updater leaves the heap.
  await b.clock.runFor(60_000);
  expect(jobs.describe(CAR, 'plamo-ota-mem')?.status).toBe('FAILED');
  expect(b.pico.eval('"updater" in sys.modules')).toBe(false);
  // What stays are the names updater.py interned (MicroPython never frees them), until the next reset.
  const interned = internedBytes(b.pico) - internedAfterBoot;
  expect(b.pico.heapUsed() - afterBoot - interned).toBeLessThan(1024);
});
