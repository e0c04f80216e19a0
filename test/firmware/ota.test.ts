import { createHash } from 'node:crypto';
import { otaStreamId, otaTopics } from '../../lib/contract';
import { jobDocument, packageUpdate, renderUpdateFiles, type UpdatePackage } from '../../lib/ota/package';
import { IotJobsEmulator } from '../../lib/sim/aws-iot/jobs';
import { WIFI_PASSWORD_FILE } from '../../firmware/generate';
import { type Bench, bench, boot, CAR, command, events, HOST, testConfig } from './support';

const TRIAL_MS = 120_000;
const topics = otaTopics(CAR);

/** AWS IoT Jobs and the file stream behind the scripted broker, on the board's clock. */
function withJobs(b: Bench): IotJobsEmulator {
  const jobs = new IotJobsEmulator({ now: () => Date.UTC(2026, 5, 1) + b.clock.now() });
  jobs.connect((topic, payload) => b.broker.send(topic, payload));
  b.broker.onPublish = (record) => {
    if (jobs.handles(record.topic)) jobs.request(record.topic, Buffer.from(record.payload));
  };
  return jobs;
}

const withFogLamp = testConfig((input) => {
  input.cars[CAR].lamps.fog = { pin: 'GP6', kind: 'pwm', currentMa: 5 };
});

function queue(jobs: IotJobsEmulator, jobId: string, pkg: UpdatePackage, tamper?: (files: Map<number, Buffer>) => void): void {
  const files = new Map(pkg.streamFiles);
  tamper?.(files);
  const stream = jobs.putStream(otaStreamId(CAR), files);
  jobs.createJob(CAR, jobId, jobDocument(pkg, stream.version));
}

function statusFw(b: Bench): string[] {
  return (b.broker.publishedOn(b.topics.status) as { online: boolean; fw?: string }[]).filter((s) => s.online).map((s) => s.fw ?? '');
}

function boardFile(b: Bench, path: string): string | undefined {
  return b.pico.readFile(path);
}

describe('over-the-air update on the virtual car', () => {
  test('a new lamp: only changed files travel, the car swaps at boot, comes online with the new version and the job SUCCEEDS', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const before = renderUpdateFiles(testConfig(), CAR, { mqttHost: HOST });
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }), packageUpdate(before).manifest);
    expect(pkg.changed).toEqual(['config.py']);
    queue(jobs, 'plamo-ota-1', pkg);
    await b.clock.runFor(60_000);
    expect(jobs.describe(CAR, 'plamo-ota-1')).toMatchObject({ status: 'SUCCEEDED', statusDetails: { version: pkg.version } });
    expect(b.pico.resets).toBe(1);
    expect(statusFw(b).at(-1)).toBe(pkg.version);
    expect(b.broker.subscriptions.map((s) => s.filter)).toContain(b.topics.lampSet('fog'));
    expect(events(b).map((e) => e.code)).toEqual(expect.arrayContaining(['ota_staged', 'ota_applied']));
    // The staging area is gone and the credentials are as `plamo device` wrote them.
    expect(b.pico.eval('__import__("otaboot").exists("ota/new") or __import__("otaboot").exists("ota/old")')).toBe(false);
    expect(boardFile(b, WIFI_PASSWORD_FILE)).toBe('pa"ss\\word');
    b.broker.send(b.topics.lampSet('fog'), command('on'));
    await b.clock.runFor(1_000);
    expect(b.pico.pins.duty(6)).toBe(65535);
  });

  test('the progress reaches the job: downloading, files and bytes, then rebooting', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    queue(jobs, 'plamo-ota-2', pkg);
    const steps: Record<string, string>[] = [];
    const original = b.broker.onPublish!;
    b.broker.onPublish = (record) => {
      if (record.topic === topics.jobUpdate('plamo-ota-2')) steps.push(JSON.parse(record.payload).statusDetails);
      original(record);
    };
    await b.clock.runFor(120_000);
    // The stream carries every file (no previous manifest), but the car fetches only what differs from its own.
    expect(pkg.changed.length).toBeGreaterThan(1);
    const size = pkg.manifest.files.find((file) => file.path === 'config.py')!.size;
    expect(steps[0]).toEqual({ step: 'downloading', version: pkg.version });
    expect(steps).toContainEqual({ step: 'rebooting', files: '1/1', bytes: `${size}/${size}` });
    expect(steps.at(-1)).toEqual({ version: pkg.version });
  });

  test('a corrupted block is refused before anything is replaced: job FAILED, no reset, old files in place', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const configBefore = boardFile(b, 'config.py');
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    const fileId = pkg.changed.indexOf('config.py') + 1;
    queue(jobs, 'plamo-ota-3', pkg, (files) => {
      const bad = Buffer.from(files.get(fileId)!);
      bad[100] ^= 0x01;
      files.set(fileId, bad);
    });
    await b.clock.runFor(60_000);
    expect(jobs.describe(CAR, 'plamo-ota-3')).toMatchObject({
      status: 'FAILED',
      statusDetails: { reason: 'config.py does not match its SHA-256 in the manifest' },
    });
    expect(b.pico.resets).toBe(0);
    expect(boardFile(b, 'config.py')).toBe(configBefore);
    expect(b.pico.eval('__import__("otaboot").exists("ota/new")')).toBe(false);
    expect(events(b)).toContainEqual({ level: 'warn', code: 'ota_failed', detail: 'config.py does not match its SHA-256 in the manifest' });
  });

  test('power cut mid-download: the car boots the old version and downloads again', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    queue(jobs, 'plamo-ota-4', pkg);
    let requests = 0;
    const original = b.broker.onPublish!;
    b.broker.onPublish = (record) => {
      if (record.topic === topics.streamGet && ++requests === 6) b.pico.powerCut();
      original(record);
    };
    await b.clock.runFor(120_000);
    // The cut, a boot of the old version (the half-written staging area dropped), a download from the start,
    // then the reset into the update.
    expect(b.pico.traced('power.cut')).toHaveLength(1);
    expect(b.pico.resets).toBe(2);
    const fw = statusFw(b);
    expect(fw.slice(0, 2)).toEqual([fw[0], fw[0]]);
    expect(jobs.describe(CAR, 'plamo-ota-4')?.status).toBe('SUCCEEDED');
    expect(fw.at(-1)).toBe(pkg.version);
  });

  test('an update that cannot come online is rolled back at the next boot: ota_rolled_back, job FAILED with the cause', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const oldFw = statusFw(b)[0];
    // The cloud policy was not deployed first: the broker refuses the new lamp's subscription.
    b.broker.refusedFilters.add(b.topics.lampSet('fog'));
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    queue(jobs, 'plamo-ota-5', pkg);
    await b.clock.runFor(TRIAL_MS + 60_000);
    expect(b.pico.resets).toBe(2);
    expect(statusFw(b).at(-1)).toBe(oldFw);
    expect(events(b)).toContainEqual({ level: 'error', code: 'ota_rolled_back', detail: 'not online within 120 s' });
    expect(jobs.describe(CAR, 'plamo-ota-5')).toMatchObject({
      status: 'FAILED',
      statusDetails: { reason: 'rolled back: not online within 120 s' },
    });
    expect(boardFile(b, 'config.py')).not.toContain('fog');
  });

  test('a car that was offline gets the queued update when it comes online', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    queue(jobs, 'plamo-ota-6', pkg);
    expect(jobs.describe(CAR, 'plamo-ota-6')?.status).toBe('QUEUED');
    await boot(b, 90_000);
    expect(jobs.describe(CAR, 'plamo-ota-6')?.status).toBe('SUCCEEDED');
    expect(statusFw(b).at(-1)).toBe(pkg.version);
  });

  test('a job that is not an update is rejected and reported, and the car carries on', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    jobs.createJob(CAR, 'plamo-ota-7', { operation: 'reboot' });
    await b.clock.runFor(5_000);
    expect(jobs.describe(CAR, 'plamo-ota-7')).toMatchObject({
      status: 'REJECTED',
      statusDetails: { reason: 'not an update for this firmware' },
    });
    expect(b.pico.resets).toBe(0);
  });

  test('a manifest that names a credential is refused before anything is fetched, and the credential stays', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const secret = Buffer.from('stolen-or-replaced');
    const manifest = Buffer.from(
      JSON.stringify({
        version: '9.9.9',
        files: [{ path: WIFI_PASSWORD_FILE, size: secret.length, sha256: createHash('sha256').update(secret).digest('hex'), fileId: 1 }],
      }),
    );
    const stream = jobs.putStream(
      otaStreamId(CAR),
      new Map([
        [0, manifest],
        [1, secret],
      ]),
    );
    jobs.createJob(CAR, 'plamo-ota-8', {
      operation: 'plamo-ota',
      version: '9.9.9',
      streamVersion: stream.version,
      manifest: { size: manifest.length, sha256: createHash('sha256').update(manifest).digest('hex') },
    });
    const asked: number[] = [];
    const original = b.broker.onPublish!;
    b.broker.onPublish = (record) => {
      if (record.topic === topics.streamGet) asked.push(JSON.parse(record.payload).f);
      original(record);
    };
    await b.clock.runFor(10_000);
    expect(jobs.describe(CAR, 'plamo-ota-8')).toMatchObject({
      status: 'FAILED',
      statusDetails: { reason: `refused: ${WIFI_PASSWORD_FILE} is in certs/, which an update never writes` },
    });
    expect(asked).toEqual([0]);
    expect(boardFile(b, WIFI_PASSWORD_FILE)).toBe('pa"ss\\word');
    expect(b.pico.resets).toBe(0);
  });

  test('the free flash is checked against what the files need before the download starts', async () => {
    const b = await bench();
    // os.statvfs() as the rp2 port gives it: 4 KB blocks, `blocks` of them free.
    const plan = (blocks: number) =>
      JSON.parse(
        b.pico.eval(
          `__import__("json").dumps(__import__("updater").plan({"version": "2", "files": [{"path": "big.py", "size": 40000, "sha256": "${'0'.repeat(64)}", "fileId": 1}]}, "2", (4096, 4096, 212, ${blocks}, ${blocks}, 0, 0, 0, 0, 255)))`,
        ) as string,
      );
    // 40,000 B take 10 blocks of 4 KB, one more for littlefs's metadata, and two spare: 13 blocks.
    expect(plan(13)).toEqual([['big.py', 40000, '0'.repeat(64), 1]]);
    expect(() => plan(12)).toThrow('UpdateError: not enough flash: the update needs 52 KB, 48 KB are free');
  });

  test('a notification without the job document makes the car ask for it, then update', async () => {
    const b = await bench();
    const jobs = withJobs(b);
    await boot(b);
    const pkg = packageUpdate(renderUpdateFiles(withFogLamp, CAR, { mqttHost: HOST }));
    const stream = jobs.putStream(otaStreamId(CAR), pkg.streamFiles);
    // Queued behind the car's back, then announced with the execution's summary only.
    jobs.connect(() => {});
    jobs.createJob(CAR, 'plamo-ota-9', jobDocument(pkg, stream.version));
    jobs.connect((topic, payload) => b.broker.send(topic, payload));
    b.broker.send(
      topics.notifyNext,
      JSON.stringify({ timestamp: 1, execution: { jobId: 'plamo-ota-9', status: 'QUEUED', versionNumber: 1 } }),
    );
    await b.clock.runFor(60_000);
    // Had the car judged the summary as the job, it would have rejected it for having no document.
    expect(jobs.describe(CAR, 'plamo-ota-9')?.status).toBe('SUCCEEDED');
    expect(statusFw(b).at(-1)).toBe(pkg.version);
  });
});
