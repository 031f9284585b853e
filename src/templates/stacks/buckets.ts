import { CfnDeletionPolicy, type Stack } from 'aws-cdk-lib';
import { CfnArchive } from 'aws-cdk-lib/aws-events';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnBucket, CfnBucketPolicy } from 'aws-cdk-lib/aws-s3';
import { partitionOf } from '../../partitions.js';
import {
  AUDIT_NAMES,
  artifactBucketName,
  CUSTOMIZATION_TEMPLATE_PREFIX,
  LAMBDA_BUNDLE_PREFIX,
  POLICY_BUNDLE_EXPIRY_DAYS,
  POLICY_BUNDLE_PREFIX,
  ROLE_NAMES,
  TEMPLATE_PREFIX,
} from '../../protocol/names.js';
import {
  accountRootPrincipal,
  denyInsecureTransport,
  localBusArn,
  policyDocument,
  principalTrust,
} from './common.js';

/** Every orgbridge bucket: no public access, encrypted at rest. */
export const BLOCK_PUBLIC = {
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
};
export const ENCRYPTED = {
  serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
};

/**
 * The artifact bucket of one region (cicd account): CloudFormation templates and Lambda bundles.
 * Every account of the organization may read them (stack set instances create functions from
 * these keys), nobody outside it. In the home region it also holds the SCP bundles of
 * SYNC_SCPS (`policies/`), which only the management account's handler role may read.
 */
export function addArtifactBucket(
  stack: Stack,
  cicdAccountId: string,
  region: string,
  organizationId: string,
  /** The management account, given for the home region's bucket only. */
  scpBundleReader?: string,
): void {
  const name = artifactBucketName(cicdAccountId, region);
  const partition = partitionOf(region);
  const bucket = new CfnBucket(stack, 'ArtifactBucket', {
    bucketName: name,
    versioningConfiguration: { status: 'Enabled' },
    publicAccessBlockConfiguration: BLOCK_PUBLIC,
    bucketEncryption: ENCRYPTED,
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
    lifecycleConfiguration: {
      rules: [
        { id: 'expire-old-versions', status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: 90 } },
        // SCP bundles are content-addressed and read once: without this every SCP change would
        // stay forever. The sender uploads again a bundle close to expiry (s3PolicyBundleStore).
        {
          id: 'expire-scp-bundles',
          status: 'Enabled',
          prefix: POLICY_BUNDLE_PREFIX,
          expirationInDays: POLICY_BUNDLE_EXPIRY_DAYS,
          noncurrentVersionExpiration: { noncurrentDays: 1 },
        },
      ],
    },
  });
  new CfnBucketPolicy(stack, 'ArtifactBucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'OrganizationReadsArtifacts',
          Effect: 'Allow',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: [
            `arn:${partition}:s3:::${name}/${LAMBDA_BUNDLE_PREFIX}*`,
            `arn:${partition}:s3:::${name}/${TEMPLATE_PREFIX}*`,
            `arn:${partition}:s3:::${name}/${CUSTOMIZATION_TEMPLATE_PREFIX}*`,
          ],
          Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
        },
        ...(scpBundleReader ? [scpBundleReadStatement(partition, name, scpBundleReader)] : []),
        denyInsecureTransport([`arn:${partition}:s3:::${name}`, `arn:${partition}:s3:::${name}/*`], 's3:*'),
      ],
    },
  });
}

/**
 * The management handler reads SCP bundles cross-account. The principal is the account with a
 * condition on the role's ARN rather than the role itself: S3 refuses a policy naming a role
 * that does not exist yet, and the bootstrap deploys the artifact buckets before the handlers.
 */
function scpBundleReadStatement(
  partition: string,
  bucketName: string,
  managementAccountId: string,
): Record<string, unknown> {
  return {
    Sid: 'ManagementHandlerReadsScpBundles',
    Effect: 'Allow',
    Principal: { AWS: `arn:${partition}:iam::${managementAccountId}:root` },
    Action: 's3:GetObject',
    Resource: `arn:${partition}:s3:::${bucketName}/${POLICY_BUNDLE_PREFIX}*`,
    Condition: {
      ArnEquals: {
        'aws:PrincipalArn': `arn:${partition}:iam::${managementAccountId}:role/${ROLE_NAMES.handler('management')}`,
      },
    },
  };
}

/**
 * The audit account's store: every event of every bus, as one object per event, in a bucket
 * nobody can delete from (object lock in compliance mode, plus an explicit deny) and an
 * EventBridge archive of the audit bus for replay, and the role `orgbridge trace` reads it with.
 */
export function addAuditStore(
  stack: Stack,
  auditAccountId: string,
  region: string,
  busName: string,
  retentionDays: number,
  managementAccountId: string,
): string {
  const name = AUDIT_NAMES.bucket(auditAccountId, region);
  const bucketArn = `arn:${partitionOf(region)}:s3:::${name}`;
  const bucket = new CfnBucket(stack, 'AuditBucket', {
    bucketName: name,
    versioningConfiguration: { status: 'Enabled' },
    objectLockEnabled: true,
    objectLockConfiguration: {
      objectLockEnabled: 'Enabled',
      rule: { defaultRetention: { mode: 'COMPLIANCE', days: retentionDays } },
    },
    publicAccessBlockConfiguration: BLOCK_PUBLIC,
    bucketEncryption: ENCRYPTED,
    ownershipControls: { rules: [{ objectOwnership: 'BucketOwnerEnforced' }] },
  });
  bucket.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
  bucket.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  new CfnBucketPolicy(stack, 'AuditBucketPolicy', {
    bucket: bucket.ref,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyDelete',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: [
            's3:DeleteObject',
            's3:DeleteObjectVersion',
            's3:PutLifecycleConfiguration',
            's3:DeleteBucket',
          ],
          Resource: [bucketArn, `${bucketArn}/*`],
        },
        denyInsecureTransport([bucketArn, `${bucketArn}/*`], 's3:*'),
      ],
    },
  });
  addAuditReaderRole(stack, name, bucketArn, managementAccountId);
  new CfnArchive(stack, 'AuditArchive', {
    archiveName: AUDIT_NAMES.archive,
    description: 'orgbridge: every event the audit bus received, for replay',
    sourceArn: localBusArn(busName),
    retentionDays: 0,
  });
  return bucketArn;
}

/**
 * `orgbridge-audit-reader`: what `orgbridge trace` assumes in the audit account, from the
 * management account (where an operator runs orgbridge, as for `orgbridge dlq`). It lists and
 * reads the audit store and nothing else: ListObjectsV2 needs s3:ListBucket on the bucket,
 * GetObject s3:GetObject on the objects
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). The bucket is
 * SSE-S3 encrypted, so no KMS permission is needed to read it.
 */
function addAuditReaderRole(
  stack: Stack,
  bucketName: string,
  bucketArn: string,
  managementAccountId: string,
): CfnRole {
  return new CfnRole(stack, 'AuditReaderRole', {
    roleName: ROLE_NAMES.auditReader,
    description: `orgbridge: orgbridge trace reads the audit store ${bucketName}, from the management account`,
    assumeRolePolicyDocument: principalTrust(accountRootPrincipal(managementAccountId)),
    policies: [
      {
        policyName: 'read-audit-store',
        policyDocument: policyDocument([
          { sid: 'ListAuditStore', actions: ['s3:ListBucket'], resources: [bucketArn] },
          { sid: 'ReadAuditEvents', actions: ['s3:GetObject'], resources: [`${bucketArn}/*`] },
        ]),
      },
    ],
  });
}
