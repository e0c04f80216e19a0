import { deviceIotPolicies, type IotArn } from '../../cloud/device-policy';
import { deviceUpdatePolicy } from '../../cloud/device-update-policy';
import { lampApiIotStatements } from '../../cloud/lamp-api-policy';
import type { PlamoConfig } from '../../config';
import { CONTROLLER_COMMON_NAME } from '../../pki/local-ca';
import { evaluatePolicies, type PolicyContext, type PolicyDocumentJson } from './policy-evaluator';

/**
 * Who the twin's broker knows and which policy documents apply to each: every car's AWS IoT policy and the
 * lamp API's `iot:` IAM statements, rendered by the functions the stack renders them with, for a fixed local
 * partition, region and account.
 */

export const LOCAL_AWS = { partition: 'aws', region: 'us-east-1', account: '123456789012' } as const;

export const localIotArn: IotArn = (resourceType, resourceName) =>
  `arn:${LOCAL_AWS.partition}:iot:${LOCAL_AWS.region}:${LOCAL_AWS.account}:${resourceType}/${resourceName}`;

/** An identity of the twin: a car's certificate, or the lamp API's. */
export interface Principal {
  /** The certificate's common name. */
  readonly name: string;
  /** The policies attached to it. */
  readonly documents: readonly PolicyDocumentJson[];
  /** The thing the certificate is attached to in the registry, if any (cars: the car). */
  readonly thingName?: string;
}

/**
 * In AWS the lamp Lambda publishes over HTTPS with its role and needs no MQTT connection; the twin's lamp API
 * connects over MQTT instead, so only here it also gets iot:Connect, and only as its own client id.
 */
function controllerConnectStatement(): PolicyDocumentJson['Statement'] {
  return { Effect: 'Allow', Action: 'iot:Connect', Resource: localIotArn('client', CONTROLLER_COMMON_NAME) };
}

export function twinPrincipals(config: PlamoConfig): ReadonlyMap<string, Principal> {
  const principals = new Map<string, Principal>();
  for (const [carId, car] of Object.entries(config.cars)) {
    // The car's own policies and its car group's update policy (the same document in every group).
    const documents = [...deviceIotPolicies(config.topicRoot, carId, Object.keys(car.lamps), localIotArn), deviceUpdatePolicy(localIotArn)];
    principals.set(carId, { name: carId, thingName: carId, documents });
  }
  principals.set(CONTROLLER_COMMON_NAME, {
    name: CONTROLLER_COMMON_NAME,
    documents: [{ Statement: lampApiIotStatements(config, localIotArn) }, { Statement: controllerConnectStatement() }],
  });
  return principals;
}

/** What a client asks to do, in MQTT terms. */
export type MqttOperation =
  | { readonly kind: 'connect'; readonly clientId: string }
  | { readonly kind: 'publish'; readonly topic: string; readonly retain: boolean }
  | { readonly kind: 'subscribe'; readonly filter: string }
  | { readonly kind: 'receive'; readonly topic: string };

interface ActionRequest {
  readonly action: string;
  readonly resource: string;
}

/** The IoT actions an operation needs, all of them (a retained publish needs iot:Publish and iot:RetainPublish). */
export function actionsFor(operation: MqttOperation, arn: IotArn = localIotArn): ActionRequest[] {
  switch (operation.kind) {
    case 'connect':
      return [{ action: 'iot:Connect', resource: arn('client', operation.clientId) }];
    case 'publish': {
      const publish = { action: 'iot:Publish', resource: arn('topic', operation.topic) };
      return operation.retain ? [publish, { action: 'iot:RetainPublish', resource: arn('topic', operation.topic) }] : [publish];
    }
    case 'subscribe':
      return [{ action: 'iot:Subscribe', resource: arn('topicfilter', operation.filter) }];
    case 'receive':
      return [{ action: 'iot:Receive', resource: arn('topic', operation.topic) }];
  }
}

/** What a CONNECT asked for that AWS IoT names in `iot:ConnectAttributes`. */
export interface ConnectRequest {
  /** MQTT clean session; `false` is a persistent session. */
  readonly clean: boolean;
  readonly hasWill: boolean;
}

/**
 * The policy variables of a connection (AWS IoT developer guide, "Thing policy variables"): the thing named
 * by the client id, when the registry has one, and whether this certificate is attached to it; and the
 * `iot:ConnectAttributes` of its CONNECT ("Using connectAttributes": `PersistentConnect`, `LastWill`).
 */
export function connectionContext(
  principal: Principal,
  clientId: string,
  thingNames: ReadonlySet<string>,
  connect: ConnectRequest = { clean: true, hasWill: false },
): Record<string, string | readonly string[]> {
  const attributes = [...(connect.clean ? [] : ['PersistentConnect']), ...(connect.hasWill ? ['LastWill'] : [])];
  const context: Record<string, string | readonly string[]> = { 'iot:ClientId': clientId, 'iot:ConnectAttributes': attributes };
  if (thingNames.has(clientId)) {
    context['iot:Connection.Thing.ThingName'] = clientId;
    context['iot:Connection.Thing.IsAttached'] = String(principal.thingName === clientId);
  }
  return context;
}

/** Whether every action the operation needs is allowed by the principal's policies. */
export function isAuthorized(
  documents: readonly PolicyDocumentJson[],
  operation: MqttOperation,
  context: PolicyContext,
  arn: IotArn = localIotArn,
): boolean {
  return actionsFor(operation, arn).every((request) => evaluatePolicies(documents, { ...request, context }) === 'allow');
}
