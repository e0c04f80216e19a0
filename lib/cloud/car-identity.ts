import { type CfnResource, CustomResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnCertificate, CfnPolicy, CfnPolicyPrincipalAttachment, CfnThing, CfnThingPrincipalAttachment } from 'aws-cdk-lib/aws-iot';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CarConfig } from '../config';
import { DEFAULT_KEYS_DIR, readDeviceCsr } from '../pki/device-keys';
import { THING_ATTRIBUTES } from '../contract/stack';
import { DEVICE_CERTIFICATE_RESOURCE_TYPE, DeviceCertificateProvider } from './certificate-provider';
import { deviceIotPolicies } from './device-policy';

export interface CarIdentityProps {
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
}

/** An IoT policy of the same stack that several cars' certificates get, and the step that deletes it. */
export interface SharedIotPolicy {
  /** The policy's name, resolved through the policy (a `Ref`), so an attachment depends on it. */
  readonly policyName: string;
  /** The policy's `Custom::IotDeletion`; every attachment of the policy must be removed before it runs. */
  readonly deletion: CustomResource;
}

interface DeviceCertificate {
  readonly id: string;
  readonly arn: string;
  /** The step that deletes it, in "csr" mode; in "aws" mode the certificate resource deletes itself. */
  readonly deletion?: CustomResource;
}

/**
 * One car's identity in AWS IoT: its thing, its certificate, a policy that lets it use only its own topics,
 * and the attachments that bind the three. In "aws" mode AWS makes the key and it is kept only in the
 * car's secret; in "csr" mode the key stays on the computer that ran `npx plamo keys`.
 *
 * AWS IoT lets go of a detached attachment only after a while ("several seconds" for a thing,
 * DetachThingPrincipal; "up to five minutes" before a detached policy can be deleted, DeletePolicy), and
 * CloudFormation deletes a thing, policy or certificate right after its attachments. So CloudFormation
 * retains those three, and a `Custom::IotDeletion` beside each deletes it, retrying until AWS IoT agrees. Every
 * attachment depends on those steps, so on a deletion (stack, rotation, a car or lamp removed) CloudFormation
 * removes the attachments first and only then runs the steps.
 */
export class CarIdentity extends Construct {
  readonly carId: string;
  /** Thing name (the car id), resolved through the thing so users of it depend on it. */
  readonly thingName: string;
  readonly thingArn: string;
  readonly certificateId: string;
  readonly certificateArn: string;
  /** The secret holding the certificate and key; undefined in "csr" mode. */
  readonly secret?: Secret;
  /** The step that deletes a retained certificate ("csr" mode); an attachment to it must go first. */
  private readonly certificateDeletion?: CustomResource;

  constructor(scope: Construct, id: string, props: CarIdentityProps) {
    super(scope, id);
    const { carId, car } = props;
    this.carId = carId;
    if (car.certificate.mode === 'aws') this.secret = this.certificateSecret(carId);
    // `plamo device` finds the secret through the thing (DescribeThing), so no stack output is needed per car.
    const attributes = this.secret ? { [THING_ATTRIBUTES.certificateSecretArn]: this.secret.secretArn } : undefined;
    const thing = new CfnThing(this, 'Thing', { thingName: carId, attributePayload: attributes && { attributes } });
    this.thingName = thing.ref;
    this.thingArn = thing.attrArn;

    const provider = DeviceCertificateProvider.of(this);
    const thingDeletion = this.deletionOf(thing, 'ThingDeletion', { Kind: 'thing', Name: thing.ref });

    const certificate = this.secret
      ? this.certificateFromAws(car.certificate.generation, this.secret)
      : this.certificateFromCsr(carId, car.certificate.generation, props.keysDir ?? DEFAULT_KEYS_DIR);
    this.certificateId = certificate.id;
    this.certificateArn = certificate.arn;
    this.certificateDeletion = certificate.deletion;

    const stack = Stack.of(this);
    const documents = deviceIotPolicies(props.topicRoot, carId, Object.keys(car.lamps), (resource, resourceName) =>
      stack.formatArn({ service: 'iot', resource, resourceName }),
    );
    const attachmentSteps = [thingDeletion, ...(certificate.deletion ? [certificate.deletion] : [])];
    const policyArns = documents.map((policyDocument, index) => {
      // The first keeps the ids a one-policy car always had, so adding lamps never replaces it.
      const suffix = index === 0 ? '' : String(index + 1);
      // Named after the car, like its thing (the names are unique in an account and region for the same reason):
      // the certificate provider's role lists each policy's ARN, and CloudFormation's generated names in a
      // nested stack are up to 128 characters long.
      const policy = new CfnPolicy(this, `Policy${suffix}`, { policyName: `plamo-${carId}${suffix && `-${suffix}`}`, policyDocument });
      const policyDeletion = this.deletionOf(policy, `Policy${suffix}Deletion`, { Kind: 'policy', Name: policy.ref });
      const attachment = new CfnPolicyPrincipalAttachment(this, `PolicyAttachment${suffix}`, {
        policyName: policy.ref,
        principal: certificate.arn,
      });
      for (const step of [policyDeletion, ...(certificate.deletion ? [certificate.deletion] : [])]) attachment.node.addDependency(step);
      return policy.attrArn;
    });
    // Exclusive: this certificate can be attached to no other thing (Device Defender audit check
    // "Device certificate shared"), so it can only ever connect as this car.
    const thingAttachment = new CfnThingPrincipalAttachment(this, 'ThingAttachment', {
      thingName: thing.ref,
      principal: certificate.arn,
      thingPrincipalType: 'EXCLUSIVE_THING',
    });
    for (const step of attachmentSteps) thingAttachment.node.addDependency(step);
    provider.allowCar({ thingArn: this.thingArn, policyArns, secret: this.secret });
  }

  /**
   * Attaches a policy that is not the car's own (its group's update policy) to this car's certificate. Like
   * the car's own attachments, it is removed before the deletion steps of the policy and of the certificate run.
   */
  attachSharedPolicy(id: string, policy: SharedIotPolicy): CfnPolicyPrincipalAttachment {
    const attachment = new CfnPolicyPrincipalAttachment(this, id, { policyName: policy.policyName, principal: this.certificateArn });
    for (const step of [policy.deletion, ...(this.certificateDeletion ? [this.certificateDeletion] : [])])
      attachment.node.addDependency(step);
    return attachment;
  }

  private certificateSecret(carId: string): Secret {
    const secret = new Secret(this, 'CertificateSecret', {
      description: `plamo-iot: device certificate and private key of car ${carId}, written by the certificate provider`,
      // The key is useless once its certificate is deleted with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'A rotation Lambda cannot put a new key on the car; rotation is bumping certificate.generation and deploying, then flashing the new bundle.',
    });
    return secret;
  }

  /**
   * CloudFormation keeps `resource` when it leaves the stack; the returned step deletes it instead, once
   * AWS IoT has let go of its attachments.
   */
  private deletionOf(resource: CfnResource, id: string, properties: Record<string, string>): CustomResource {
    return DeviceCertificateProvider.of(this).deletionOf(this, id, resource, properties);
  }

  private certificateFromAws(generation: number, secret: Secret): DeviceCertificate {
    const provider = DeviceCertificateProvider.of(this);
    const resource = new CustomResource(this, 'Certificate', {
      serviceToken: provider.serviceToken,
      resourceType: DEVICE_CERTIFICATE_RESOURCE_TYPE,
      properties: { ThingName: this.thingName, SecretArn: secret.secretArn, Generation: String(generation) },
    });
    return { id: resource.getAttString('CertificateId'), arn: resource.getAttString('CertificateArn') };
  }

  /**
   * AWS IoT signs the CSR; CloudFormation deactivates and deletes the certificate with the stack. The
   * generation is part of the logical id so that bumping it replaces the certificate, as in "aws" mode.
   */
  private certificateFromCsr(carId: string, generation: number, keysDir: string): DeviceCertificate {
    const certificate = new CfnCertificate(this, `CertificateGen${generation}`, {
      certificateSigningRequest: readDeviceCsr(carId, keysDir),
      status: 'ACTIVE',
    });
    const deletion = this.deletionOf(certificate, `CertificateGen${generation}Deletion`, {
      Kind: 'certificate',
      Name: certificate.attrId,
      ThingName: this.thingName,
    });
    return { id: certificate.attrId, arn: certificate.attrArn, deletion };
  }
}
