import { GetRetainedMessageCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  CancelJobCommand,
  CreateJobCommand,
  CreateStreamCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  IoTClient,
  ListJobExecutionsForThingCommand,
  UpdateStreamCommand,
} from '@aws-sdk/client-iot';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { otaStreamId } from '../../lib/contract';
import { AwsControlPlane } from '../../lib/ota/aws-control-plane';
import { packageUpdate, renderUpdateFiles } from '../../lib/ota/package';
import { runUpdate } from '../../lib/ota/update-flow';
import { CAR, HOST, testConfig } from '../firmware/support';

const s3 = mockClient(S3Client);
const iot = mockClient(IoTClient);
const iotData = mockClient(IoTDataPlaneClient);
const BUCKET = 'plamoiot-otabucket-abc';
const ROLE = 'arn:aws:iam::123456789012:role/PlamoIot-OtaStreamRole';
const THING_ARN = `arn:aws:iot:eu-west-1:123456789012:thing/${CAR}`;

const missing = (name: string) => Object.assign(new Error(name), { name });
const retained = (status: object) => ({ payload: Buffer.from(JSON.stringify(status)) });

function plane() {
  return new AwsControlPlane({
    clients: { s3: new S3Client({}), iot: new IoTClient({}), iotData: new IoTDataPlaneClient({}) },
    bucket: BUCKET,
    streamRoleArn: ROLE,
    topicRoot: 'cars',
  });
}

const next = testConfig((input) => {
  input.cars[CAR].lamps.fog = { pin: 'GP6', kind: 'pwm', currentMa: 5 };
});

beforeEach(() => {
  s3.reset();
  iot.reset();
  iotData.reset();
  s3.on(PutObjectCommand).resolves({});
  iot.on(DescribeThingCommand).resolves({ thingName: CAR, thingArn: THING_ARN });
  iot.on(ListJobExecutionsForThingCommand).resolves({ executionSummaries: [] });
  iot.on(CreateJobCommand).resolves({ jobId: 'x' });
});

async function update(lines: string[] = []) {
  return runUpdate({
    config: next,
    carId: CAR,
    plane: plane(),
    mqttHost: HOST,
    mqttPort: 8883,
    readStatus: (car) => plane().readStatus(car),
    progress: (line) => lines.push(line),
    pollMs: 1,
    timeoutMs: 5_000,
  });
}

describe('plamo ota on AWS', () => {
  test('files go to S3 under the car and version, the stream is created over them, one job targets the car’s thing', async () => {
    s3.on(GetObjectCommand).rejects(missing('NoSuchKey'));
    iot.on(UpdateStreamCommand).rejects(missing('ResourceNotFoundException'));
    iot.on(CreateStreamCommand).resolves({ streamId: otaStreamId(CAR), streamVersion: 1 });
    const version = renderUpdateFiles(next, CAR, { mqttHost: HOST, mqttPort: 8883 }).version;
    iotData
      .on(GetRetainedMessageCommand)
      .resolvesOnce(retained({ online: true, fw: '0.1.0', ip: '10.0.0.2' }))
      .resolves(retained({ online: true, fw: version, ip: '10.0.0.2' }));
    iot
      .on(DescribeJobExecutionCommand)
      .resolvesOnce({
        execution: { status: 'IN_PROGRESS', statusDetails: { detailsMap: { step: 'rebooting', files: '1/1', bytes: '10/10' } } },
      })
      .resolves({ execution: { status: 'SUCCEEDED', statusDetails: { detailsMap: { version } } } });
    const lines: string[] = [];
    const outcome = await update(lines);
    expect(outcome).toMatchObject({ kind: 'online', version });

    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    for (const input of keys) {
      expect(input.Bucket).toBe(BUCKET);
      expect(input.Key).toMatch(new RegExp(`^ota/${CAR}/${version.replace('+', '\\+')}/`));
    }
    const created = iot.commandCalls(CreateStreamCommand)[0].args[0].input;
    expect(created.streamId).toBe(otaStreamId(CAR));
    expect(created.roleArn).toBe(ROLE);
    expect(created.files?.[0]).toEqual({ fileId: 0, s3Location: { bucket: BUCKET, key: `ota/${CAR}/${version}/manifest.json` } });
    expect(created.files).toHaveLength(keys.length);
    const job = iot.commandCalls(CreateJobCommand)[0].args[0].input;
    expect(job.targets).toEqual([THING_ARN]);
    expect(job.targetSelection).toBe('SNAPSHOT');
    expect(job.jobId).toMatch(/^plamo-ota-[A-Za-z0-9_-]{1,54}$/);
    expect(JSON.parse(job.document ?? '')).toMatchObject({ operation: 'plamo-ota', version, streamVersion: 1 });
    expect(lines).toContain('… rebooting into the update (1/1 files, 10/10 bytes checked)');
    expect(lines.at(-1)).toBe(`✓ ${CAR} is online with firmware ${version}`);
  });

  test('with the manifest of the version the car runs, only the changed files are uploaded, and the stream is updated', async () => {
    const before = packageUpdate(renderUpdateFiles(testConfig(), CAR, { mqttHost: HOST, mqttPort: 8883 }));
    // The SDK's body stream, as far as the code reads it.
    const body = { transformToByteArray: async () => new Uint8Array(before.manifestBytes) };
    s3.on(GetObjectCommand).resolves({ Body: body as never });
    iot.on(UpdateStreamCommand).resolves({ streamVersion: 4 });
    iotData.on(GetRetainedMessageCommand).resolves(retained({ online: false, fw: before.version }));
    const outcome = await update();
    expect(outcome.kind).toBe('queued');
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key)).toEqual([
      `ota/${CAR}/${outcome.version}/manifest.json`,
      `ota/${CAR}/${outcome.version}/config.py`,
    ]);
    expect(iot.commandCalls(CreateStreamCommand)).toHaveLength(0);
    expect(JSON.parse(iot.commandCalls(CreateJobCommand)[0].args[0].input.document ?? '')).toMatchObject({ streamVersion: 4 });
  });

  test('an earlier update still pending is cancelled first', async () => {
    s3.on(GetObjectCommand).rejects(missing('NoSuchKey'));
    iot.on(UpdateStreamCommand).resolves({ streamVersion: 2 });
    iot.on(ListJobExecutionsForThingCommand).resolves({
      executionSummaries: [
        { jobId: 'plamo-ota-old', jobExecutionSummary: { status: 'QUEUED', queuedAt: new Date() } },
        { jobId: 'plamo-ota-done', jobExecutionSummary: { status: 'SUCCEEDED', queuedAt: new Date() } },
        { jobId: 'someone-elses-job', jobExecutionSummary: { status: 'QUEUED', queuedAt: new Date() } },
      ],
    });
    iotData.on(GetRetainedMessageCommand).rejects(missing('ResourceNotFoundException'));
    expect((await update()).kind).toBe('queued');
    expect(iot.commandCalls(CancelJobCommand).map((call) => call.args[0].input)).toEqual([
      { jobId: 'plamo-ota-old', force: true, comment: 'replaced by a newer update' },
    ]);
  });

  test('a job the car fails says why, from its statusDetails', async () => {
    s3.on(GetObjectCommand).rejects(missing('NoSuchKey'));
    iot.on(UpdateStreamCommand).resolves({ streamVersion: 3 });
    iotData.on(GetRetainedMessageCommand).resolves(retained({ online: true, fw: '0.1.0', ip: '10.0.0.2' }));
    iot.on(DescribeJobExecutionCommand).resolves({
      execution: { status: 'FAILED', statusDetails: { detailsMap: { reason: 'rolled back: not online within 120 s' } } },
    });
    const lines: string[] = [];
    expect(await update(lines)).toMatchObject({ kind: 'failed', reason: 'rolled back: not online within 120 s' });
    expect(lines.at(-1)).toBe('✗ the update did not take: rolled back: not online within 120 s');
  });
});
