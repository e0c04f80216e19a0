import {
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  IoTClient,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { completeIotDeletion, DELETE_WAIT_BOUND_MS, onIotDeletionEvent } from '../../lambda/certificate-provider/deletion';
import { type IotDeletionEvent, type IotDeletionProperties, iotDeletionEventSchema } from '../../lambda/certificate-provider/event';
import { isComplete } from '../../lambda/certificate-provider/index';

/** `Custom::IotDeletion`: deleting a retained thing, policy or certificate once AWS IoT has let go of it. */
const iot = mockClient(IoTClient);
const CERT_ID = 'c'.repeat(64);
const CERT_ARN = `arn:aws:iot:eu-west-1:111122223333:cert/${CERT_ID}`;
const START = Date.UTC(2026, 0, 1);
const POLL_MS = 10_000;

let clock: number;
let polls: number;
const deps = () => ({ iot: new IoTClient({}), log: { info: () => undefined }, now: () => clock });

const event = (requestType: 'Create' | 'Update' | 'Delete', props: IotDeletionProperties): IotDeletionEvent =>
  iotDeletionEventSchema.parse({
    RequestType: requestType,
    RequestId: 'req-1',
    LogicalResourceId: 'Carrps13ThingDeletion',
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/PlamoIot/1',
    ResourceType: 'Custom::IotDeletion',
    ResourceProperties: props,
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: `${props.Kind} ${props.Name}` }),
    ...(requestType === 'Update' ? { OldResourceProperties: props } : {}),
  });

/** onEvent, then isComplete every POLL_MS with onEvent's answer merged in, as the Provider framework does. */
async function deleteWith(props: IotDeletionProperties): Promise<void> {
  const request = event('Delete', props);
  const response = await onIotDeletionEvent(request, deps());
  polls = 0;
  while (!(await completeIotDeletion({ ...request, ...response } as never, props, deps())).IsComplete) {
    polls++;
    clock += POLL_MS;
  }
}

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

beforeEach(() => {
  iot.reset();
  clock = START;
  iot.on(ListThingPrincipalsCommand).resolves({ principals: [] });
  iot.on(ListTargetsForPolicyCommand).resolves({ targets: [] });
  iot.on(ListPolicyVersionsCommand).resolves({ policyVersions: [{ versionId: '1', isDefaultVersion: true }] });
});

test('creating and updating touch nothing in AWS IoT: CloudFormation made the resource', async () => {
  const thing = { Kind: 'thing', Name: 'rps13' } as const;
  expect(await onIotDeletionEvent(event('Create', thing), deps())).toEqual({ PhysicalResourceId: 'thing rps13' });
  expect(await onIotDeletionEvent(event('Update', thing), deps())).toEqual({ PhysicalResourceId: 'thing rps13' });
  await expect(isComplete({ ...event('Create', thing), PhysicalResourceId: 'thing rps13' })).resolves.toEqual({ IsComplete: true });
  expect(iot.calls()).toHaveLength(0);
});

describe('thing', () => {
  const thing = { Kind: 'thing', Name: 'rps13' } as const;

  test('waits while it still lists a principal, then deletes it', async () => {
    iot
      .on(ListThingPrincipalsCommand)
      .resolvesOnce({ principals: [CERT_ARN] })
      .resolvesOnce({ principals: [CERT_ARN] })
      .resolves({ principals: [] });
    await deleteWith(thing);
    expect(polls).toBe(2);
    expect(iot).toHaveReceivedCommandTimes(DeleteThingCommand, 1);
    expect(iot).toHaveReceivedCommandWith(DeleteThingCommand, { thingName: 'rps13' });
  });

  test('retries when DeleteThing still sees the detached principal (InvalidRequestException)', async () => {
    iot
      .on(DeleteThingCommand)
      .rejectsOnce(named('InvalidRequestException', 'Cannot delete. Thing rps13 is still attached to one or more principals'))
      .resolves({});
    await deleteWith(thing);
    expect(polls).toBe(1);
    expect(iot).toHaveReceivedCommandTimes(DeleteThingCommand, 2);
  });

  test('a thing that is already gone counts as deleted', async () => {
    iot.on(ListThingPrincipalsCommand).rejects(named('ResourceNotFoundException'));
    await deleteWith(thing);
    expect(polls).toBe(0);
    expect(iot).not.toHaveReceivedCommand(DeleteThingCommand);
  });
});

describe('policy', () => {
  const policy = { Kind: 'policy', Name: 'PlamoIot-Carrps13Policy-AbC' } as const;

  test('waits until ListTargetsForPolicy shows no target, drops the non-default versions, then deletes it', async () => {
    iot
      .on(ListTargetsForPolicyCommand)
      .resolvesOnce({ targets: [CERT_ARN] })
      .resolves({ targets: [] });
    iot.on(ListPolicyVersionsCommand).resolves({
      policyVersions: [
        { versionId: '2', isDefaultVersion: true },
        { versionId: '1', isDefaultVersion: false },
      ],
    });
    await deleteWith(policy);
    expect(polls).toBe(1);
    expect(iot).toHaveReceivedCommandTimes(DeletePolicyVersionCommand, 1);
    expect(iot).toHaveReceivedCommandWith(DeletePolicyVersionCommand, { policyName: policy.Name, policyVersionId: '1' });
    expect(iot).toHaveReceivedCommandWith(DeletePolicyCommand, { policyName: policy.Name });
  });

  test('retries DeletePolicy on DeleteConflictException: a detached policy can take minutes to be deletable', async () => {
    const conflict = named('DeleteConflictException', 'The policy cannot be deleted as the policy is attached to one or more principals');
    iot.on(DeletePolicyCommand).rejectsOnce(conflict).rejectsOnce(conflict).rejectsOnce(conflict).resolves({});
    await deleteWith(policy);
    expect(polls).toBe(3);
    expect(iot).toHaveReceivedCommandTimes(DeletePolicyCommand, 4);
  });

  test('gives up after its bound, naming what still holds it', async () => {
    iot.on(ListTargetsForPolicyCommand).resolves({ targets: [CERT_ARN] });
    await expect(deleteWith(policy)).rejects.toThrow(
      `policy ${policy.Name} could not be deleted within 8 minutes of its detachment: it is still attached to ${CERT_ARN}. ` +
        'Detach and delete it in the AWS IoT console, then run the deployment or cdk destroy again; a resource already gone counts as deleted.',
    );
    expect(polls).toBe(DELETE_WAIT_BOUND_MS / POLL_MS);
    expect(iot).not.toHaveReceivedCommand(DeletePolicyCommand);
  });

  test('a policy that is already gone counts as deleted', async () => {
    iot.on(ListTargetsForPolicyCommand).rejects(named('ResourceNotFoundException'));
    await deleteWith(policy);
    expect(iot).not.toHaveReceivedCommand(DeletePolicyCommand);
  });

  test('any other error fails the deletion at once', async () => {
    iot.on(DeletePolicyCommand).rejects(named('UnauthorizedException', 'not allowed'));
    await expect(deleteWith(policy)).rejects.toThrow('not allowed');
    expect(polls).toBe(0);
  });
});

describe('certificate (mode "csr")', () => {
  const certificate = { Kind: 'certificate', Name: CERT_ID, ThingName: 'rps13' } as const;

  test('is deactivated at once, then deleted once its thing no longer lists it', async () => {
    iot
      .on(ListThingPrincipalsCommand)
      .resolvesOnce({ principals: [CERT_ARN] })
      .resolves({ principals: [] });
    await deleteWith(certificate);
    expect(iot).toHaveReceivedNthCommandWith(1, UpdateCertificateCommand, { certificateId: CERT_ID, newStatus: 'INACTIVE' });
    expect(polls).toBe(1);
    expect(iot).toHaveReceivedCommandWith(DeleteCertificateCommand, { certificateId: CERT_ID, forceDelete: true });
  });

  test('a revoked certificate, which cannot become inactive, is still deleted', async () => {
    iot.on(UpdateCertificateCommand).rejects(named('CertificateStateException'));
    await deleteWith(certificate);
    expect(iot).toHaveReceivedCommandTimes(DeleteCertificateCommand, 1);
  });

  test('a certificate that is already gone counts as deleted', async () => {
    iot.on(UpdateCertificateCommand).rejects(named('ResourceNotFoundException'));
    iot.on(DeleteCertificateCommand).rejects(named('ResourceNotFoundException'));
    await expect(deleteWith(certificate)).resolves.toBeUndefined();
  });

  test('refuses a certificate id that is not one', () => {
    expect(() => event('Delete', { ...certificate, Name: 'not-an-id' })).toThrow(/Name/);
  });
});
