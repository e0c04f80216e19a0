import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { OtaUpdates } from '../../lib/cloud/ota-updates';

function synthesize() {
  const app = new App();
  const stack = new Stack(app, 'OtaTest');
  new OtaUpdates(stack, 'Ota');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, template: Template.fromStack(stack) };
}

const { app, template } = synthesize();

describe('over-the-air update storage', () => {
  test('the bucket is private, encrypted and owned by the account', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('update files expire after 30 days', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Prefix: 'ota/', ExpirationInDays: 30, Status: 'Enabled' })] },
    });
  });

  test('the bucket refuses every request that is not over TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('only AWS IoT of this account may assume the stream role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'iot.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      },
    });
  });

  test('the stream role reads objects below ota/ and does nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^OtaBucket/), 'Arn'] }, '/ota/*']] },
      },
    ]);
  });

  test('an expiry that is not a whole number of days is refused with the value', () => {
    const stack = new Stack(new App(), 'Short');
    expect(() => new OtaUpdates(stack, 'Ota', { expireAfter: Duration.hours(2) })).toThrow(
      'expireAfter must be a whole number of days (at least one), not 2 hours',
    );
  });

  test('cdk destroy leaves the bucket and its files (aws-cdk-lib retains a Bucket), as the README says', () => {
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the bucket left behind keeps its TLS-only policy', () => {
    template.hasResource('AWS::S3::BucketPolicy', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the update policy is not here: it lives in each car group, beside its attachments', () => {
    template.resourceCountIs('AWS::IoT::Policy', 0);
  });

  test('synth passes cdk-nag, with access logging acknowledged on the bucket', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
