import {
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteThingCommand,
  type IoTClient,
  ListPolicyVersionsCommand,
  ListTargetsForPolicyCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { CompletionEvent, DeleteCompletionEvent, IotDeletionEvent, IotDeletionProperties, ProviderCompletion } from './event';

/**
 * How long a deletion waits for AWS IoT to let go of a detached resource before it fails with what still
 * holds it. AWS documents "up to five minutes after a policy is detached before it's ready to be deleted"
 * (DeletePolicy, DetachPolicy API references) and "several seconds" for a thing detachment
 * (DetachThingPrincipal); the Provider framework's own timeout is set a little above this.
 */
export const DELETE_WAIT_BOUND_MS = 8 * 60_000;

export interface DeletionDeps {
  readonly iot: IoTClient;
  readonly log: { info(message: string, extra: Record<string, string | undefined>): void };
  readonly now: () => number;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);
const isNotFound = (error: unknown) => errorName(error) === 'ResourceNotFoundException';

/**
 * One isComplete step of deleting `what`: `attempt` deletes it, or says what it is still waiting for. Gone
 * (ResourceNotFoundException) counts as deleted; an error named in `retryOn` is AWS IoT still seeing an
 * attachment that was removed, so the step is retried on the framework's next poll, until
 * `DELETE_WAIT_BOUND_MS` after the deletion began; then it fails with what still holds the resource.
 */
export async function deleteIotResource(
  event: DeleteCompletionEvent,
  what: string,
  deps: DeletionDeps,
  attempt: () => Promise<string | undefined>,
  retryOn: readonly string[] = ['DeleteConflictException'],
): Promise<ProviderCompletion> {
  let waitingFor: string | undefined;
  try {
    waitingFor = await attempt();
  } catch (error) {
    if (isNotFound(error)) return { IsComplete: true };
    const name = errorName(error);
    if (!name || !retryOn.includes(name)) throw error;
    waitingFor = `AWS IoT still refuses: ${name}: ${(error as Error).message}`;
  }
  if (waitingFor === undefined) return { IsComplete: true };
  const startedAt = Number(event.Data?.DeleteRequestedAt ?? deps.now());
  const waited = deps.now() - startedAt;
  if (waited >= DELETE_WAIT_BOUND_MS) {
    throw new Error(
      `${what} could not be deleted within ${DELETE_WAIT_BOUND_MS / 60_000} minutes of its detachment: ${waitingFor}. ` +
        'Detach and delete it in the AWS IoT console, then run the deployment or cdk destroy again; a resource already gone counts as deleted.',
    );
  }
  deps.log.info('waiting for AWS IoT before deleting', { what, waitingFor, waitedMs: String(waited) });
  return { IsComplete: false };
}

/** Every page of a paginated IoT list call, as one array. */
async function allPages<T>(page: (marker?: string) => Promise<{ items?: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const result = await page(marker);
    items.push(...(result.items ?? []));
    marker = result.next;
  } while (marker);
  return items;
}

const thingPrincipals = (iot: IoTClient, thingName: string) =>
  allPages(async (nextToken) => {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, nextToken }));
    return { items: page.principals, next: page.nextToken };
  });

const policyTargets = (iot: IoTClient, policyName: string) =>
  allPages(async (marker) => {
    const page = await iot.send(new ListTargetsForPolicyCommand({ policyName, marker }));
    return { items: page.targets, next: page.nextMarker };
  });

/** The thing, once it lists no principal. DeleteThing answers InvalidRequestException while one is attached. */
async function deleteThing(thingName: string, deps: DeletionDeps): Promise<string | undefined> {
  const principals = await thingPrincipals(deps.iot, thingName);
  if (principals.length > 0) return `it still lists ${principals.length} principal(s): ${principals.join(', ')}`;
  await deps.iot.send(new DeleteThingCommand({ thingName }));
  return undefined;
}

/**
 * The policy, once it has no target. DeletePolicy also refuses a policy with versions other than the
 * default (each update of its document made one), so those go first.
 */
async function deletePolicy(policyName: string, deps: DeletionDeps): Promise<string | undefined> {
  const targets = await policyTargets(deps.iot, policyName);
  if (targets.length > 0) return `it is still attached to ${targets.join(', ')}`;
  const { policyVersions = [] } = await deps.iot.send(new ListPolicyVersionsCommand({ policyName }));
  for (const version of policyVersions.filter((v) => !v.isDefaultVersion)) {
    await deps.iot.send(new DeletePolicyVersionCommand({ policyName, policyVersionId: version.versionId }));
  }
  await deps.iot.send(new DeletePolicyCommand({ policyName }));
  return undefined;
}

/** The certificate, once its thing no longer lists it; forceDelete detaches any policy still attached. */
async function deleteCertificate(certificateId: string, thingName: string, deps: DeletionDeps): Promise<string | undefined> {
  const attached = (await thingPrincipals(deps.iot, thingName)).some((arn) => arn.endsWith(`/${certificateId}`));
  if (attached) return `it is still among the principals of thing ${thingName}`;
  await deps.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
  return undefined;
}

const describe = (props: IotDeletionProperties) => `${props.Kind} ${props.Name}`;

/**
 * onEvent of `Custom::IotDeletion`. Creating and updating do nothing (the resource it deletes is made by
 * CloudFormation); a deletion deactivates a certificate at once, so it stops working while the wait runs,
 * and notes when it began.
 */
export async function onIotDeletionEvent(
  event: IotDeletionEvent,
  deps: DeletionDeps,
): Promise<{ PhysicalResourceId: string; Data?: { DeleteRequestedAt: string } }> {
  const props = event.ResourceProperties;
  if (event.RequestType !== 'Delete') return { PhysicalResourceId: describe(props) };
  if (props.Kind === 'certificate') {
    try {
      await deps.iot.send(new UpdateCertificateCommand({ certificateId: props.Name, newStatus: 'INACTIVE' }));
    } catch (error) {
      // Gone already (isComplete will see that too), or REVOKED, which forceDelete takes as it is.
      if (!isNotFound(error) && errorName(error) !== 'CertificateStateException') throw error;
    }
  }
  return { PhysicalResourceId: event.PhysicalResourceId, Data: { DeleteRequestedAt: String(deps.now()) } };
}

/** isComplete of `Custom::IotDeletion`: nothing to wait for but a deletion. */
export function completeIotDeletion(event: CompletionEvent, props: IotDeletionProperties, deps: DeletionDeps): Promise<ProviderCompletion> {
  if (event.RequestType !== 'Delete') return Promise.resolve({ IsComplete: true });
  const deletion = event as DeleteCompletionEvent;
  switch (props.Kind) {
    case 'thing':
      return deleteIotResource(deletion, `thing ${props.Name}`, deps, () => deleteThing(props.Name, deps), ['InvalidRequestException']);
    case 'policy':
      return deleteIotResource(deletion, `policy ${props.Name}`, deps, () => deletePolicy(props.Name, deps));
    case 'certificate':
      return deleteIotResource(deletion, `certificate ${props.Name}`, deps, () => deleteCertificate(props.Name, props.ThingName, deps));
  }
}
