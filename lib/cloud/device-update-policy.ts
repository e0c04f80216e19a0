import { deviceUpdatePermissions } from '../contract';
import type { IotArn, IotPolicyDocument } from './device-policy';

/** Stands for the connecting car's thing name in a policy resource (AWS IoT developer guide, "Thing policy variables"). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an AWS IoT policy variable, resolved by AWS IoT for each connection.
export const THING_NAME_VARIABLE = '${iot:Connection.Thing.ThingName}';

/**
 * The one AWS IoT policy for over-the-air updates, attached to every car's certificate: each car may use only
 * its own thing's job and stream topics, because AWS IoT puts the connection's thing name in for the variable
 * (a car connects only as the thing its certificate is attached to). One document for all cars, so updates
 * cost a car one attachment rather than a policy of its own, and its lamp policy keeps its room.
 */
export function deviceUpdatePolicy(arn: IotArn): IotPolicyDocument {
  const permissions = deviceUpdatePermissions(THING_NAME_VARIABLE);
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Publish', Resource: permissions.publish.map((topic) => arn('topic', topic)) },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: permissions.subscribe.map((filter) => arn('topicfilter', filter)) },
      { Effect: 'Allow', Action: 'iot:Receive', Resource: permissions.receive.map((topic) => arn('topic', topic)) },
    ],
  };
}
