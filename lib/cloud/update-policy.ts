import { type CustomResource, Stack } from 'aws-cdk-lib';
import { CfnPolicy } from 'aws-cdk-lib/aws-iot';
import { Construct } from 'constructs';
import type { SharedIotPolicy } from './car-identity';
import { DeviceCertificateProvider } from './certificate-provider';
import { deviceUpdatePolicy } from './device-update-policy';

/**
 * The name of a car group's update policy, e.g. `plamo.updates.07` for `CarGroup07`: fixed, like the cars'
 * `plamo-<car>` policies, so that the provider's role can name it; the `.` keeps it apart from those (a car id
 * has no `.`).
 */
export function updatePolicyName(group: number): string {
  return `plamo.updates.${String(group).padStart(2, '0')}`;
}

export interface UpdatePolicyProps {
  /** The policy's name (`updatePolicyName`). */
  readonly policyName: string;
}

/**
 * The over-the-air update policy of one car group's nested stack (`deviceUpdatePolicy`: one document for all
 * cars, through the thing-name policy variable), attached to each car's certificate of the group.
 *
 * It lives beside the attachments rather than in the parent stack: AWS IoT needs "up to five minutes after a
 * policy is detached before it's ready to be deleted" (DeletePolicy), and CloudFormation deletes a policy right
 * after its attachments. So, like the cars' own policies, CloudFormation retains it and a `Custom::IotDeletion`
 * deletes it once AWS IoT has let go; every attachment depends on that step and is removed before it runs.
 */
export class UpdatePolicy extends Construct implements SharedIotPolicy {
  readonly policyName: string;
  readonly policyArn: string;
  readonly deletion: CustomResource;

  constructor(scope: Construct, id: string, props: UpdatePolicyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const policy = new CfnPolicy(this, 'Resource', {
      policyName: props.policyName,
      policyDocument: deviceUpdatePolicy((type, name) => stack.formatArn({ service: 'iot', resource: type, resourceName: name })),
    });
    this.policyName = policy.ref;
    this.policyArn = policy.attrArn;
    const provider = DeviceCertificateProvider.of(this);
    this.deletion = provider.deletionOf(this, 'Deletion', policy, { Kind: 'policy', Name: policy.ref });
    provider.allowPolicy(policy.attrArn);
  }
}
