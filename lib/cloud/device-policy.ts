import { devicePermissions, deviceRetainedTopics, iotPolicyTopicPattern } from '../contract';

/** The `iot:ConnectAttributes` a car may use; the firmware connects with clean_session=True and a last will. */
export const DEVICE_CONNECT_ATTRIBUTES = ['LastWill'] as const;

/** Builds an AWS IoT ARN for `resourceType/resourceName` in the stack's partition, region and account. */
export type IotArn = (resourceType: 'client' | 'topic' | 'topicfilter', resourceName: string) => string;

export interface IotPolicyStatement {
  readonly Effect: 'Allow';
  readonly Action: string;
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface IotPolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: IotPolicyStatement[];
}

/**
 * A car's AWS IoT policy, rendered from the contract's permission model so that the cloud, the lamp API and
 * the local broker cannot drift apart.
 *
 * - Connect: the client id must be the thing name of a thing the certificate is attached to
 *   (`iot:Connection.Thing.*` policy variables; AWS IoT developer guide, "Thing policy variables"), with
 *   no connect attribute but the last will.
 * - Publish/RetainPublish/Receive take `topic/` resources, where IoT policies match with `*`; Subscribe takes
 *   `topicfilter/` resources, matched literally against the filter the device sends, so `+` stays.
 */
export function deviceIotPolicy(topicRoot: string, carId: string, arn: IotArn): IotPolicyDocument {
  const permissions = devicePermissions(topicRoot, carId);
  const topics = (patterns: readonly string[]) => patterns.map((pattern) => arn('topic', iotPolicyTopicPattern(pattern)));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'iot:Connect',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable, resolved by AWS IoT at connect time.
        Resource: [arn('client', '${iot:Connection.Thing.ThingName}')],
        Condition: {
          Bool: { 'iot:Connection.Thing.IsAttached': 'true' },
          // Only what the firmware's CONNECT uses: a last will, and a clean session (no PersistentConnect),
          // so a stolen certificate cannot park a persistent session that queues the car's commands
          // (AWS IoT developer guide, "Using connectAttributes").
          'ForAllValues:StringEquals': { 'iot:ConnectAttributes': DEVICE_CONNECT_ATTRIBUTES },
        },
      },
      { Effect: 'Allow', Action: 'iot:Publish', Resource: topics(permissions.publish) },
      // Retained lamp states and status (and the retained last will) also need iot:RetainPublish
      // (AWS IoT developer guide, "Retained message policy examples").
      { Effect: 'Allow', Action: 'iot:RetainPublish', Resource: topics(deviceRetainedTopics(topicRoot, carId)) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: permissions.subscribe.map((filter) => arn('topicfilter', filter)) },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: topics(permissions.receive) },
    ],
  };
}
