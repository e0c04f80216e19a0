import { Construct } from 'constructs';
import type { CarConfig } from '../config';
import { CarIdentity, type SharedIotPolicy } from './car-identity';

export interface CarProps {
  /** First level of every topic (`config.topicRoot`). */
  readonly topicRoot: string;
  /** The car id: thing name and MQTT client id. */
  readonly carId: string;
  readonly car: CarConfig;
  /**
   * Where `npx plamo keys` put the CSR of a car in certificate mode "csr".
   * @default '.plamo'
   */
  readonly keysDir?: string;
  /** The update policy of the car's group (`UpdatePolicy`): attached to this car's certificate. @default - none */
  readonly updatePolicy?: SharedIotPolicy;
}

/**
 * Everything one car has in the cloud, and nothing shared: its identity in AWS IoT (thing, certificate,
 * policies, attachments, secret and their deletion steps). What a car costs in a template is priced from
 * this construct (`guardTemplateLimits`), so a per-car resource belongs under it.
 */
export class Car extends Construct {
  readonly carId: string;
  readonly identity: CarIdentity;

  constructor(scope: Construct, id: string, props: CarProps) {
    super(scope, id);
    this.carId = props.carId;
    this.identity = new CarIdentity(this, 'Identity', props);
    if (props.updatePolicy) {
      // Over-the-air updates: the group's policy, which reaches only this car's own job and stream topics.
      this.identity.attachSharedPolicy('UpdatePolicyAttachment', props.updatePolicy);
    }
  }
}
