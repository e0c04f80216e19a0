import { createHash } from 'node:crypto';
import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { PlamoConfig } from '../config';
import { Car } from './car';
import { UpdatePolicy } from './update-policy';

/**
 * How many nested stacks the cars are spread over. Fixed: a car's group is a hash of its id modulo this
 * number, so adding or removing a car never moves another one (moving would replace its thing and
 * certificate, and the thing name is a physical name). Changing it moves most cars: never change it in a
 * deployed stack.
 */
export const CAR_GROUP_COUNT = 16;

/** The group (0 … CAR_GROUP_COUNT − 1) of a car: the first four bytes of the SHA-256 of its id. */
export function carGroupOf(carId: string): number {
  return createHash('sha256').update(carId).digest().readUInt32BE(0) % CAR_GROUP_COUNT;
}

/** The construct id of a group's nested stack, e.g. `CarGroup07`. */
export const carGroupId = (group: number) => `CarGroup${String(group).padStart(2, '0')}`;

export interface CarGroupStackProps {
  readonly config: PlamoConfig;
  /** The ids of the cars in this group, in config order. */
  readonly carIds: readonly string[];
  /** @default '.plamo' */
  readonly keysDir?: string;
  /**
   * The name of the group's over-the-air update policy (`updatePolicyName`), made in this stack and attached
   * to every car's certificate.
   * @default - no update policy
   */
  readonly updatePolicyName?: string;
}

/**
 * One nested stack of cars: each has its own 500 resources, so the cars are not bound by the parent
 * stack's. It has its own certificate provider, so that provider's role lists only this group's things,
 * policies and secrets and stays within IAM's policy size limits however many cars the deployment has,
 * and its own update policy, so that each attachment and the policy's deletion step are in one template.
 */
export class CarGroupStack extends NestedStack {
  readonly cars: readonly Car[];
  /** The update policy every car's certificate of this group gets; undefined without `updatePolicyName`. */
  readonly updatePolicy?: UpdatePolicy;

  constructor(scope: Construct, id: string, props: CarGroupStackProps) {
    super(scope, id, { description: `plamo-iot: ${props.carIds.length} car(s) of the cars whose id hashes to ${id}` });
    const { config } = props;
    // Shared by the group's cars, so outside every `Car`: the template-limit guard counts it once per group.
    const updatePolicy = props.updatePolicyName
      ? new UpdatePolicy(this, 'UpdatePolicy', { policyName: props.updatePolicyName })
      : undefined;
    this.updatePolicy = updatePolicy;
    this.cars = props.carIds.map(
      (carId) =>
        new Car(this, `Car-${carId}`, {
          topicRoot: config.topicRoot,
          carId,
          car: config.cars[carId],
          keysDir: props.keysDir,
          updatePolicy,
        }),
    );
  }
}

/** The config's cars by group, only groups that have cars, in group order. */
export function carGroups(config: PlamoConfig): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const carId of Object.keys(config.cars)) {
    const group = carGroupOf(carId);
    groups.set(group, [...(groups.get(group) ?? []), carId]);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a - b));
}
