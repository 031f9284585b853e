import { ACCOUNT_PARAMETER_PATH } from '../plan/provisioning.js';
import {
  artifactBucketName,
  POLICY_BUNDLE_PREFIX,
  PREFIX,
  ROLE_NAMES,
  RUNTIME_STACKS,
  SSM_PATH,
} from './names.js';

/**
 * Least privilege, as data: the IAM statements each handler needs, keyed by the detail-type it
 * handles. A kind's handler role is the union over the detail-types its account handles (the
 * routing table of src/protocol) plus the runtime's own needs (its queue, its idempotency table,
 * its bus for replies). Resources are `Fn::Sub` strings (`${AWS::AccountId}` ...; the handler
 * stack also substitutes `${OrganizationId}` and `${CicdAccountId}`).
 *
 * Organizations actions never take `*`: each is listed. Organizations supports resource-level
 * permissions only on some actions and its ARNs embed the organization id, so read actions use
 * `Resource: "*"` as AWS documents; write actions are scoped to this organization's accounts, OUs
 * and root where the action allows it.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html
 */
export interface PolicyStatement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

const ORG_ACCOUNT = `arn:\${AWS::Partition}:organizations::\${AWS::AccountId}:account/\${OrganizationId}/*`;
const ORG_OU = `arn:\${AWS::Partition}:organizations::\${AWS::AccountId}:ou/\${OrganizationId}/*`;
const ORG_ROOT = `arn:\${AWS::Partition}:organizations::\${AWS::AccountId}:root/\${OrganizationId}/*`;

/** The SCP bundles SYNC_SCPS refers to (`CicdAccountId` is substituted like `OrganizationId`). */
export const SCP_BUNDLE_OBJECTS = `arn:\${AWS::Partition}:s3:::${artifactBucketName(`\${CicdAccountId}`, `\${AWS::Region}`)}/${POLICY_BUNDLE_PREFIX}*`;

const roleArn = (name: string) => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${name}`;

const READ_ORGANIZATION: PolicyStatement = {
  sid: 'ReadOrganization',
  actions: [
    'organizations:DescribeOrganization',
    'organizations:DescribeAccount',
    'organizations:ListAccounts',
    'organizations:ListAccountsForParent',
    'organizations:ListParents',
    'organizations:ListRoots',
    'organizations:ListOrganizationalUnitsForParent',
    'organizations:ListTagsForResource',
  ],
  resources: ['*'],
};

const CREATE_STATUS: PolicyStatement = {
  sid: 'AccountCreationStatus',
  actions: ['organizations:DescribeCreateAccountStatus', 'organizations:ListCreateAccountStatus'],
  resources: ['*'],
};

const MOVE: PolicyStatement = {
  sid: 'MoveAccountsBetweenOus',
  actions: ['organizations:MoveAccount', 'organizations:CreateOrganizationalUnit'],
  resources: [ORG_ACCOUNT, ORG_OU, ORG_ROOT],
};

const TAG: PolicyStatement = {
  sid: 'TagAccounts',
  actions: ['organizations:TagResource', 'organizations:UntagResource'],
  resources: [ORG_ACCOUNT, ORG_OU],
};

/**
 * The templates the pipeline uploads to the cicd account's artifact buckets (one per region).
 * CloudFormation reads a TemplateURL with the caller's credentials, not the service role's, and
 * the bucket is in another account, so both the bucket policy (the organization may read
 * `templates/*`, src/templates/stacks/buckets.ts) and the handler's role must allow it.
 */
const READ_TEMPLATES: PolicyStatement = {
  sid: 'ReadProvisioningTemplates',
  actions: ['s3:GetObject'],
  resources: [`arn:\${AWS::Partition}:s3:::${artifactBucketName(`\${CicdAccountId}`, '*')}/templates/*`],
};

/**
 * Deploy one named stack from an uploaded template with a service role (the role holds the
 * resource permissions). Exactly the calls of deployStack (src/handlers/provisioning): describe,
 * create, update, and delete a stack a failed creation left in ROLLBACK_COMPLETE. No change sets.
 * The VPC may be in any region, the other stacks in the handler's.
 */
function deployStack(
  sid: string,
  stack: string,
  serviceRole: string,
  region = `\${AWS::Region}`,
): PolicyStatement[] {
  return [
    stackStatement(sid, stack, region),
    {
      sid: `${sid}PassRole`,
      actions: ['iam:PassRole'],
      resources: [roleArn(serviceRole)],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    },
    READ_TEMPLATES,
  ];
}

/** The CloudFormation calls of deployStack on one named stack, in `region` (`*`: any). */
function stackStatement(sid: string, stack: string, region: string): PolicyStatement {
  return {
    sid: `${sid}Stack`,
    actions: [
      'cloudformation:CreateStack',
      'cloudformation:UpdateStack',
      'cloudformation:DescribeStacks',
      'cloudformation:DeleteStack',
    ],
    resources: [`arn:\${AWS::Partition}:cloudformation:${region}:\${AWS::AccountId}:stack/${stack}/*`],
  };
}

/**
 * Detail-type -> statements its handler needs. A detail-type missing here is a test failure
 * (test/unit/templates/permissions.test.ts), so a new handler cannot ship with a guessed role.
 */
export const HANDLER_PERMISSIONS: Readonly<Record<string, readonly PolicyStatement[]>> = {
  PING: [],
  LIST_ACCOUNTS: [READ_ORGANIZATION],
  CREATE_ACCOUNT: [
    READ_ORGANIZATION,
    CREATE_STATUS,
    { sid: 'CreateAccount', actions: ['organizations:CreateAccount'], resources: ['*'] },
    MOVE,
    TAG,
    {
      // CreateAccount creates Organizations' service-linked role in the new account on first use.
      sid: 'OrganizationsServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: ['*'],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'organizations.amazonaws.com' } },
    },
  ],
  MOVE_ACCOUNT: [READ_ORGANIZATION, MOVE],
  ENSURE_ORGANIZATIONAL_UNIT: [READ_ORGANIZATION, MOVE],
  TAG_ACCOUNT: [READ_ORGANIZATION, TAG],
  RETIRE_ACCOUNT: [
    READ_ORGANIZATION,
    MOVE,
    TAG,
    { sid: 'CloseRetiredAccount', actions: ['organizations:CloseAccount'], resources: [ORG_ACCOUNT] },
  ],
  STACK_INSTANCE_STATUS: [
    {
      sid: 'ReadStackInstances',
      actions: ['cloudformation:DescribeStackInstance'],
      resources: [
        `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stackset/${PREFIX}-*:*`,
      ],
    },
  ],
  SYNC_SCPS: [
    READ_ORGANIZATION,
    {
      sid: 'ReadPolicies',
      actions: [
        'organizations:ListPolicies',
        'organizations:ListPoliciesForTarget',
        'organizations:ListTargetsForPolicy',
        'organizations:DescribePolicy',
        // The policy plan names each OU it attaches to.
        'organizations:DescribeOrganizationalUnit',
      ],
      resources: ['*'],
    },
    {
      sid: 'ManagePolicies',
      actions: [
        'organizations:CreatePolicy',
        'organizations:UpdatePolicy',
        'organizations:DeletePolicy',
        'organizations:AttachPolicy',
        'organizations:DetachPolicy',
        'organizations:EnablePolicyType',
      ],
      resources: [
        ORG_OU,
        ORG_ROOT,
        `arn:\${AWS::Partition}:organizations::\${AWS::AccountId}:policy/\${OrganizationId}/*`,
      ],
    },
    {
      // CreatePolicy with Tags (the orgbridge marker) needs TagResource on the new policy.
      sid: 'TagPolicies',
      actions: ['organizations:TagResource'],
      resources: [`arn:\${AWS::Partition}:organizations::\${AWS::AccountId}:policy/\${OrganizationId}/*`],
    },
    {
      // A large SCP set arrives as a bundle in the cicd artifact bucket of the home region (the
      // handler's own); nothing else of that bucket. The bucket policy grants the same.
      sid: 'ReadScpBundles',
      actions: ['s3:GetObject'],
      resources: [SCP_BUNDLE_OBJECTS],
    },
  ],
  PUT_SSM_PARAMETERS: [
    {
      // The handler reads the path, writes what differs and deletes the rest (DeleteParameters).
      sid: 'WriteAccountParameters',
      actions: ['ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameters'],
      resources: [
        `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${ACCOUNT_PARAMETER_PATH.replace(/\/$/, '')}`,
        `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${ACCOUNT_PARAMETER_PATH}*`,
      ],
    },
  ],
  CREATE_VPC: deployStack('DeployVpc', RUNTIME_STACKS.vpc, ROLE_NAMES.stackDeployer, '*'),
  UPDATE_IAM_MAPPING: deployStack('DeployIamMapping', RUNTIME_STACKS.iamMapping, ROLE_NAMES.stackDeployer),
  UPDATE_ACCOUNT_BASELINE: [
    ...deployStack('DeployAccountBaseline', RUNTIME_STACKS.accountBaseline, ROLE_NAMES.stackDeployer),
    // With a region: the backup vaults of that region, same service role (IAM is global).
    stackStatement('DeployBackupVaults', RUNTIME_STACKS.backupVaults, '*'),
  ],
  UPDATE_LOG_BUCKETS: deployStack('DeployLogBuckets', RUNTIME_STACKS.logBuckets, ROLE_NAMES.logBucketUpdater),
  DNS_CREATE_ALIAS: dnsStatements('Alias'),
  DNS_CREATE_VALIDATION_RECORD: dnsStatements('ValidationRecord'),
  ENSURE_ACCOUNT_ZONE: [
    ...dnsStatements('Zone'),
    {
      // CreateHostedZone has no resource type: it takes `*` only.
      sid: 'DnsZoneCreate',
      actions: ['route53:CreateHostedZone'],
      resources: ['*'],
    },
    {
      // The account's zone and allowed domains, and the parent domain, for the record handlers.
      sid: 'DnsZoneWritePermissions',
      actions: ['ssm:PutParameter', 'ssm:DeleteParameter'],
      resources: [`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${SSM_PATH}*`],
    },
  ],
};

function dnsStatements(sid: string): PolicyStatement[] {
  return [
    {
      sid: `Dns${sid}Records`,
      actions: [
        'route53:ChangeResourceRecordSets',
        'route53:ListResourceRecordSets',
        'route53:GetHostedZone',
      ],
      resources: [`arn:\${AWS::Partition}:route53:::hostedzone/*`],
    },
    {
      sid: `Dns${sid}Lookup`,
      actions: ['route53:ListHostedZonesByName', 'route53:GetChange'],
      resources: ['*'],
    },
    {
      // allowed_dns_domains, exported to the DNS account as SSM parameters by the pipeline.
      sid: `Dns${sid}AllowedDomains`,
      actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      resources: [`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${SSM_PATH}*`],
    },
  ];
}

/** Permissions of the audit handler beyond the catalog: it stores every event it receives. */
export function auditStoreStatement(bucketArn: string): PolicyStatement {
  return { sid: 'StoreAuditEvents', actions: ['s3:PutObject'], resources: [`${bucketArn}/*`] };
}

/** The statements for a set of detail-types, deduplicated by sid, sorted for stable templates. */
export function statementsFor(detailTypes: Iterable<string>): PolicyStatement[] {
  const bySid = new Map<string, PolicyStatement>();
  const unknown: string[] = [];
  for (const type of detailTypes) {
    const statements = HANDLER_PERMISSIONS[type];
    if (!statements) {
      unknown.push(type);
      continue;
    }
    for (const s of statements) bySid.set(s.sid, s);
  }
  if (unknown.length > 0) {
    throw new Error(
      `no IAM permissions declared for detail-type(s) ${unknown.join(', ')}: add them to HANDLER_PERMISSIONS in src/templates/permissions.ts`,
    );
  }
  return [...bySid.values()].sort((a, b) => a.sid.localeCompare(b.sid));
}

/** What a stack deploying IAM roles needs, shared by the baseline and IAM mapping deployers. */
const ROLE_MANAGEMENT_ACTIONS: readonly string[] = [
  'iam:CreateRole',
  'iam:DeleteRole',
  'iam:GetRole',
  'iam:UpdateRole',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:GetRolePolicy',
  'iam:TagRole',
  'iam:UntagRole',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
];

/** Runtime statements do not depend on the catalog: every deployed detail-type must appear above. */
export const DEPLOY_SERVICE_ROLE_ACTIONS = {
  /** The VPC stack's service role: VPCs, subnets, NAT gateways, routes in this account only. */
  vpc: [
    'ec2:*Vpc*',
    'ec2:*Subnet*',
    'ec2:*NatGateway*',
    'ec2:*Route*',
    'ec2:*InternetGateway*',
    'ec2:*Address*',
    'ec2:Describe*',
    'ec2:CreateTags',
    'ec2:DeleteTags',
  ],
  /**
   * The account baseline's service role: the access roles (named by the DSL's access patterns),
   * AutomationRole, the backup role, and the backup vault `Default`. Vault creation also needs
   * backup-storage and the KMS grant of the default key
   * (https://docs.aws.amazon.com/aws-backup/latest/devguide/access-control.html#backup-api-permissions-ref).
   */
  baseline: [
    ...ROLE_MANAGEMENT_ACTIONS,
    'backup:CreateBackupVault',
    'backup:DeleteBackupVault',
    'backup:DescribeBackupVault',
    'backup:TagResource',
    'backup:UntagResource',
    'backup-storage:MountCapsule',
    'kms:CreateGrant',
    'kms:GenerateDataKey',
    'kms:Decrypt',
    'kms:RetireGrant',
    'kms:DescribeKey',
  ],
  /** The IAM mapping stack's service role: roles under the orgbridge access path only. */
  iamMapping: [...ROLE_MANAGEMENT_ACTIONS],
  /** The seed's update-s3-stacks-role: bucket policies of the log buckets. */
  logBuckets: [
    's3:CreateBucket',
    's3:PutBucketPolicy',
    's3:GetBucketPolicy',
    's3:DeleteBucketPolicy',
    's3:PutBucketTagging',
    's3:PutBucketVersioning',
    's3:PutEncryptionConfiguration',
    's3:PutBucketPublicAccessBlock',
    's3:PutLifecycleConfiguration',
    's3:PutBucketOwnershipControls',
    's3:GetBucketLocation',
  ],
} as const;
