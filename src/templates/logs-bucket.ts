import { CfnDeletionPolicy, Fn, type Stack } from 'aws-cdk-lib';
import { CfnBucket, CfnBucketPolicy } from 'aws-cdk-lib/aws-s3';
import { partitionOf } from '../partitions.js';
import type { LogDeliveryGrant } from '../plan/access.js';
import { LOGS_NAMES, ROLE_NAMES } from '../protocol/names.js';
import { BLOCK_PUBLIC, ENCRYPTED } from './stacks/buckets.js';
import { denyInsecureTransport } from './stacks/common.js';

/** Service principals that deliver AWS logs into S3 (CloudFront v2, WAF, VPC flow logs, ...; ELB). */
export const LOG_DELIVERY_PRINCIPALS = [
  'delivery.logs.amazonaws.com',
  'logdelivery.elasticloadbalancing.amazonaws.com',
];

/**
 * The logs account's bucket (the EventBridge design, "logging updates") with a delivery grant for exactly the
 * accounts that need it (`use_cfr` or `logging`, see planLogDelivery): whole OUs by
 * aws:SourceOrgPaths, single accounts by aws:SourceAccount, or the organization by
 * aws:SourceOrgID past the size budget. The deny-modification statement is the EventBridge design's: only the
 * updater role (and its CloudFormation session) may change or delete the bucket.
 */
export function addLogsBucketWithDelivery(
  stack: Stack,
  logsAccountId: string,
  region: string,
  organizationId: string,
  grant: LogDeliveryGrant,
): void {
  const name = LOGS_NAMES.bucket(logsAccountId, region);
  const bucket = new CfnBucket(stack, 'LogsBucket', {
    bucketName: name,
    versioningConfiguration: { status: 'Enabled' },
    publicAccessBlockConfiguration: BLOCK_PUBLIC,
    bucketEncryption: ENCRYPTED,
    // CloudFront standard logs still write with ACLs: the bucket owner must be able to take them.
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerPreferred' }] },
  });
  bucket.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
  bucket.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  const bucketArn = `arn:${partitionOf(region)}:s3:::${name}`;
  const conditions: Record<string, unknown>[] = grant.organizationWide
    ? [{ StringEquals: { 'aws:SourceOrgID': organizationId } }]
    : [
        ...(grant.orgPaths.length
          ? [{ 'ForAnyValue:StringEquals': { 'aws:SourceOrgPaths': [...grant.orgPaths] } }]
          : []),
        ...(grant.accountIds.length
          ? [{ StringEquals: { 'aws:SourceAccount': [...grant.accountIds] } }]
          : []),
      ];
  const delivery = conditions.flatMap((condition, i) => {
    const suffix = conditions.length > 1 ? String(i + 1) : '';
    return [
      {
        Sid: `LogDeliveryWrite${suffix}`,
        Effect: 'Allow',
        Principal: { Service: LOG_DELIVERY_PRINCIPALS },
        Action: 's3:PutObject',
        Resource: `${bucketArn}/AWSLogs/*`,
        Condition: { ...condition, StringEqualsIfExists: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      {
        Sid: `LogDeliveryAclCheck${suffix}`,
        Effect: 'Allow',
        Principal: { Service: LOG_DELIVERY_PRINCIPALS },
        Action: 's3:GetBucketAcl',
        Resource: bucketArn,
        Condition: condition,
      },
    ];
  });
  const updater = ROLE_NAMES.logBucketUpdater;
  new CfnBucketPolicy(stack, 'LogsBucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        ...delivery,
        {
          Sid: 'deny-modification',
          Effect: 'Deny',
          NotPrincipal: {
            AWS: [
              Fn.sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${updater}`),
              Fn.sub(
                `arn:\${AWS::Partition}:sts::\${AWS::AccountId}:assumed-role/${updater}/AWSCloudFormation`,
              ),
            ],
          },
          Action: ['s3:Delete*', 's3:PutBucket*'],
          Resource: [bucketArn, `${bucketArn}/*`],
        },
        denyInsecureTransport([bucketArn, `${bucketArn}/*`], 's3:*'),
      ],
    },
  });
}
