import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The key prefix of every update file; the stream role may read only below it. */
export const OTA_KEY_PREFIX = 'ota/';

export interface OtaUpdatesProps {
  /**
   * How long an update's files stay in the bucket. A car offline longer than this finds its queued job's
   * files gone; the job then fails and `plamo ota` has to be run again.
   * @default Duration.days(30)
   */
  readonly expireAfter?: Duration;
}

/**
 * Where over-the-air updates live in AWS: a private, encrypted, TLS-only bucket whose update files expire,
 * and the role AWS IoT's MQTT-based file delivery assumes to read them into a car's stream (CreateStream
 * `roleArn`: "an IAM role that allows the IoT service principal to access your S3 files"). The jobs and
 * streams themselves are made by `plamo ota` (CreateJob, CreateStream); what a car may do with them is in its
 * group's update policy (`UpdatePolicy`).
 *
 * The bucket keeps aws-cdk-lib's default removal policy for a `Bucket` (RETAIN): `cdk destroy` leaves it, with
 * the update files still in it and its TLS-only policy, for its owner to delete.
 */
export class OtaUpdates extends Construct {
  readonly bucket: Bucket;
  /** Assumed by AWS IoT (this account only) to read `ota/*`; nothing else. */
  readonly streamRole: Role;

  constructor(scope: Construct, id: string, props: OtaUpdatesProps = {}) {
    super(scope, id);
    const expireAfter = props.expireAfter ?? Duration.days(30);
    // S3 lifecycle expiration counts whole days.
    if (expireAfter.toHours() < 24 || expireAfter.toHours() % 24 !== 0)
      throw new Error(`expireAfter must be a whole number of days (at least one), not ${expireAfter.toHumanString()}`);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ prefix: OTA_KEY_PREFIX, expiration: expireAfter, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    // aws-cdk-lib retains the bucket but deletes its policy, and with it the TLS-only rule (aws/aws-cdk#27125):
    // the bucket `cdk destroy` leaves behind keeps it until its owner deletes both.
    this.bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the owner writes here (plamo ota) and only the stream role reads, below ota/, and files expire; access logs would need a second bucket that outlives them, and CloudTrail records the writes.',
    });
    const { account } = Stack.of(this);
    // aws:SourceAccount keeps another account's IoT from using this role (the confused deputy problem).
    this.streamRole = new Role(this, 'StreamRole', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': account } }),
      description: 'AWS IoT MQTT-based file delivery reads plamo update files from the OTA bucket',
    });
    this.streamRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${OTA_KEY_PREFIX}*`)] }),
    );
    const bucketLogicalId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(this.streamRole.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${OTA_KEY_PREFIX}*]`,
      reason:
        'Update files are written after the deploy, under ota/<car>/<version>/, so their keys cannot be named here; the role only reads, and only below ota/ of this one bucket.',
    });
  }
}
