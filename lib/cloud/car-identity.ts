import { CfnOutput, CustomResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnCertificate, CfnPolicy, CfnPolicyPrincipalAttachment, CfnThing, CfnThingPrincipalAttachment } from 'aws-cdk-lib/aws-iot';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { CarConfig } from '../config';
import { DEVICE_CERTIFICATE_RESOURCE_TYPE, DeviceCertificateProvider } from './certificate-provider';
import { DEFAULT_KEYS_DIR, readDeviceCsr } from '../pki/device-keys';
import { deviceIotPolicies } from './device-policy';
import { type CarOutput, carOutputKey } from '../contract/stack';

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

interface DeviceCertificate {
  readonly id: string;
  readonly arn: string;
}

/**
 * One car's identity in AWS IoT: its thing, its certificate, a policy that lets it use only its own topics,
 * and the attachments that bind the three. In "aws" mode AWS makes the key and it is kept only in the
 * car's secret; in "csr" mode the key stays on the computer that ran `npx plamo keys`.
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

  constructor(scope: Construct, id: string, props: CarIdentityProps) {
    super(scope, id);
    const { carId, car } = props;
    this.carId = carId;
    const thing = new CfnThing(this, 'Thing', { thingName: carId });
    this.thingName = thing.ref;
    this.thingArn = thing.attrArn;

    let certificate: DeviceCertificate;
    if (car.certificate.mode === 'csr') {
      certificate = this.certificateFromCsr(carId, car.certificate.generation, props.keysDir ?? DEFAULT_KEYS_DIR);
    } else {
      this.secret = this.certificateSecret(carId);
      certificate = this.certificateFromAws(car.certificate.generation, this.secret);
    }
    this.certificateId = certificate.id;
    this.certificateArn = certificate.arn;

    const stack = Stack.of(this);
    const documents = deviceIotPolicies(props.topicRoot, carId, Object.keys(car.lamps), (resource, resourceName) =>
      stack.formatArn({ service: 'iot', resource, resourceName }),
    );
    documents.forEach((policyDocument, index) => {
      // The first keeps the ids a one-policy car always had, so adding lamps never replaces it.
      const suffix = index === 0 ? '' : String(index + 1);
      const policy = new CfnPolicy(this, `Policy${suffix}`, { policyDocument });
      new CfnPolicyPrincipalAttachment(this, `PolicyAttachment${suffix}`, { policyName: policy.ref, principal: certificate.arn });
    });
    // Exclusive: this certificate can be attached to no other thing (Device Defender audit check
    // "Device certificate shared"), so it can only ever connect as this car.
    new CfnThingPrincipalAttachment(this, 'ThingAttachment', {
      thingName: thing.ref,
      principal: certificate.arn,
      thingPrincipalType: 'EXCLUSIVE_THING',
    });

    this.output('ThingName', this.thingName, `IoT thing of car ${carId}`);
    this.output('CertificateId', certificate.id, `device certificate of car ${carId} (${car.certificate.mode} mode)`);
    if (this.secret) this.output('CertificateSecretArn', this.secret.secretArn, `secret with the certificate and key of car ${carId}`);
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

  private certificateFromAws(generation: number, secret: Secret): DeviceCertificate {
    const provider = DeviceCertificateProvider.of(this);
    provider.allowCar(this.thingArn, secret);
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
    return { id: certificate.attrId, arn: certificate.attrArn };
  }

  private output(name: CarOutput, value: string, description: string): void {
    const output = new CfnOutput(this, `${name}Output`, { value, description });
    output.overrideLogicalId(carOutputKey(this.carId, name));
  }
}
