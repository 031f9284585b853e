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
 * Elastic Load Balancing writes access logs with the service principal above only in Regions
 * available from August 2022; in the Regions before that it writes as an AWS account of its own
 * per Region, which the bucket must grant by `arn:aws:iam::<id>:root`, one path per delivering
 * account ("Attach a policy to your S3 bucket",
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
 * The bucket and the load balancer must be in the same Region, so only the bucket's own Region
 * matters.
 */
export const ELB_LOG_DELIVERY_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'af-south-1': '098369216593',
  'ap-east-1': '754344448648',
  'ap-southeast-3': '589379963580',
  'ap-south-1': '718504428378',
  'ap-northeast-3': '383597477331',
  'ap-northeast-2': '600734575887',
  'ap-southeast-1': '114774131450',
  'ap-southeast-2': '783225319266',
  'ap-northeast-1': '582318560864',
  'ca-central-1': '985666609251',
  'eu-central-1': '054676820928',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-south-1': '635631232127',
  'eu-west-3': '009996457667',
  'eu-north-1': '897822967062',
  'me-south-1': '076674570225',
  'sa-east-1': '507241528517',
  'us-gov-west-1': '048591011584',
  'us-gov-east-1': '190560391635',
};

/**
 * The per-account paths of the ELB account grant, at most this many characters (the bucket
 * policy is at most 20 KB with the other statements, about 100 accounts). Past it the ELB account
 * may write under all of `AWSLogs/`: the form of AWS's own examples without the account, which
 * lets any load balancer of that Region write logs into the bucket (though read nothing). The
 * service principal grants keep their account conditions either way.
 */
export const ELB_ACCOUNT_PATHS_MAX_CHARS = 8_000;

/** The grant of the Region's ELB account, where ELB still writes as one; undefined elsewhere. */
function elbAccountStatement(
  region: string,
  bucketArn: string,
  grant: LogDeliveryGrant,
): Record<string, unknown> | undefined {
  const elb = ELB_LOG_DELIVERY_ACCOUNTS[region];
  if (!elb || grant.deliveringAccountIds.length === 0) return undefined;
  const perAccount = grant.deliveringAccountIds.map((id) => `${bucketArn}/AWSLogs/${id}/*`);
  const paths =
    JSON.stringify(perAccount).length > ELB_ACCOUNT_PATHS_MAX_CHARS ? [`${bucketArn}/AWSLogs/*`] : perAccount;
  return {
    Sid: 'ElbLogDeliveryWrite',
    Effect: 'Allow',
    Principal: { AWS: `arn:${partitionOf(region)}:iam::${elb}:root` },
    Action: 's3:PutObject',
    Resource: paths.length === 1 ? paths[0] : paths,
  };
}

/**
 * The logs account's bucket (the EventBridge design, "logging updates") with a delivery grant for exactly the
 * accounts that need it (`use_cfr` or `logging`, see planLogDelivery): whole OUs by
 * aws:SourceOrgPaths, single accounts by aws:SourceAccount, or the organization by
 * aws:SourceOrgID past the size budget; in the Regions where ELB still writes as an account of
 * its own, that account too, for exactly the delivering accounts' paths. The deny-modification
 * statement is the EventBridge design's: only the updater role (in CloudFormation's hands) may change or delete
 * the bucket.
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
  const elb = elbAccountStatement(region, bucketArn, grant);
  new CfnBucketPolicy(stack, 'LogsBucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        ...delivery,
        ...(elb ? [elb] : []),
        denyModification(bucketArn),
        denyInsecureTransport([bucketArn, `${bucketArn}/*`], 's3:*'),
      ],
    },
  });
}

/**
 * The EventBridge design's deny-modification: nobody but the updater role may delete or reconfigure the bucket.
 * Written as `Principal: "*"` with `ArnNotLike aws:PrincipalArn` rather than NotPrincipal: for a
 * role session, aws:PrincipalArn is the role's ARN whatever the session's name, so no guess at
 * CloudFormation's session name, and IAM does not deny the role for want of its account's ARN in
 * the list, which NotPrincipal would (the next UPDATE_LOG_BUCKETS would fail, and only the root
 * user could repair the policy). AWS's advice for "everyone except":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
 * and https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn.
 */
export function denyModification(bucketArn: string): Record<string, unknown> {
  return {
    Sid: 'deny-modification',
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:Delete*', 's3:PutBucket*'],
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: {
      ArnNotLike: {
        'aws:PrincipalArn': Fn.sub(
          `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${ROLE_NAMES.logBucketUpdater}`,
        ),
      },
    },
  };
}
