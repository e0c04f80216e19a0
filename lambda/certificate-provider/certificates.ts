import {
  CreateKeysAndCertificateCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import type { CertificateSecret } from '../../lib/contract/certificate-secret';
import { deleteIotResource } from './deletion';
import {
  type CertificateEvent,
  type CertificateProperties,
  type CertificateResponse,
  certificatePropertiesSchema,
  type DeleteCompletionEvent,
  type ProviderCompletion,
} from './event';

export interface CertificateLog {
  info(message: string, extra: Record<string, string | undefined>): void;
  warn(message: string, extra: Record<string, string | undefined>): void;
}

export interface CertificateDeps {
  readonly iot: IoTClient;
  readonly secrets: SecretsManagerClient;
  readonly log: CertificateLog;
  /** Epoch milliseconds; injected so tests can move time on. */
  readonly now: () => number;
}

/** AWS IoT certificate ids are 64 hex digits; anything else is a placeholder the framework made for a failed create. */
const CERTIFICATE_ID = /^[0-9a-f]{64}$/;

/**
 * The secret's JSON: what the device bundle reads (`CertificateSecret`), the generation it belongs to, and the
 * CloudFormation request that stored it, which lets a re-invoked request find the certificate it already made
 * instead of making another. During a rotation it also keeps the certificate being replaced (`previous`) until
 * CloudFormation deletes it, so a rolled-back rotation can hand the car its old certificate back.
 */
type Credentials = CertificateSecret & { readonly generation?: string };
type StoredSecret = Credentials & { readonly requestId: string; readonly previous?: Credentials };
const credentialsSchema = z.object({
  certificateId: z.string().min(1),
  certificateArn: z.string().min(1),
  certificatePem: z.string(),
  privateKey: z.string(),
  generation: z.string().optional(),
});
const storedSecretSchema = credentialsSchema.extend({ requestId: z.string(), previous: credentialsSchema.optional() });

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

const isNotFound = (error: unknown) => errorName(error) === 'ResourceNotFoundException';

function answer(certificate: Pick<CertificateSecret, 'certificateId' | 'certificateArn'>): CertificateResponse {
  return {
    PhysicalResourceId: certificate.certificateId,
    Data: { CertificateId: certificate.certificateId, CertificateArn: certificate.certificateArn },
  };
}

/** What the car's secret holds; undefined while it holds only the value Secrets Manager generated, or is gone. */
async function readStored(secretArn: string, deps: CertificateDeps): Promise<StoredSecret | undefined> {
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretArn })));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  if (!secretString) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // The value Secrets Manager generated when the secret was created: nothing stored yet.
    return undefined;
  }
  const stored = storedSecretSchema.safeParse(json);
  return stored.success ? stored.data : undefined;
}

async function store(secretArn: string, secret: StoredSecret, deps: CertificateDeps): Promise<void> {
  await deps.secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(secret) }));
}

/** The stored certificate without the one it replaced. */
function withoutPrevious({ previous: _dropped, ...current }: StoredSecret): StoredSecret {
  return current;
}

/** Sets a certificate ACTIVE; false when it no longer exists. */
async function activate(certificateId: string, deps: CertificateDeps): Promise<boolean> {
  try {
    await deps.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * Makes the car's certificate. It is created INACTIVE and only activated once it is stored in the secret:
 * if this invocation dies in between (timeout, throttling), what is left behind can never be used to connect,
 * and a re-invocation of the same request finds the stored one and activates that instead of making another.
 * `replacing` is the certificate a rotation replaces; it stays in the secret as `previous` until it is deleted.
 */
async function issue(
  props: CertificateProperties,
  requestId: string,
  deps: CertificateDeps,
  stored: StoredSecret | undefined,
  replacing?: Credentials,
): Promise<CertificateResponse> {
  if (stored?.requestId === requestId && (await activate(stored.certificateId, deps))) {
    deps.log.info('certificate already stored by this request; reusing it', { certificateId: stored.certificateId });
    return answer(stored);
  }
  const created = await deps.iot.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
  const { certificateId, certificateArn, certificatePem, keyPair } = created;
  if (!certificateId || !certificateArn || !certificatePem || !keyPair?.PrivateKey) {
    throw new Error('CreateKeysAndCertificate returned no certificate or key');
  }
  try {
    const credentials = { certificateId, certificateArn, certificatePem, privateKey: keyPair.PrivateKey, generation: props.Generation };
    await store(props.SecretArn, { ...credentials, requestId, previous: replacing }, deps);
    await deps.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'ACTIVE' }));
  } catch (error) {
    deps.log.warn('could not store or activate the new certificate; deleting it', { certificateId, error: errorName(error) });
    await discard(certificateId, deps);
    throw error;
  }
  deps.log.info('certificate created, stored and activated', { certificateId, thingName: props.ThingName });
  return answer({ certificateId, certificateArn });
}

/** Whether a certificate still exists and is ACTIVE. */
async function isActive(certificateId: string, deps: CertificateDeps): Promise<boolean> {
  try {
    const { certificateDescription } = await deps.iot.send(new DescribeCertificateCommand({ certificateId }));
    return certificateDescription?.status === 'ACTIVE';
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/**
 * A new generation. When CloudFormation rolls a rotation back it asks the new certificate's resource for the
 * old generation again: if the replaced certificate is still kept and active, it becomes current again (it is
 * still attached, and the car may still be using it) instead of a third certificate being made and the
 * original one left active outside the stack.
 */
async function rotate(event: Extract<CertificateEvent, { RequestType: 'Update' }>, deps: CertificateDeps): Promise<CertificateResponse> {
  const now = event.ResourceProperties;
  const stored = await readStored(now.SecretArn, deps);
  const isCurrent = stored?.certificateId === event.PhysicalResourceId;
  const previous = isCurrent ? stored?.previous : undefined;
  if (stored && previous?.generation === now.Generation && (await isActive(previous.certificateId, deps))) {
    await store(now.SecretArn, { ...previous, requestId: event.RequestId }, deps);
    deps.log.info('rotation rolled back; the previous certificate is current again', { certificateId: previous.certificateId });
    return answer(previous);
  }
  deps.log.info('new certificate generation requested', { from: event.OldResourceProperties.Generation, to: now.Generation });
  return issue(now, event.RequestId, deps, stored, isCurrent && stored ? withoutPrevious(stored) : undefined);
}

/** Same generation and secret: the certificate stays. Otherwise a new one, whose new physical id makes CloudFormation delete the old. */
async function update(event: Extract<CertificateEvent, { RequestType: 'Update' }>, deps: CertificateDeps): Promise<CertificateResponse> {
  const now = event.ResourceProperties;
  const before = event.OldResourceProperties;
  if (now.Generation !== before.Generation || now.SecretArn !== before.SecretArn || !CERTIFICATE_ID.test(event.PhysicalResourceId)) {
    return rotate(event, deps);
  }
  try {
    const { certificateDescription } = await deps.iot.send(new DescribeCertificateCommand({ certificateId: event.PhysicalResourceId }));
    if (!certificateDescription?.certificateArn) throw new Error(`DescribeCertificate returned no ARN for ${event.PhysicalResourceId}`);
    return answer({ certificateId: event.PhysicalResourceId, certificateArn: certificateDescription.certificateArn });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    deps.log.warn('certificate was deleted outside the stack; making a new one', { certificateId: event.PhysicalResourceId });
    return issue(now, event.RequestId, deps, await readStored(now.SecretArn, deps));
  }
}

/**
 * Keeps the secret true before a certificate is deleted: after a rotation, the replaced certificate's key
 * leaves the secret with it; when a rolled-back rotation deletes the new certificate, the previous one (still
 * attached) becomes current again.
 */
async function forget(
  certificateId: string,
  stored: StoredSecret | undefined,
  secretArn: string,
  requestId: string,
  deps: CertificateDeps,
): Promise<void> {
  if (!stored?.previous) return;
  if (stored.previous.certificateId === certificateId) {
    await store(secretArn, withoutPrevious(stored), deps);
  } else if (stored.certificateId === certificateId) {
    await store(secretArn, { ...stored.previous, requestId }, deps);
    deps.log.info('new certificate deleted by a rollback; the previous one is current again', {
      certificateId: stored.previous.certificateId,
    });
  }
}

/** DeleteCertificate; one that is already gone counts as deleted. forceDelete also detaches its policies. */
async function deleteCertificate(certificateId: string, deps: CertificateDeps): Promise<void> {
  try {
    await deps.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The ids of the certificates attached to a thing (their ARNs end in `cert/<id>`); none when the thing is gone. */
export async function thingCertificateIds(thingName: string, deps: CertificateDeps): Promise<Set<string>> {
  const ids = new Set<string>();
  let nextToken: string | undefined;
  try {
    do {
      const page = await deps.iot.send(new ListThingPrincipalsCommand({ thingName, nextToken }));
      for (const principal of page.principals ?? []) ids.add(principal.slice(principal.lastIndexOf('/') + 1));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return ids;
}

/**
 * Whether a certificate is this car's: the one its secret holds (current or being replaced), or one attached
 * to its thing. The role may act on any certificate of the account (ids are known only after they exist), so
 * this check is what keeps a wrong physical id from deleting some other device's certificate.
 */
async function belongsToCar(certificateId: string, props: CertificateProperties, stored: StoredSecret | undefined, deps: CertificateDeps) {
  if (stored?.certificateId === certificateId || stored?.previous?.certificateId === certificateId) return true;
  return (await thingCertificateIds(props.ThingName, deps)).has(certificateId);
}

/**
 * Detaches a certificate from the car's thing if it is still attached. One already detached (by an earlier,
 * interrupted attempt) or a thing already gone counts as done, whatever DetachThingPrincipal would answer.
 */
async function detachFromThing(certificateId: string, certificateArn: string | undefined, thingName: string, deps: CertificateDeps) {
  if (!certificateArn || !(await thingCertificateIds(thingName, deps)).has(certificateId)) {
    deps.log.info('certificate already detached from the thing', { certificateId, thingName });
    return;
  }
  try {
    await deps.iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/**
 * INACTIVE and detached from the car's thing; false when the certificate is already gone (it counts as
 * deleted, so a stack deletion never gets stuck on one). Deleting it is left to `completeDelete`, which
 * waits for the detachment to propagate.
 */
async function retire(certificateId: string, thingName: string, deps: CertificateDeps): Promise<boolean> {
  let certificateArn: string | undefined;
  try {
    await deactivate(certificateId, deps);
    const described = await deps.iot.send(new DescribeCertificateCommand({ certificateId }));
    certificateArn = described.certificateDescription?.certificateArn;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
  await detachFromThing(certificateId, certificateArn, thingName, deps);
  deps.log.info('certificate deactivated and detached; deleting it once AWS IoT agrees', { certificateId });
  return true;
}

/**
 * Deletes a certificate this invocation made and never attached. Best effort: the error that made it
 * unwanted is the one to report, and an INACTIVE leftover cannot be used to connect.
 */
async function discard(certificateId: string, deps: CertificateDeps): Promise<void> {
  try {
    await deactivate(certificateId, deps);
    await deleteCertificate(certificateId, deps);
  } catch (error) {
    deps.log.warn('could not delete the unused certificate; it stays INACTIVE', { certificateId, error: errorName(error) });
  }
}

/** A REVOKED certificate cannot become INACTIVE (CertificateStateException), and needs not: forceDelete takes it as it is. */
export async function deactivate(certificateId: string, deps: CertificateDeps): Promise<void> {
  try {
    await deps.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
  } catch (error) {
    if (errorName(error) !== 'CertificateStateException') throw error;
    deps.log.warn('certificate cannot be deactivated (revoked); deleting it as it is', { certificateId });
  }
}

/**
 * A certificate that is not the car's is left alone and the deletion succeeds: the resource is gone either way.
 * The car's own is deactivated and detached here, and deleted by `completeCertificateDelete`.
 */
async function onDelete(event: Extract<CertificateEvent, { RequestType: 'Delete' }>, deps: CertificateDeps): Promise<CertificateResponse> {
  const certificateId = event.PhysicalResourceId;
  const props = event.ResourceProperties;
  const done = { PhysicalResourceId: certificateId };
  if (!CERTIFICATE_ID.test(certificateId)) return done;
  const stored = await readStored(props.SecretArn, deps);
  if (!(await belongsToCar(certificateId, props, stored, deps))) {
    deps.log.warn("not this car's certificate (neither in its secret nor attached to its thing); left alone", {
      certificateId,
      thingName: props.ThingName,
    });
    return done;
  }
  await forget(certificateId, stored, props.SecretArn, event.RequestId, deps);
  if (!(await retire(certificateId, props.ThingName, deps))) return done;
  return { ...done, Data: { DeleteRequestedAt: String(deps.now()) } };
}

export async function onCertificateEvent(event: CertificateEvent, deps: CertificateDeps): Promise<CertificateResponse> {
  switch (event.RequestType) {
    case 'Create':
      return issue(event.ResourceProperties, event.RequestId, deps, await readStored(event.ResourceProperties.SecretArn, deps));
    case 'Update':
      return update(event, deps);
    case 'Delete':
      return onDelete(event, deps);
  }
}

/**
 * The Provider framework's isComplete step of a certificate deletion: DeleteCertificate until AWS IoT no
 * longer sees the thing attachment it still propagates ("it might take several seconds for the detachment to
 * propagate", DetachThingPrincipal API reference; DeleteConflictException meanwhile).
 */
export function completeCertificateDelete(event: DeleteCompletionEvent, deps: CertificateDeps): Promise<ProviderCompletion> {
  const certificateId = event.PhysicalResourceId;
  return deleteIotResource(event, `certificate ${certificateId}`, deps, async () => {
    const { ThingName } = certificatePropertiesSchema.parse(event.ResourceProperties);
    if ((await thingCertificateIds(ThingName, deps)).has(certificateId)) return `it is still among the principals of thing ${ThingName}`;
    await deps.iot.send(new DeleteCertificateCommand({ certificateId, forceDelete: true }));
    deps.log.info('certificate deleted', { certificateId });
    return undefined;
  });
}
