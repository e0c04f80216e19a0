import { generateKeyPairSync } from 'node:crypto';
import {
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CertificateDeps, completeCertificateDelete, onCertificateEvent } from '../../lambda/certificate-provider/certificates';
import { DELETE_WAIT_BOUND_MS } from '../../lambda/certificate-provider/deletion';
import type { CertificateEvent, CertificateResponse, DeleteCompletionEvent } from '../../lambda/certificate-provider/event';
import { handler } from '../../lambda/certificate-provider/index';
import { certificateSecretSchema } from '../../lib/contract/certificate-secret';

const iot = mockClient(IoTClient);
const secrets = mockClient(SecretsManagerClient);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:PlamoIotCarrps13-AbCdEf';
const OLD_ID = 'a'.repeat(64);
const NEW_ID = 'b'.repeat(64);
const arnOf = (id: string) => `arn:aws:iot:eu-west-1:111122223333:cert/${id}`;
// A real PKCS#1 PEM key, as CreateKeysAndCertificate returns it, made for this run only.
const PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
const CERT_PEM = `-----BEGIN CERTIFICATE-----\n${'MIIDWTCCAkGgAwIBAgIU'.repeat(30)}\n-----END CERTIFICATE-----\n`;

const properties = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
  ThingName: 'rps13',
  SecretArn: SECRET_ARN,
  Generation: '1',
};
const common = {
  ServiceToken: properties.ServiceToken,
  ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/presigned?X-Amz-Signature=abc',
  StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/PlamoIot/1',
  LogicalResourceId: 'Carrps13CertificateAbc',
  ResourceType: 'Custom::DeviceCertificate',
};
const createEvent = { ...common, RequestType: 'Create', RequestId: 'req-create-1', ResourceProperties: properties };
const updateEvent = (generation: string) => ({
  ...common,
  RequestType: 'Update',
  RequestId: 'req-update-1',
  PhysicalResourceId: OLD_ID,
  ResourceProperties: { ...properties, Generation: generation },
  OldResourceProperties: properties,
});
const deleteEvent = (physicalId: string) => ({
  ...common,
  RequestType: 'Delete',
  RequestId: 'req-delete-1',
  PhysicalResourceId: physicalId,
  ResourceProperties: properties,
});

/** Every SDK call in order, across both clients. */
let calls: string[];
/** The virtual clock the handler reads, in epoch ms. */
let clock: number;
/** How many times the framework's isComplete was polled in vain during the last `run`. */
let polls: number;
const START = Date.UTC(2026, 0, 1);
/** The Provider framework's query interval (DELETION_POLL). */
const POLL_MS = 10_000;
const deps = (): CertificateDeps => ({
  iot: new IoTClient({}),
  secrets: new SecretsManagerClient({}),
  log: { info: () => undefined, warn: () => undefined },
  now: () => clock,
});

/**
 * What the Provider framework does with one request: onEvent, then, for a deletion that has to wait,
 * isComplete every POLL_MS with the onEvent answer merged into the event, until it is complete or fails.
 */
async function run(event: object): Promise<CertificateResponse> {
  const response = await onCertificateEvent(event as CertificateEvent, deps());
  polls = 0;
  if ((event as { RequestType: string }).RequestType !== 'Delete' || !response.Data || !('DeleteRequestedAt' in response.Data)) {
    return response;
  }
  const completion = { ...event, ...response } as DeleteCompletionEvent;
  while (!(await completeCertificateDelete(completion, deps())).IsComplete) {
    polls++;
    clock += POLL_MS;
  }
  return response;
}
const started = () => ({ DeleteRequestedAt: String(START) });

/** The thing's principals as AWS IoT lists them; DetachThingPrincipal takes one out. */
let thingPrincipals: string[];

function notFound(message = 'not found'): Error {
  return Object.assign(new Error(message), { name: 'ResourceNotFoundException' });
}

beforeEach(() => {
  iot.reset();
  secrets.reset();
  calls = [];
  clock = START;
  // The car's thing has its original certificate attached; rotations attach others (see stored()).
  thingPrincipals = [arnOf(OLD_ID)];
  const record =
    <T>(name: string, result: T) =>
    (input: Record<string, unknown>) => {
      calls.push(`${name}${'newStatus' in input ? `:${input.newStatus}` : ''}`);
      return result;
    };
  iot.on(CreateKeysAndCertificateCommand).callsFake(
    record('CreateKeysAndCertificate', {
      certificateId: NEW_ID,
      certificateArn: arnOf(NEW_ID),
      certificatePem: CERT_PEM,
      keyPair: { PrivateKey: PRIVATE_KEY, PublicKey: '-----BEGIN PUBLIC KEY-----' },
    }),
  );
  iot.on(UpdateCertificateCommand).callsFake(record('UpdateCertificate', {}));
  iot.on(DescribeCertificateCommand).callsFake((input) => {
    calls.push('DescribeCertificate');
    return { certificateDescription: { certificateId: input.certificateId, certificateArn: arnOf(input.certificateId), status: 'ACTIVE' } };
  });
  iot.on(DetachThingPrincipalCommand).callsFake((input) => {
    calls.push('DetachThingPrincipal');
    thingPrincipals = thingPrincipals.filter((arn) => arn !== input.principal);
    return {};
  });
  iot.on(DeleteCertificateCommand).callsFake(record('DeleteCertificate', {}));
  iot.on(ListThingPrincipalsCommand).callsFake(() => {
    calls.push('ListThingPrincipals');
    return { principals: [...thingPrincipals] };
  });
  secrets.on(GetSecretValueCommand).callsFake(record('GetSecretValue', { SecretString: 'generated-placeholder-password' }));
  secrets.on(PutSecretValueCommand).callsFake(record('PutSecretValue', { VersionId: 'v2' }));
});

describe('create', () => {
  test('makes an inactive certificate, stores it with its key in the car secret, then activates it', async () => {
    await run(createEvent);
    expect(calls).toEqual(['GetSecretValue', 'CreateKeysAndCertificate', 'PutSecretValue', 'UpdateCertificate:ACTIVE']);
    expect(iot).toHaveReceivedCommandWith(CreateKeysAndCertificateCommand, { setAsActive: false });
  });

  test('the secret holds exactly what the device bundle reads', async () => {
    await run(createEvent);
    const put = secrets.commandCalls(PutSecretValueCommand)[0].args[0].input;
    expect(put.SecretId).toBe(SECRET_ARN);
    expect(certificateSecretSchema.parse(JSON.parse(put.SecretString!))).toEqual({
      certificateId: NEW_ID,
      certificateArn: arnOf(NEW_ID),
      certificatePem: CERT_PEM,
      privateKey: PRIVATE_KEY,
    });
  });

  test('answers with the certificate id as physical id and only ids and ARNs as data', async () => {
    expect(await run(createEvent)).toEqual({
      PhysicalResourceId: NEW_ID,
      Data: { CertificateId: NEW_ID, CertificateArn: arnOf(NEW_ID) },
    });
  });

  test('the answer carries no key material and fits in the 4 KB CloudFormation allows', async () => {
    const response = JSON.stringify(await run(createEvent));
    expect(response).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|MIIE/);
    expect(Buffer.byteLength(response)).toBeLessThan(4096);
  });

  test('the Lambda handler writes no key material and no presigned URL to its log', async () => {
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    const log = jest.spyOn(console, 'log').mockImplementation((...args) => void written.push(args.map(String).join(' ')));
    const info = jest.spyOn(console, 'info').mockImplementation((...args) => void written.push(args.map(String).join(' ')));
    try {
      await handler(createEvent);
    } finally {
      for (const spy of [stdout, log, info]) spy.mockRestore();
    }
    const output = written.join('\n');
    expect(output).toContain('certificate request');
    expect(output).not.toMatch(/PRIVATE KEY|MIIE|BEGIN CERTIFICATE|X-Amz-Signature/);
  });

  test('refuses an event without the secret to store the key in', async () => {
    const { SecretArn: _dropped, ...withoutSecret } = properties;
    await expect(handler({ ...createEvent, ResourceProperties: withoutSecret })).rejects.toThrow(/SecretArn/);
    expect(calls).toEqual([]);
  });
});

describe('create, invoked again after a timeout', () => {
  const storedBy = (requestId: string) => ({
    SecretString: JSON.stringify({
      certificateId: OLD_ID,
      certificateArn: arnOf(OLD_ID),
      certificatePem: CERT_PEM,
      privateKey: PRIVATE_KEY,
      requestId,
    }),
  });

  test('activates the certificate the same request already stored and makes no second one', async () => {
    secrets.on(GetSecretValueCommand).resolves(storedBy(createEvent.RequestId));
    const response = await run(createEvent);
    expect(response.PhysicalResourceId).toBe(OLD_ID);
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: OLD_ID, newStatus: 'ACTIVE' });
    expect(iot).not.toHaveReceivedCommand(CreateKeysAndCertificateCommand);
  });

  test('a certificate stored by an earlier request (the previous generation) is not reused', async () => {
    secrets.on(GetSecretValueCommand).resolves(storedBy('req-of-last-year'));
    expect((await run(createEvent)).PhysicalResourceId).toBe(NEW_ID);
  });

  test('makes a new certificate when the one this request stored has since been deleted', async () => {
    secrets.on(GetSecretValueCommand).resolves(storedBy(createEvent.RequestId));
    iot.on(UpdateCertificateCommand, { certificateId: OLD_ID }).rejects(notFound());
    expect((await run(createEvent)).PhysicalResourceId).toBe(NEW_ID);
  });

  test('deletes the certificate it made when the secret cannot be written, and fails', async () => {
    secrets.on(PutSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(run(createEvent)).rejects.toThrow('denied');
    expect(calls).toEqual(['GetSecretValue', 'CreateKeysAndCertificate', 'UpdateCertificate:INACTIVE', 'DeleteCertificate']);
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: NEW_ID });
  });

  test('reports the original error when deleting the unused certificate fails too', async () => {
    secrets.on(PutSecretValueCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    iot.on(DeleteCertificateCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(run(createEvent)).rejects.toThrow('denied');
    expect(iot).toHaveReceivedCommandWith(UpdateCertificateCommand, { certificateId: NEW_ID, newStatus: 'INACTIVE' });
  });

  test('deletes the certificate it made when activation fails, and fails', async () => {
    iot
      .on(UpdateCertificateCommand, { newStatus: 'ACTIVE' })
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(run(createEvent)).rejects.toThrow('slow down');
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: NEW_ID });
  });
});

describe('update', () => {
  test('the same generation keeps the certificate and makes no new one', async () => {
    expect(await run(updateEvent('1'))).toEqual({
      PhysicalResourceId: OLD_ID,
      Data: { CertificateId: OLD_ID, CertificateArn: arnOf(OLD_ID) },
    });
    expect(iot).not.toHaveReceivedCommand(CreateKeysAndCertificateCommand);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });

  test('a new generation makes a new certificate under a new physical id, so CloudFormation deletes the old one', async () => {
    const response = await run(updateEvent('2'));
    expect(response.PhysicalResourceId).toBe(NEW_ID);
    expect(secrets).toHaveReceivedCommandWith(PutSecretValueCommand, { SecretId: SECRET_ARN });
    expect(iot).not.toHaveReceivedCommand(DeleteCertificateCommand);
  });

  test('a certificate deleted outside the stack is replaced by a new one', async () => {
    iot.on(DescribeCertificateCommand, { certificateId: OLD_ID }).rejects(notFound());
    expect((await run(updateEvent('1'))).PhysicalResourceId).toBe(NEW_ID);
  });
});

const credentialsOf = (id: string, generation: string) => ({
  certificateId: id,
  certificateArn: arnOf(id),
  certificatePem: CERT_PEM,
  privateKey: PRIVATE_KEY,
  generation,
});

describe('rotation and its rollback', () => {
  const MIDDLE_ID = 'c'.repeat(64);
  const stored = (secret: object) => secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
  const lastStored = () => JSON.parse(secrets.commandCalls(PutSecretValueCommand).at(-1)!.args[0].input.SecretString!);
  /** Rolling back generation 1 → 2: CloudFormation asks the new certificate's resource for generation 1 again. */
  const rollbackEvent = {
    ...updateEvent('1'),
    RequestId: 'req-rollback-1',
    PhysicalResourceId: MIDDLE_ID,
    ResourceProperties: { ...properties, Generation: '1' },
    OldResourceProperties: { ...properties, Generation: '2' },
  };

  test('a rotation keeps the replaced certificate in the secret until CloudFormation deletes it', async () => {
    stored({ ...credentialsOf(OLD_ID, '1'), requestId: 'req-create-1' });
    await run(updateEvent('2'));
    const secret = lastStored();
    expect(secret).toMatchObject({ certificateId: NEW_ID, generation: '2', previous: { certificateId: OLD_ID, generation: '1' } });
    expect(certificateSecretSchema.parse(secret).certificateId).toBe(NEW_ID);
  });

  test('deleting the replaced certificate after a rotation takes its key out of the secret', async () => {
    stored({ ...credentialsOf(NEW_ID, '2'), requestId: 'req-update-1', previous: credentialsOf(OLD_ID, '1') });
    await run(deleteEvent(OLD_ID));
    expect(lastStored()).toEqual({ ...credentialsOf(NEW_ID, '2'), requestId: 'req-update-1' });
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID });
  });

  test('a rolled-back rotation gets the previous certificate back instead of a third one', async () => {
    stored({ ...credentialsOf(MIDDLE_ID, '2'), requestId: 'req-update-1', previous: credentialsOf(OLD_ID, '1') });
    expect(await run(rollbackEvent)).toEqual({
      PhysicalResourceId: OLD_ID,
      Data: { CertificateId: OLD_ID, CertificateArn: arnOf(OLD_ID) },
    });
    expect(iot).not.toHaveReceivedCommand(CreateKeysAndCertificateCommand);
    expect(lastStored()).toEqual({ ...credentialsOf(OLD_ID, '1'), requestId: 'req-rollback-1' });
  });

  test('a rollback makes a new certificate when the previous one is no longer active', async () => {
    stored({ ...credentialsOf(MIDDLE_ID, '2'), requestId: 'req-update-1', previous: credentialsOf(OLD_ID, '1') });
    iot.on(DescribeCertificateCommand, { certificateId: OLD_ID }).resolves({ certificateDescription: { status: 'INACTIVE' } });
    expect((await run(rollbackEvent)).PhysicalResourceId).toBe(NEW_ID);
    expect(lastStored()).toMatchObject({ certificateId: NEW_ID, generation: '1', previous: { certificateId: MIDDLE_ID } });
  });

  test('when a rollback deletes the new certificate, the previous one becomes current in the secret again', async () => {
    stored({ ...credentialsOf(MIDDLE_ID, '2'), requestId: 'req-update-1', previous: credentialsOf(OLD_ID, '1') });
    await run(deleteEvent(MIDDLE_ID));
    expect(lastStored()).toEqual({ ...credentialsOf(OLD_ID, '1'), requestId: 'req-delete-1' });
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: MIDDLE_ID });
  });

  test('deleting the stack leaves the secret alone when no rotation is under way', async () => {
    stored({ ...credentialsOf(OLD_ID, '1'), requestId: 'req-create-1' });
    await run(deleteEvent(OLD_ID));
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
  });
});

describe("delete: only the car's own certificate", () => {
  const FOREIGN_ID = 'f'.repeat(64);

  test('a foreign certificate id, in neither the secret nor the thing, is left alone and the deletion succeeds', async () => {
    const warnings: string[] = [];
    const result = await onCertificateEvent(deleteEvent(FOREIGN_ID) as CertificateEvent, {
      ...deps(),
      log: { info: () => undefined, warn: (message) => warnings.push(message) },
    });
    expect(result).toEqual({ PhysicalResourceId: FOREIGN_ID });
    expect(calls).toEqual(['GetSecretValue', 'ListThingPrincipals']);
    expect(iot).not.toHaveReceivedCommand(UpdateCertificateCommand);
    expect(iot).not.toHaveReceivedCommand(DetachThingPrincipalCommand);
    expect(iot).not.toHaveReceivedCommand(DeleteCertificateCommand);
    expect(secrets).not.toHaveReceivedCommand(PutSecretValueCommand);
    expect(warnings).toEqual([expect.stringMatching(/^not this car's certificate/)]);
  });

  test("the certificate in the car's secret is the car's without asking the thing", async () => {
    secrets.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ ...credentialsOf(FOREIGN_ID, '1'), requestId: 'req-create-1' }),
    });
    await run(deleteEvent(FOREIGN_ID));
    // The thing is asked only later, whether there is still something to detach.
    expect(calls[0]).toBe('UpdateCertificate:INACTIVE');
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: FOREIGN_ID });
  });

  test("a thing that is gone makes the certificate nobody's, so nothing is deleted", async () => {
    iot.on(ListThingPrincipalsCommand).rejects(notFound());
    await run(deleteEvent(OLD_ID));
    expect(iot).not.toHaveReceivedCommand(DeleteCertificateCommand);
  });

  test("the thing's principals are read page by page", async () => {
    iot
      .on(ListThingPrincipalsCommand)
      .resolvesOnce({ principals: [arnOf(FOREIGN_ID)], nextToken: 'page-2' })
      .resolvesOnce({ principals: [arnOf(OLD_ID)] })
      .resolves({ principals: [] });
    await run(deleteEvent(OLD_ID));
    expect(iot).toHaveReceivedCommandWith(ListThingPrincipalsCommand, { thingName: 'rps13', nextToken: 'page-2' });
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID });
  });
});

describe('delete', () => {
  test('deactivates, detaches from the thing, then deletes once the thing no longer lists it', async () => {
    expect(await run(deleteEvent(OLD_ID))).toEqual({ PhysicalResourceId: OLD_ID, Data: started() });
    expect(calls).toEqual([
      'GetSecretValue',
      'ListThingPrincipals',
      'UpdateCertificate:INACTIVE',
      'DescribeCertificate',
      'ListThingPrincipals',
      'DetachThingPrincipal',
      // isComplete
      'ListThingPrincipals',
      'DeleteCertificate',
    ]);
    expect(polls).toBe(0);
    expect(iot).toHaveReceivedCommandWith(DetachThingPrincipalCommand, { thingName: 'rps13', principal: arnOf(OLD_ID) });
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID, forceDelete: true });
  });

  test('a certificate already detached from the thing is not detached again, and is deleted', async () => {
    // In the secret, so it is the car's; no longer among the thing's principals (an earlier attempt detached it).
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ ...credentialsOf(OLD_ID, '1'), requestId: 'req-create-1' }) });
    iot.on(ListThingPrincipalsCommand).resolves({ principals: [] });
    iot.on(DetachThingPrincipalCommand).rejects(Object.assign(new Error('not attached'), { name: 'InvalidRequestException' }));
    await run(deleteEvent(OLD_ID));
    expect(iot).not.toHaveReceivedCommand(DetachThingPrincipalCommand);
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID, forceDelete: true });
  });

  test('a certificate that is already gone counts as deleted, with nothing left to wait for', async () => {
    iot.on(UpdateCertificateCommand).rejects(notFound());
    await expect(run(deleteEvent(OLD_ID))).resolves.toEqual({ PhysicalResourceId: OLD_ID });
    expect(iot).not.toHaveReceivedCommand(DeleteCertificateCommand);
  });

  test('a certificate that disappears between the steps counts as deleted', async () => {
    iot.on(DeleteCertificateCommand).rejects(notFound());
    await expect(run(deleteEvent(OLD_ID))).resolves.toEqual({ PhysicalResourceId: OLD_ID, Data: started() });
    expect(polls).toBe(0);
  });

  test('a thing that is already gone does not stop the deletion', async () => {
    iot.on(DetachThingPrincipalCommand).callsFake(() => {
      // Deleted between the listing and the detachment: from now on AWS IoT does not know it.
      iot.on(ListThingPrincipalsCommand).rejects(notFound());
      throw notFound();
    });
    await run(deleteEvent(OLD_ID));
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID });
  });

  test('waits while the thing still lists the certificate after the detachment, then deletes it', async () => {
    // AWS IoT: "it might take several seconds for the detachment to propagate" (DetachThingPrincipal).
    // Listed to the ownership check, to the detachment and to two polls after it.
    let listings = 4;
    iot.on(ListThingPrincipalsCommand).callsFake(() => ({ principals: listings-- > 0 ? [arnOf(OLD_ID)] : [] }));
    await run(deleteEvent(OLD_ID));
    expect(iot).toHaveReceivedCommandTimes(DetachThingPrincipalCommand, 1);
    expect(polls).toBe(2);
    expect(iot).toHaveReceivedCommandTimes(DeleteCertificateCommand, 1);
  });

  test('retries DeleteCertificate on DeleteConflictException at each poll until AWS IoT agrees', async () => {
    const conflict = Object.assign(new Error('attached'), { name: 'DeleteConflictException' });
    iot.on(DeleteCertificateCommand).rejectsOnce(conflict).rejectsOnce(conflict).resolves({});
    await run(deleteEvent(OLD_ID));
    expect(iot).toHaveReceivedCommandTimes(DeleteCertificateCommand, 3);
    expect(polls).toBe(2);
  });

  test('gives up after its bound with a message that says what still holds the certificate and what to do', async () => {
    iot.on(DeleteCertificateCommand).rejects(Object.assign(new Error('still attached'), { name: 'DeleteConflictException' }));
    await expect(run(deleteEvent(OLD_ID))).rejects.toThrow(
      `certificate ${OLD_ID} could not be deleted within 8 minutes of its detachment: AWS IoT still refuses: DeleteConflictException: still attached. ` +
        'Detach and delete it in the AWS IoT console, then run the deployment or cdk destroy again; a resource already gone counts as deleted.',
    );
    expect(polls).toBe(DELETE_WAIT_BOUND_MS / POLL_MS);
  });

  test('any other error of DeleteCertificate fails the deletion at once', async () => {
    iot.on(DeleteCertificateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(run(deleteEvent(OLD_ID))).rejects.toThrow('denied');
    expect(polls).toBe(0);
  });

  test('a revoked certificate, which cannot become inactive, is still deleted', async () => {
    iot.on(UpdateCertificateCommand).rejects(Object.assign(new Error('revoked'), { name: 'CertificateStateException' }));
    await run(deleteEvent(OLD_ID));
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: OLD_ID, forceDelete: true });
  });

  test('any other failure to deactivate stops the deletion with that error', async () => {
    iot.on(UpdateCertificateCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(run(deleteEvent(OLD_ID))).rejects.toThrow('denied');
    expect(iot).not.toHaveReceivedCommand(DeleteCertificateCommand);
  });

  test('a placeholder physical id from a failed create touches nothing', async () => {
    await run(deleteEvent('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED'));
    expect(calls).toEqual([]);
  });
});
