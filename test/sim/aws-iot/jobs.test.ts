import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IotJobsEmulator } from '../../../lib/sim/aws-iot/jobs';

const THING = 'rps13';
const JOBS = `$aws/things/${THING}/jobs`;

function emulator(file?: string) {
  const sent: { topic: string; message: Record<string, unknown> }[] = [];
  let now = 1_780_000_000_000;
  const jobs = new IotJobsEmulator({ file, now: () => (now += 1000) });
  jobs.connect((topic, payload) => sent.push({ topic, message: JSON.parse(payload) }));
  const ask = (topic: string, body: unknown) => jobs.request(topic, Buffer.from(JSON.stringify(body)));
  const last = (topic: string) => sent.filter((entry) => entry.topic === topic).at(-1)?.message;
  return { jobs, sent, ask, last };
}

describe("the twin's AWS IoT Jobs", () => {
  test('a job for an offline thing waits QUEUED; $next/get hands it out with its document', () => {
    const { jobs, ask, last } = emulator();
    jobs.createJob(THING, 'plamo-ota-1', { operation: 'plamo-ota' });
    expect(jobs.describe(THING, 'plamo-ota-1')?.status).toBe('QUEUED');
    ask(`${JOBS}/$next/get`, { clientToken: 'n' });
    expect(last(`${JOBS}/$next/get/accepted`)).toMatchObject({
      clientToken: 'n',
      execution: { jobId: 'plamo-ota-1', status: 'QUEUED', versionNumber: 1, executionNumber: 1, jobDocument: { operation: 'plamo-ota' } },
    });
  });

  test('notify-next goes out when the next execution changes, and without execution once none is pending', () => {
    const { jobs, ask, sent } = emulator();
    jobs.createJob(THING, 'plamo-ota-1', {});
    jobs.createJob(THING, 'plamo-ota-2', {});
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'SUCCEEDED', statusDetails: { version: '2' } });
    ask(`${JOBS}/plamo-ota-2/update`, { status: 'FAILED', statusDetails: { reason: 'no flash' } });
    const notes = sent
      .filter((entry) => entry.topic === `${JOBS}/notify-next`)
      .map((entry) => (entry.message.execution as { jobId?: string })?.jobId ?? null);
    expect(notes).toEqual(['plamo-ota-1', 'plamo-ota-2', null]);
  });

  test('an IN_PROGRESS execution comes before an older QUEUED one', () => {
    const { jobs, ask, last } = emulator();
    jobs.createJob(THING, 'plamo-ota-1', {});
    jobs.createJob(THING, 'plamo-ota-2', {});
    ask(`${JOBS}/plamo-ota-2/update`, { status: 'IN_PROGRESS' });
    ask(`${JOBS}/$next/get`, {});
    expect(last(`${JOBS}/$next/get/accepted`)).toMatchObject({ execution: { jobId: 'plamo-ota-2', status: 'IN_PROGRESS' } });
  });

  test('updates are refused as AWS refuses them: a finished job, a status a device may not set, statusDetails over the limits', () => {
    const { jobs, ask, last } = emulator();
    jobs.createJob(THING, 'plamo-ota-1', {});
    const rejected = `${JOBS}/plamo-ota-1/update/rejected`;
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'CANCELED' });
    expect(last(rejected)).toMatchObject({ code: 'InvalidRequest', message: 'status CANCELED is not one a device sets' });
    const eleven = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'IN_PROGRESS', statusDetails: eleven });
    expect(last(rejected)).toMatchObject({ code: 'InvalidRequest', message: 'statusDetails has 11 pairs, at most 10' });
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'IN_PROGRESS', statusDetails: { reason: 'x'.repeat(1025) } });
    expect(last(rejected)).toMatchObject({ code: 'InvalidRequest' });
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'SUCCEEDED' });
    ask(`${JOBS}/plamo-ota-1/update`, { status: 'FAILED' });
    expect(last(rejected)).toMatchObject({ code: 'InvalidStateTransition', message: 'plamo-ota-1 is SUCCEEDED' });
    expect(jobs.describe(THING, 'plamo-ota-1')).toMatchObject({ status: 'SUCCEEDED', versionNumber: 2 });
  });

  test("the stream answers a block request with the block, and refuses another version's request", () => {
    const { jobs, ask, sent, last } = emulator();
    const file = Buffer.from(Array.from({ length: 700 }, (_, i) => i % 256));
    jobs.putStream('plamo-ota-rps13', new Map([[0, file]]));
    const stream = `$aws/things/${THING}/streams/plamo-ota-rps13`;
    ask(`${stream}/get/json`, { s: 1, f: 0, l: 512, o: 1, n: 1 });
    const data = last(`${stream}/data/json`) as { f: number; i: number; l: number; p: string };
    expect(data).toMatchObject({ f: 0, i: 1, l: 188 });
    expect(Buffer.from(data.p, 'base64')).toEqual(file.subarray(512));
    jobs.putStream('plamo-ota-rps13', new Map([[0, file]]));
    ask(`${stream}/get/json`, { s: 1, f: 0, l: 512, o: 0, n: 1 });
    expect(last(`${stream}/rejected/json`)).toEqual({ o: 'VersionMismatch', m: 'stream version is 2' });
    ask(`${stream}/get/json`, { s: 2, f: 0, l: 100, o: 0, n: 1 });
    expect(last(`${stream}/rejected/json`)).toMatchObject({ o: 'InvalidRequest' });
    expect(sent.filter((entry) => entry.topic === `${stream}/data/json`)).toHaveLength(1);
  });

  test('jobs and streams survive a restart of the twin', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plamo-jobs-'));
    try {
      const file = join(dir, 'jobs.json');
      const first = emulator(file);
      first.jobs.putStream('plamo-ota-rps13', new Map([[0, Buffer.from('manifest')]]));
      first.jobs.createJob(THING, 'plamo-ota-1', { operation: 'plamo-ota' });
      const second = emulator(file);
      expect(second.jobs.describe(THING, 'plamo-ota-1')?.status).toBe('QUEUED');
      expect(second.jobs.stream('plamo-ota-rps13')?.files.get(0)?.toString()).toBe('manifest');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
