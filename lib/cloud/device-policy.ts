import { devicePermissions, deviceRetainedTopics } from '../contract';

type IotResourceType = 'client' | 'topic' | 'topicfilter';

/** The `iot:ConnectAttributes` a car may use; the firmware connects with clean_session=True and a last will. */
export const DEVICE_CONNECT_ATTRIBUTES = ['LastWill'] as const;

/** Builds an AWS IoT ARN for `resourceType/resourceName` in the stack's partition, region and account. */
export type IotArn = (resourceType: IotResourceType, resourceName: string) => string;

export interface IotPolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string | string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface IotPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: IotPolicyStatement[];
}

/** AWS IoT refuses a policy document over 2048 characters, whitespace not counted (IoT API reference, CreatePolicy). */
export const IOT_POLICY_MAX_CHARS = 2048;

/**
 * The longest ARN prefix a deployment can resolve to (`aws-iso-b` partition, 14-letter region, 12-digit
 * account), used to measure documents whose ARNs are still CloudFormation tokens at synth.
 */
export const WIDEST_ARN: IotArn = (type, name) => `arn:aws-iso-b:iot:ap-southeast-9:123456789012:${type}/${name}`;

interface Grant {
  readonly action: string | string[];
  readonly type: IotResourceType;
  readonly names: readonly string[];
  readonly condition?: IotPolicyStatement['Condition'];
}

/**
 * What a car may do, from the contract's permission model so that the cloud, the lamp API and the local
 * broker cannot drift apart. Every topic is exact: the config knows each lamp's name.
 *
 * - Connect: the client id must be the thing name of a thing the certificate is attached to
 *   (`iot:Connection.Thing.*` policy variables; AWS IoT developer guide, "Thing policy variables"), with
 *   no connect attribute but the last will.
 * - Publish/RetainPublish/Receive take `topic/` resources, Subscribe takes `topicfilter/` resources, matched
 *   against the filter the device sends.
 */
function deviceGrants(topicRoot: string, carId: string, lamps: readonly string[]): Grant[] {
  const permissions = devicePermissions(topicRoot, carId, lamps);
  const retained = deviceRetainedTopics(topicRoot, carId, lamps);
  return [
    {
      action: 'iot:Connect',
      type: 'client',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable, resolved by AWS IoT at connect time.
      names: ['${iot:Connection.Thing.ThingName}'],
      condition: {
        Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
        // Only what the firmware's CONNECT uses: a last will, and a clean session (no PersistentConnect),
        // so a stolen certificate cannot park a persistent session that queues the car's commands
        // (AWS IoT developer guide, "Using connectAttributes").
        'ForAllValues:StringEquals': { 'iot:ConnectAttributes': DEVICE_CONNECT_ATTRIBUTES },
      },
    },
    // Retained lamp states and status (and the retained last will) also need iot:RetainPublish
    // (AWS IoT developer guide, "Retained message policy examples").
    { action: ['iot:Publish', 'iot:RetainPublish'], type: 'topic', names: retained },
    { action: 'iot:Publish', type: 'topic', names: permissions.publish.filter((topic) => !retained.includes(topic)) },
    { action: 'iot:Subscribe', type: 'topicfilter', names: permissions.subscribe },
    { action: 'iot:Receive', type: 'topic', names: permissions.receive },
  ];
}

function render(grants: readonly Grant[], arn: IotArn): IotPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: grants.map((grant) => ({
      Effect: 'Allow',
      Action: grant.action,
      Resource: grant.names.map((name) => arn(grant.type, name)),
      ...(grant.condition ? { Condition: grant.condition } : {}),
    })),
  };
}

const sizeOf = (grants: readonly Grant[]) => JSON.stringify(render(grants, WIDEST_ARN)).length;

/** Adds one resource to the last grant of `grants` when it is the same grant, else starts that grant anew. */
function withResource(grants: readonly Grant[], grant: Grant, name: string): Grant[] {
  const last = grants.at(-1);
  if (last && last.action === grant.action) return [...grants.slice(0, -1), { ...last, names: [...last.names, name] }];
  return [...grants, { ...grant, names: [name] }];
}

/**
 * A car's AWS IoT policies: the grants packed, in order, into as few documents as fit AWS IoT's
 * `IOT_POLICY_MAX_CHARS` each (a car with many lamps needs more than one; all are attached to its certificate).
 */
export function deviceIotPolicies(topicRoot: string, carId: string, lamps: readonly string[], arn: IotArn): IotPolicyDocument[] {
  const documents: Grant[][] = [[]];
  for (const grant of deviceGrants(topicRoot, carId, lamps)) {
    for (const name of grant.names) {
      const current = documents[documents.length - 1];
      const grown = withResource(current, grant, name);
      if (current.length === 0 || sizeOf(grown) <= IOT_POLICY_MAX_CHARS) documents[documents.length - 1] = grown;
      else documents.push(withResource([], grant, name));
    }
  }
  return documents.map((grants) => render(grants, arn));
}
