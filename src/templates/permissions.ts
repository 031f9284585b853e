import { CUSTOM_STACK_PREFIX, CUSTOMIZATION_BOUNDARY_POLICY } from '../config/customization-iam.js';
import { type AccountKind, SPECIAL_ACCOUNT_KINDS, type SpecialAccountKind } from '../config/model.js';
import { groupRoleName, IAM_PATH } from '../plan/access.js';
import { ACCOUNT_PARAMETER_PATH } from '../plan/provisioning.js';
import type { RequestType } from '../protocol/catalog.js';
import {
  artifactBucketName,
  CUSTOMIZATION_TEMPLATE_PREFIX,
  LOGS_NAMES,
  MONITORING_LINK_TAG,
  POLICY_BUNDLE_PREFIX,
  PREFIX,
  ROLE_NAMES,
  RUNTIME_STACKS,
  SSM_PATH,
  TEMPLATE_PREFIX,
} from '../protocol/names.js';

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
  /** Allow unless said otherwise. */
  readonly effect?: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /**
   * NotResource instead of Resource (`resources` then stays empty): for Denies of everything but
   * a few ARNs. Only where no condition key can say it.
   */
  readonly notResources?: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/**
 * Statements that grant the same actions under the same conditions, as one statement over all
 * their resources: IAM allows a request when any statement does, so the union grants exactly the
 * same (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * A role's inline policies hold at most 10,240 characters together, and every handler deploying a
 * stack as the stack deployer repeats its pass-role, template and role conditions. The first
 * statement's Sid names the merged one.
 */
export function mergedStatements(statements: readonly PolicyStatement[]): PolicyStatement[] {
  const byKey = new Map<string, { sid: string; base: PolicyStatement; resources: string[] }>();
  const out: { sid: string; base: PolicyStatement; resources: string[] }[] = [];
  for (const s of statements) {
    const key = s.notResources
      ? undefined
      : JSON.stringify([s.effect ?? 'Allow', [...s.actions].sort(), s.conditions ?? null]);
    const found = key === undefined ? undefined : byKey.get(key);
    if (found) {
      for (const r of s.resources) if (!found.resources.includes(r)) found.resources.push(r);
      continue;
    }
    const entry = { sid: s.sid, base: s, resources: [...s.resources] };
    if (key !== undefined) byKey.set(key, entry);
    out.push(entry);
  }
  return out.map(({ base, resources }) => ({ ...base, resources }));
}

/**
 * The artifact buckets' names hold the cicd account's id, but bucket names are global: another
 * AWS account could create `orgbridge-artifacts-<cicd id>-anything`. Reads of templates and
 * bundles are allowed only from buckets the cicd account owns (`aws:ResourceAccount`,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount;
 * CloudFormation reads a TemplateURL with the caller's permissions).
 */
const IN_CICD_ACCOUNT: NonNullable<PolicyStatement['conditions']> = {
  StringEquals: { 'aws:ResourceAccount': `\${CicdAccountId}` },
};

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
  resources: [
    `arn:\${AWS::Partition}:s3:::${artifactBucketName(`\${CicdAccountId}`, '*')}/${TEMPLATE_PREFIX}*`,
  ],
  conditions: IN_CICD_ACCOUNT,
};

/**
 * Deploy one named stack from an uploaded template with a service role (the role holds the
 * resource permissions). Exactly the calls of deployStack (src/handlers/provisioning): describe,
 * create, update, and delete a stack a failed creation left in ROLLBACK_COMPLETE. No change sets.
 * The VPC may be in any region, the other stacks in the handler's.
 *
 * CreateStack and UpdateStack carry stack tags (`orgbridge:managed`), so they also authorize
 * `cloudformation:TagResource` (and UpdateStack `UntagResource`) on the stack: the Service
 * Authorization Reference's table of API operations maps CreateStack to CreateStack, TagResource
 * and iam:PassRole, UpdateStack to UpdateStack, TagResource, UntagResource and iam:PassRole.
 * (It also maps UpdateStack to SetStackPolicy, used only with a stack policy, which we never set,
 * and DescribeStacks to ListStacks, used only without a stack name, which we always give.)
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 *
 * The service role may create IAM roles, so CreateStack and UpdateStack are allowed only with a
 * template from the `templates/` prefix of a cicd artifact bucket (`cloudformation:TemplateUrl`,
 * a condition key of both actions in the reference above; a TemplateBody request has no
 * TemplateUrl and is refused): the handler checks
 * every URL (src/handlers/provisioning/template-origin.ts), and IAM holds the same line should
 * anything else ever make the handler's role call them.
 */
function deployStack(
  sid: string,
  stack: string,
  serviceRole: string,
  region = `\${AWS::Region}`,
): PolicyStatement[] {
  return [
    ...stackStatements(sid, stack, region, { ...DEPLOY_FROM_ARTIFACTS, ...deployingAs(serviceRole) }),
    {
      sid: `${sid}PassRole`,
      actions: ['iam:PassRole'],
      resources: [roleArn(serviceRole)],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    },
    READ_TEMPLATES,
  ];
}

/**
 * CreateStack/UpdateStack only from the cicd artifact buckets' templates, and only as the stack's
 * own service role (`deployingAs`): the handler may pass several service roles (the stack
 * deployer, the customization deployer), and `iam:PassRole` does not say for which stack, so
 * without it a customization stack could be deployed as the stack deployer, outside the
 * customization boundary. `cloudformation:RoleArn` is a condition key of CreateStack, UpdateStack
 * and CreateChangeSet
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html);
 * every such call of the handlers passes the role (src/handlers/provisioning/ports.ts,
 * src/handlers/customizations/ports.ts).
 */
function deployingAs(serviceRole: string): NonNullable<PolicyStatement['conditions']> {
  return { ArnEquals: { 'cloudformation:RoleArn': roleArn(serviceRole) } };
}

const DEPLOY_FROM_ARTIFACTS: NonNullable<PolicyStatement['conditions']> = {
  StringLike: {
    'cloudformation:TemplateUrl': `https://${artifactBucketName(`\${CicdAccountId}`, '*')}.s3.*/${TEMPLATE_PREFIX}*`,
  },
};

/**
 * The CloudFormation calls of deployStack on one named stack, in `region` (`*`: any): creating
 * and updating under `deploy` (the template and role conditions), the rest without.
 */
function stackStatements(
  sid: string,
  stack: string,
  region: string,
  deploy: NonNullable<PolicyStatement['conditions']>,
): PolicyStatement[] {
  const resources = [`arn:\${AWS::Partition}:cloudformation:${region}:\${AWS::AccountId}:stack/${stack}/*`];
  return [
    {
      sid: `${sid}StackDeploy`,
      actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack'],
      resources,
      conditions: deploy,
    },
    {
      sid: `${sid}Stack`,
      actions: [
        'cloudformation:DescribeStacks',
        'cloudformation:DeleteStack',
        'cloudformation:TagResource',
        'cloudformation:UntagResource',
      ],
      resources,
    },
  ];
}

/**
 * DEPLOY_CUSTOMIZATION (src/handlers/customizations): the calls of one `custom-*` stack in any
 * region, its plan change sets, the customization templates of the artifact buckets, and passing
 * the customization deployer (the role that holds the resource permissions, inside its
 * permissions boundary). ListStacks has no resource type: it is granted on `*`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html).
 */
const CUSTOMIZATION_STATEMENTS: readonly PolicyStatement[] = [
  {
    // Only as the customization deployer, whose boundary keeps orgbridge's own resources out of
    // reach (deployingAs above).
    sid: 'DeployCustomizationStacks',
    actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:CreateChangeSet'],
    resources: [
      `arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:stack/${CUSTOM_STACK_PREFIX}*/*`,
      `arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:changeSet/${PREFIX}-plan-*/*`,
    ],
    conditions: deployingAs(ROLE_NAMES.customizationDeployer),
  },
  {
    sid: 'ManageCustomizationStacks',
    actions: [
      'cloudformation:DeleteStack',
      'cloudformation:DescribeStacks',
      'cloudformation:DescribeStackEvents',
      'cloudformation:UpdateTerminationProtection',
      'cloudformation:DescribeChangeSet',
      'cloudformation:DeleteChangeSet',
      'cloudformation:TagResource',
      'cloudformation:UntagResource',
    ],
    resources: [
      `arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:stack/${CUSTOM_STACK_PREFIX}*/*`,
      `arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:changeSet/${PREFIX}-plan-*/*`,
    ],
  },
  { sid: 'ListCustomizationStacks', actions: ['cloudformation:ListStacks'], resources: ['*'] },
  {
    sid: 'PassCustomizationDeployer',
    actions: ['iam:PassRole'],
    resources: [roleArn(ROLE_NAMES.customizationDeployer)],
    conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
  },
  {
    // Drift detection reads every resource of a stack with the caller's credentials: the handler
    // starts it as the read-only drift role (CUSTOMIZATION_DRIFT_STATEMENTS), never as itself.
    sid: 'AssumeCustomizationDrift',
    actions: ['sts:AssumeRole'],
    resources: [roleArn(ROLE_NAMES.customizationDrift)],
  },
  {
    sid: 'ReadCustomizationTemplates',
    actions: ['s3:GetObject'],
    resources: [
      `arn:\${AWS::Partition}:s3:::${artifactBucketName(`\${CicdAccountId}`, '*')}/${CUSTOMIZATION_TEMPLATE_PREFIX}*`,
    ],
    conditions: IN_CICD_ACCOUNT,
  },
];

/** backup-storage actions have no resource type (see the account baseline below). */
const BACKUP_VAULT_STORAGE: PolicyStatement = {
  sid: 'BackupVaultStorage',
  actions: ['backup-storage:MountCapsule'],
  resources: ['*'],
};
/** The AWS managed key `aws/backup` of a vault without its own, used through AWS Backup only. */
const BACKUP_VAULT_DEFAULT_KEY: PolicyStatement = {
  sid: 'BackupVaultDefaultKey',
  actions: ['kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:RetireGrant', 'kms:DescribeKey'],
  resources: [`arn:\${AWS::Partition}:kms:*:\${AWS::AccountId}:key/*`],
  conditions: { StringLike: { 'kms:ViaService': 'backup.*.amazonaws.com' } },
};

/**
 * Detail-type -> statements its handler needs. A detail-type missing here is a test failure
 * (test/unit/templates/permissions.test.ts), so a new handler cannot ship with a guessed role.
 */
export const HANDLER_PERMISSIONS: Readonly<Record<RequestType, readonly PolicyStatement[]>> = {
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
      // The Service Authorization Reference lists CreatePolicy with no resource type (a policy
      // ARN does not exist before the call), so it is granted on `*`, narrowed to SCPs by its
      // organizations:PolicyType condition key
      // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html).
      sid: 'CreateScps',
      actions: ['organizations:CreatePolicy'],
      resources: ['*'],
      conditions: { StringEquals: { 'organizations:PolicyType': 'SERVICE_CONTROL_POLICY' } },
    },
    {
      sid: 'ManagePolicies',
      actions: [
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
      conditions: IN_CICD_ACCOUNT,
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
  UPDATE_IAM_ACCOUNT_SETTINGS: [
    {
      // The alias and password policy actions take no resource (Resource "*" is the only form):
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
      // No Delete*: the handler never removes an alias or a policy.
      sid: 'AccountIamSettings',
      actions: [
        'iam:ListAccountAliases',
        'iam:CreateAccountAlias',
        'iam:GetAccountPasswordPolicy',
        'iam:UpdateAccountPasswordPolicy',
      ],
      resources: ['*'],
    },
  ],
  DEPLOY_CUSTOMIZATION: CUSTOMIZATION_STATEMENTS,
  CREATE_VPC: [
    ...deployStack('DeployVpc', RUNTIME_STACKS.vpc, ROLE_NAMES.stackDeployer, '*'),
    // The zones Fn::GetAZs will answer, counted before the stack starts (VPC_TOO_FEW_ZONES).
    // Neither action takes a resource: `*` is the only one
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html).
    { sid: 'VpcZones', actions: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeSubnets'], resources: ['*'] },
  ],
  UPDATE_IAM_MAPPING: deployStack('DeployIamMapping', RUNTIME_STACKS.iamMapping, ROLE_NAMES.stackDeployer),
  UPDATE_ACCOUNT_BASELINE: [
    ...deployStack('DeployAccountBaseline', RUNTIME_STACKS.accountBaseline, ROLE_NAMES.stackDeployer),
    // With a region: the backup vaults of that region, same service role (IAM is global).
    ...stackStatements('DeployBackupVaults', RUNTIME_STACKS.backupVaults, '*', DEPLOY_FROM_ARTIFACTS),
    {
      // The vault Default, made sure of through the Backup API, never by a stack
      // (src/handlers/provisioning/default-vault.ts): that vault only, in any region.
      sid: 'DefaultBackupVault',
      actions: ['backup:DescribeBackupVault', 'backup:CreateBackupVault'],
      resources: [`arn:\${AWS::Partition}:backup:*:\${AWS::AccountId}:backup-vault:Default`],
    },
    // Creating a vault mounts its storage and grants AWS Backup the default key, as for the deployer.
    BACKUP_VAULT_STORAGE,
    BACKUP_VAULT_DEFAULT_KEY,
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
  RELEASE_ACCOUNT_DNS: [
    {
      // A retired account's zone and allowed-domains parameters: read, then deleted.
      sid: 'DnsReleasePermissions',
      actions: ['ssm:GetParameters', 'ssm:DeleteParameter'],
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
    const statements = (HANDLER_PERMISSIONS as Partial<Record<string, readonly PolicyStatement[]>>)[type];
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

/*
 * The CloudFormation service roles the deploying handlers pass. A role must allow every action
 * CloudFormation's resource handlers call for the resources of the stacks it deploys
 * (RESOURCE_PROVIDER_PERMISSIONS, from the registry schemas; checked on every rendered template by
 * test/unit/templates/stack-deployer-permissions.test.ts), on resources scoped as narrowly as each
 * type allows, and nothing else. Only CloudFormation in the account assumes them (serviceTrust),
 * and only the handler of the stack may pass them.
 */

const IAM_ROLE_LIFECYCLE: readonly string[] = [
  'iam:CreateRole',
  'iam:GetRole',
  'iam:UpdateRole',
  'iam:UpdateRoleDescription',
  'iam:UpdateAssumeRolePolicy',
  'iam:DeleteRole',
  'iam:PutRolePolicy',
  'iam:GetRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:ListRolePolicies',
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:ListAttachedRolePolicies',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:TagRole',
  'iam:UntagRole',
];

const iamArn = (resource: string) => `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:${resource}`;

const arnIn = (service: string, resource: string, region = '*') =>
  `arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:${resource}`;

/**
 * The permissions boundary of the customization deployer: whatever the user's policy grants
 * (AdministratorAccess by default), never on what orgbridge runs on, so a customization cannot
 * widen orgbridge's access, read or cut its event road, or remove its own boundary. A boundary
 * caps the role's permissions; an explicit Deny in it wins over any Allow
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
 *
 * A boundary only holds if nothing the capped role makes escapes it: a stack could otherwise
 * create an unbounded role (or user) and a function running as it, or attach a policy to, rewrite
 * the trust of, or pass a role that already exists uncapped (OrganizationAccountAccessRole, the
 * access roles). So, as AWS's "delegating responsibility to others using permissions boundaries"
 * describes, every role and user it creates must carry this same boundary, policies may change
 * only on principals that carry it, and nobody may take it off. Trust, passing, credentials,
 * renames, policy versions and groups have no condition key naming the target's boundary, and a
 * group carries none
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
 * so no user joins a group, and the rest goes by name: only what CloudFormation names for a
 * `custom-*` stack (`custom-<stack>-<logical id>-<random>`, or a name the template gives with
 * that prefix; another name is a warning when the configuration loads: templateIdentities in
 * src/config/customization-iam.ts) and service-linked roles, which no policy can widen.
 * docs/customizations.md lists what this means for templates; BOUNDARY_CASES in
 * src/templates/boundary-cases.ts are the escapes it must stop.
 */
const boundaryArn = iamArn(`policy/${CUSTOMIZATION_BOUNDARY_POLICY}`);
const customizationIdentities = ['role', 'user', 'group', 'policy'].map((type) =>
  iamArn(`${type}/${CUSTOM_STACK_PREFIX}*`),
);

export const CUSTOMIZATION_BOUNDARY_STATEMENTS: readonly PolicyStatement[] = [
  // The boundary only caps: what the role may really do is its own policy's choice.
  { sid: 'CappedByTheDeployerPolicy', actions: ['*'], resources: ['*'] },
  {
    sid: 'ProtectOrgbridgeIdentities',
    effect: 'Deny',
    actions: [
      'iam:Add*',
      'iam:Attach*',
      'iam:Create*',
      'iam:Delete*',
      'iam:Detach*',
      'iam:PassRole',
      'iam:Put*',
      'iam:Remove*',
      'iam:Set*',
      'iam:Tag*',
      'iam:Untag*',
      'iam:Update*',
    ],
    resources: [
      iamArn(`role/${PREFIX}-*`),
      iamArn(`role/${ROLE_NAMES.logBucketUpdater}`),
      iamArn(`policy/${PREFIX}-*`),
    ],
  },
  {
    sid: 'NewPrincipalsCarryThisBoundary',
    effect: 'Deny',
    actions: [
      'iam:CreateRole',
      'iam:CreateUser',
      'iam:PutRolePermissionsBoundary',
      'iam:PutUserPermissionsBoundary',
    ],
    resources: ['*'],
    conditions: { StringNotEquals: { 'iam:PermissionsBoundary': boundaryArn } },
  },
  {
    sid: 'PoliciesOnlyOnBoundedPrincipals',
    effect: 'Deny',
    actions: [
      'iam:AttachRolePolicy',
      'iam:DetachRolePolicy',
      'iam:PutRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:AttachUserPolicy',
      'iam:DetachUserPolicy',
      'iam:PutUserPolicy',
      'iam:DeleteUserPolicy',
    ],
    resources: ['*'],
    conditions: { StringNotEquals: { 'iam:PermissionsBoundary': boundaryArn } },
  },
  {
    sid: 'BoundariesStay',
    effect: 'Deny',
    actions: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
    resources: ['*'],
  },
  {
    sid: 'OnlyCustomizationIdentities',
    effect: 'Deny',
    actions: [
      'iam:UpdateAssumeRolePolicy',
      'iam:PassRole',
      // A user's credentials: new ones, or revoked ones made active again. Its MFA device too: a
      // stack's own device on a user whose password or key leaked passes the user's MFA conditions.
      'iam:CreateAccessKey',
      'iam:UpdateAccessKey',
      'iam:CreateLoginProfile',
      'iam:UpdateLoginProfile',
      'iam:CreateServiceSpecificCredential',
      'iam:ResetServiceSpecificCredential',
      'iam:UpdateServiceSpecificCredential',
      'iam:UploadSSHPublicKey',
      'iam:UpdateSSHPublicKey',
      'iam:UploadSigningCertificate',
      'iam:UpdateSigningCertificate',
      'iam:EnableMFADevice',
      'iam:DeactivateMFADevice',
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      // A group's policies reach its members, users who may have no boundary. Taking a policy
      // off, or a user out, widens them too where the group holds a Deny, such as AWS's example
      // that denies all but MFA setup without MFA
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam_mfa-selfmanage.html).
      'iam:AttachGroupPolicy',
      'iam:PutGroupPolicy',
      'iam:DetachGroupPolicy',
      'iam:DeleteGroupPolicy',
      'iam:RemoveUserFromGroup',
      // A rename is authorized on the old name and on the new one
      // (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateUser.html,
      // https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateGroup.html): an existing
      // user renamed `custom-*` would get access keys, an existing group new policies.
      'iam:UpdateUser',
      'iam:UpdateGroup',
    ],
    resources: [],
    notResources: [...customizationIdentities, iamArn('role/aws-service-role/*')],
  },
  {
    // AddUserToGroup is authorized on the group alone, with no condition key (the Service
    // Authorization Reference lists only `group*` for it:
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
    // and a group carries no boundary. So nothing can require the user to carry this one, and a
    // `custom-*` group may hold any policy: adding a user that exists without the boundary (a
    // legacy CI user) to an admin group, the account's or one the stack makes, would give it what
    // the boundary keeps from the stack. A customization's own users carry the boundary: they get
    // their policies directly (PoliciesOnlyOnBoundedPrincipals), not through a group.
    sid: 'NoUserJoinsAGroup',
    effect: 'Deny',
    actions: ['iam:AddUserToGroup'],
    resources: ['*'],
  },
  {
    // A customization may deploy to the management account (docs/customizations.md), where its
    // role could change the organization behind orgbridge's plan and the management handler's
    // checks: create, move, close or remove accounts, rewrite their markers (tags), change OUs
    // and policies. Those are orgbridge's job, from accounts.yml. What landing-zone stacks do
    // there stays open: enabling an AWS service's access (EnableAWSServiceAccess) and
    // registering delegated administrators (RegisterDelegatedAdministrator), and every read.
    sid: 'OrganizationIsOrgbridges',
    effect: 'Deny',
    actions: [
      'organizations:AttachPolicy',
      'organizations:CloseAccount',
      'organizations:CreateAccount',
      'organizations:CreateGovCloudAccount',
      'organizations:CreateOrganizationalUnit',
      'organizations:CreatePolicy',
      'organizations:DeleteOrganization',
      'organizations:DeleteOrganizationalUnit',
      'organizations:DeletePolicy',
      'organizations:DetachPolicy',
      'organizations:DisablePolicyType',
      'organizations:EnablePolicyType',
      'organizations:InviteAccountToOrganization',
      'organizations:LeaveOrganization',
      'organizations:MoveAccount',
      'organizations:RemoveAccountFromOrganization',
      'organizations:TagResource',
      'organizations:UntagResource',
      'organizations:UpdateOrganizationalUnit',
      'organizations:UpdatePolicy',
    ],
    resources: ['*'],
  },
  {
    // A role that trusts its account's root may be assumed by any principal of the account its
    // identity policy lets (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts):
    // in the identity account, orgbridge's group roles and, through them, the access roles of
    // every account. A customization configures its own account: it assumes its own roles only.
    sid: 'AssumesItsOwnRolesOnly',
    effect: 'Deny',
    actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
    resources: [],
    notResources: [iamArn(`role/${CUSTOM_STACK_PREFIX}*`)],
  },
  {
    sid: 'ProtectOrgbridgeRuntime',
    effect: 'Deny',
    actions: [
      'events:*',
      'sqs:*',
      'lambda:*',
      'dynamodb:*',
      'logs:*',
      'cloudformation:*',
      's3:*',
      'sns:*',
      'cloudwatch:*',
      'kms:*',
      'ssm:PutParameter',
      'ssm:DeleteParameter*',
      'ssm:LabelParameterVersion',
    ],
    resources: [
      arnIn('events', `event-bus/${PREFIX}-*`),
      arnIn('events', `rule/${PREFIX}-*`),
      arnIn('sqs', `${PREFIX}-*`),
      arnIn('lambda', `function:${PREFIX}-*`),
      arnIn('dynamodb', `table/${PREFIX}-*`),
      arnIn('logs', `log-group:/aws/lambda/${PREFIX}-*`),
      arnIn('cloudformation', `stack/${PREFIX}-*`),
      arnIn('cloudformation', `stack/StackSet-${PREFIX}-*`),
      `arn:\${AWS::Partition}:s3:::${PREFIX}-*`,
      arnIn('sns', `${PREFIX}-*`),
      arnIn('cloudwatch', `alarm:${PREFIX}-*`),
      arnIn('kms', `alias/${PREFIX}-*`),
      arnIn('ssm', `parameter${SSM_PATH}*`),
    ],
  },
  {
    // The account's link to the audit account's monitoring sink has no name: it is known by its
    // tag, which this also keeps on it. Every oam action on a link takes aws:ResourceTag
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchobservabilityaccessmanager.html);
    // Null "false" means the link carries the tag. A customization's own links stay its own.
    sid: 'ProtectOrgbridgeMonitoringLink',
    effect: 'Deny',
    actions: ['oam:DeleteLink', 'oam:UpdateLink', 'oam:TagResource', 'oam:UntagResource'],
    resources: [arnIn('oam', 'link/*')],
    conditions: { Null: { [`aws:ResourceTag/${MONITORING_LINK_TAG.key}`]: 'false' } },
  },
  {
    // A key is named by its id; its alias is how orgbridge's keys are known
    // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-resource-aliases).
    sid: 'ProtectOrgbridgeKeys',
    effect: 'Deny',
    actions: ['kms:*'],
    resources: [arnIn('kms', 'key/*')],
    conditions: { 'ForAnyValue:StringLike': { 'kms:ResourceAliases': `alias/${PREFIX}-*` } },
  },
];

/**
 * The drift role of the customization stacks, on top of AWS's `ReadOnlyAccess`. DetectStackDrift
 * compares each resource's live configuration with its template, reading it with the caller's
 * credentials, so the caller needs read access to every resource type the user's templates may
 * hold; AWS documents `ReadOnlyAccess` for that (the `cloudformation-stack-drift-detection-check`
 * rule, https://docs.aws.amazon.com/config/latest/developerguide/cloudformation-stack-drift-detection-check.html).
 * Drift detection reads configuration, never data: the Deny keeps object, item, secret, message and
 * log contents out of the role's reach, and it may start detection on `custom-*` stacks only
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html).
 * DescribeStackDriftDetectionStatus takes no resource ARN (the detection id is not a resource).
 * The Allows are explicit so the role keeps working where `ReadOnlyAccess` is swapped for a
 * narrower policy of the user's.
 */
export const CUSTOMIZATION_DRIFT_STATEMENTS: readonly PolicyStatement[] = [
  {
    sid: 'DetectCustomizationDrift',
    actions: [
      'cloudformation:DetectStackDrift',
      'cloudformation:DetectStackResourceDrift',
      'cloudformation:DescribeStackResourceDrifts',
      'cloudformation:DescribeStacks',
    ],
    resources: [`arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:stack/${CUSTOM_STACK_PREFIX}*/*`],
  },
  {
    sid: 'ReadDriftDetectionStatus',
    actions: ['cloudformation:DescribeStackDriftDetectionStatus'],
    resources: ['*'],
  },
  {
    sid: 'NoDataReads',
    effect: 'Deny',
    actions: [
      's3:GetObject*',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:GetRecords',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
      'sqs:ReceiveMessage',
      'logs:GetLogEvents',
      'logs:FilterLogEvents',
      'logs:StartQuery',
      'logs:GetLogRecord',
      'kinesis:GetRecords',
      'ec2:GetPasswordData',
      'codecommit:GetBlob',
      'codecommit:GetFile',
      'athena:GetQueryResults',
    ],
    resources: ['*'],
  },
];

/**
 * The roles orgbridge runs on: the stack deployer may create and change any role the DSL names,
 * never these, so a template cannot widen the handler's or its own permissions.
 */
const PROTECT_ORGBRIDGE_ROLES: PolicyStatement = {
  sid: 'ProtectOrgbridgeRoles',
  effect: 'Deny',
  actions: IAM_ROLE_LIFECYCLE.filter((a) => !/:(Get|List)/.test(a)),
  resources: [
    ...[...SPECIAL_ACCOUNT_KINDS, 'member' as const].map(ROLE_NAMES.handler),
    ROLE_NAMES.stackDeployer,
    ROLE_NAMES.ssmReader,
    ROLE_NAMES.logBucketUpdater,
    ROLE_NAMES.ecrDeployer,
    ROLE_NAMES.customizationDeployer,
    ROLE_NAMES.customizationDrift,
    // The queue policies except the DLQ operator from their denies; the audit reader reads the
    // audit store. Neither may be rewritten through a baseline or VPC stack.
    ROLE_NAMES.dlqOperator,
    ROLE_NAMES.auditReader,
  ].map((name) => iamArn(`role/${name}`)),
};

/**
 * The account baseline: the access roles (named by the DSL's access patterns, so any role name in
 * the account), AutomationRole, the backup roles and vaults. Vaults may be in any region (one per
 * region the backup policies copy to). A vault without a key of its own is encrypted with the AWS
 * managed key `aws/backup`, which AWS Backup uses on the caller's behalf: the KMS calls arrive
 * through Backup (`kms:ViaService`), as that key's policy requires anyway
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html). backup-storage
 * actions have no resource type: `*` is the only resource they take
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackupstorage.html).
 */
const ACCOUNT_BASELINE_STATEMENTS: readonly PolicyStatement[] = [
  { sid: 'AccountBaselineRoles', actions: IAM_ROLE_LIFECYCLE, resources: [iamArn('role/*')] },
  PROTECT_ORGBRIDGE_ROLES,
  {
    sid: 'BackupVaults',
    actions: [
      'backup:CreateBackupVault',
      'backup:DescribeBackupVault',
      'backup:DeleteBackupVault',
      'backup:PutBackupVaultAccessPolicy',
      'backup:DeleteBackupVaultAccessPolicy',
      'backup:PutBackupVaultNotifications',
      'backup:DeleteBackupVaultNotifications',
      'backup:PutBackupVaultLockConfiguration',
      'backup:DeleteBackupVaultLockConfiguration',
      'backup:TagResource',
      'backup:UntagResource',
      'backup:ListTags',
    ],
    resources: [`arn:\${AWS::Partition}:backup:*:\${AWS::AccountId}:backup-vault:*`],
  },
  BACKUP_VAULT_STORAGE,
  BACKUP_VAULT_DEFAULT_KEY,
];

/**
 * The identity mapping: the group roles (`orgbridge-group-*`, groupRoleName) and, with
 * `iam_users`, the Pulumi approach's developers group and automation user, which live under the IAM path
 * `/orgbridge/` (IAM_PATH in src/plan/access.ts) so that the role reaches no other group or user.
 */
const IAM_MAPPING_STATEMENTS: readonly PolicyStatement[] = [
  {
    sid: 'IdentityGroupRoles',
    actions: IAM_ROLE_LIFECYCLE,
    resources: [iamArn(`role/${groupRoleName('*')}`)],
  },
  PROTECT_ORGBRIDGE_ROLES,
  {
    sid: 'IdentityUsersAndGroups',
    actions: [
      'iam:CreateGroup',
      'iam:GetGroup',
      'iam:UpdateGroup',
      'iam:DeleteGroup',
      'iam:PutGroupPolicy',
      'iam:GetGroupPolicy',
      'iam:DeleteGroupPolicy',
      'iam:ListGroupPolicies',
      'iam:AttachGroupPolicy',
      'iam:DetachGroupPolicy',
      'iam:ListAttachedGroupPolicies',
      'iam:CreateUser',
      'iam:GetUser',
      'iam:UpdateUser',
      'iam:DeleteUser',
      'iam:PutUserPolicy',
      'iam:GetUserPolicy',
      'iam:DeleteUserPolicy',
      'iam:ListUserPolicies',
      'iam:AttachUserPolicy',
      'iam:DetachUserPolicy',
      'iam:ListAttachedUserPolicies',
      'iam:PutUserPermissionsBoundary',
      'iam:DeleteUserPermissionsBoundary',
      'iam:TagUser',
      'iam:UntagUser',
      'iam:ListUserTags',
      'iam:AddUserToGroup',
      'iam:RemoveUserFromGroup',
      'iam:ListGroupsForUser',
      'iam:CreateLoginProfile',
      'iam:GetLoginProfile',
      'iam:UpdateLoginProfile',
      'iam:DeleteLoginProfile',
      'iam:ListAccessKeys',
      'iam:DeleteAccessKey',
    ],
    resources: [iamArn(`group${IAM_PATH}*`), iamArn(`user${IAM_PATH}*`)],
  },
];

/**
 * The standard VPC. EC2 resources are named by id, not by name, so the account (any region: the
 * VPC goes where the request says) is the narrowest scope; describe actions take no resource.
 * `Fn::GetAZs` in the template is a DescribeAvailabilityZones call with this role.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
 */
const VPC_STATEMENTS: readonly PolicyStatement[] = [
  {
    sid: 'Vpc',
    actions: [
      'ec2:CreateVpc',
      'ec2:ModifyVpcAttribute',
      'ec2:ModifyVpcTenancy',
      'ec2:CreateVpcEncryptionControl',
      'ec2:DeleteVpc',
      'ec2:CreateSubnet',
      'ec2:ModifySubnetAttribute',
      'ec2:AssociateSubnetCidrBlock',
      'ec2:DisassociateSubnetCidrBlock',
      'ec2:DeleteSubnet',
      'ec2:CreateInternetGateway',
      'ec2:AttachInternetGateway',
      'ec2:DetachInternetGateway',
      'ec2:DeleteInternetGateway',
      'ec2:AttachVpnGateway',
      'ec2:DetachVpnGateway',
      'ec2:CreateRouteTable',
      'ec2:DeleteRouteTable',
      'ec2:AssociateRouteTable',
      'ec2:ReplaceRouteTableAssociation',
      'ec2:DisassociateRouteTable',
      'ec2:CreateRoute',
      'ec2:ReplaceRoute',
      'ec2:DeleteRoute',
      'ec2:AllocateAddress',
      'ec2:AcceptAddressTransfer',
      'ec2:AssociateAddress',
      'ec2:DisassociateAddress',
      'ec2:ReleaseAddress',
      'ec2:CreateNatGateway',
      'ec2:AssociateNatGatewayAddress',
      'ec2:DisassociateNatGatewayAddress',
      'ec2:AssignPrivateNatGatewayAddress',
      'ec2:UnassignPrivateNatGatewayAddress',
      'ec2:DeleteNatGateway',
      'ec2:CreateTags',
      'ec2:DeleteTags',
    ],
    resources: [`arn:\${AWS::Partition}:ec2:*:\${AWS::AccountId}:*`],
  },
  {
    sid: 'VpcDescribe',
    actions: [
      'ec2:DescribeVpcs',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeSubnets',
      'ec2:DescribeInternetGateways',
      'ec2:DescribeVpnGateways',
      'ec2:DescribeRouteTables',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeAddresses',
      'ec2:DescribeNatGateways',
      // Fn::GetAZs, which places the subnets, needs these three with DescribeSubnets
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html).
      'ec2:DescribeAvailabilityZones',
      'ec2:DescribeAccountAttributes',
    ],
    resources: ['*'],
  },
];

/**
 * The EventBridge design's update-s3-stacks-role: the log buckets (`orgbridge-
 * logs-<account>-<region>`) and their policies.
 */
const LOG_BUCKETS_STATEMENTS: readonly PolicyStatement[] = [
  {
    sid: 'LogBuckets',
    actions: [
      's3:CreateBucket',
      's3:DeleteBucket',
      's3:ListBucket',
      's3:GetBucketAcl',
      's3:PutBucketAcl',
      's3:PutBucketPolicy',
      's3:GetBucketPolicy',
      's3:DeleteBucketPolicy',
      's3:PutBucketTagging',
      's3:TagResource',
      's3:UntagResource',
      's3:PutBucketAbac',
      's3:PutBucketVersioning',
      's3:PutEncryptionConfiguration',
      's3:PutBucketPublicAccessBlock',
      's3:PutBucketOwnershipControls',
      's3:PutLifecycleConfiguration',
      's3:PutBucketLogging',
      's3:PutBucketNotification',
      's3:PutBucketCORS',
      's3:PutBucketWebsite',
      's3:DeleteBucketWebsite',
      's3:PutAccelerateConfiguration',
      's3:PutAnalyticsConfiguration',
      's3:PutInventoryConfiguration',
      's3:PutMetricsConfiguration',
      's3:PutIntelligentTieringConfiguration',
      's3:PutReplicationConfiguration',
      's3:PutBucketObjectLockConfiguration',
      's3:GetBucketMetadataTableConfiguration',
      's3:CreateBucketMetadataTableConfiguration',
      's3:DeleteBucketMetadataTableConfiguration',
      's3:UpdateBucketMetadataJournalTableConfiguration',
      's3:UpdateBucketMetadataInventoryTableConfiguration',
    ],
    resources: [`arn:\${AWS::Partition}:s3:::${LOGS_NAMES.bucket(`\${AWS::AccountId}`, '*')}`],
  },
];

/**
 * The central ECR repositories of ecr.yml (`orgbridge-ecr`, cicd account, home region). ecr.yml
 * names repositories freely (any valid ECR name, no prefix: image URIs are the teams' and a
 * renamed repository is a new, empty one), and the role is deployed by the bootstrap, not with
 * each ecr.yml change, so it cannot list the names: the narrowest scope is the repositories of the
 * cicd account in the home region, where sync-ecr deploys the stack. Every call takes the
 * repository ARN. No KMS: the repositories use ECR's default AES-256 encryption
 * (PROVIDER_PERMISSION_EXEMPTIONS).
 */
const ECR_STATEMENTS: readonly PolicyStatement[] = [
  {
    sid: 'EcrRepositories',
    actions: [
      'ecr:CreateRepository',
      'ecr:DescribeRepositories',
      'ecr:DeleteRepository',
      'ecr:PutLifecyclePolicy',
      'ecr:DeleteLifecyclePolicy',
      'ecr:SetRepositoryPolicy',
      'ecr:DeleteRepositoryPolicy',
      'ecr:PutImageScanningConfiguration',
      'ecr:PutImageTagMutability',
      'ecr:TagResource',
      'ecr:UntagResource',
    ],
    resources: [`arn:\${AWS::Partition}:ecr:\${AWS::Region}:\${AWS::AccountId}:repository/*`],
  },
];

/**
 * Each runtime stack deployed with a service role, and what the role must hold for the stack's
 * resources. Who deploys it decides where the role is: a handler (`detailType`: the role exists
 * where that detail-type is handled) or the pipeline itself (`account`: the role is in that
 * special account's handler stack, e.g. sync-ecr in cicd). A new runtime stack is one more entry.
 */
export type StackDeployment = {
  readonly stack: keyof typeof RUNTIME_STACKS;
  readonly serviceRole: string;
  readonly statements: readonly PolicyStatement[];
} & (
  | { readonly detailType: string; readonly account?: undefined }
  | { readonly account: SpecialAccountKind; readonly detailType?: undefined }
);

export const STACK_DEPLOYMENTS: readonly StackDeployment[] = [
  {
    stack: 'vpc',
    detailType: 'CREATE_VPC',
    serviceRole: ROLE_NAMES.stackDeployer,
    statements: VPC_STATEMENTS,
  },
  {
    stack: 'iamMapping',
    detailType: 'UPDATE_IAM_MAPPING',
    serviceRole: ROLE_NAMES.stackDeployer,
    statements: IAM_MAPPING_STATEMENTS,
  },
  {
    stack: 'accountBaseline',
    detailType: 'UPDATE_ACCOUNT_BASELINE',
    serviceRole: ROLE_NAMES.stackDeployer,
    statements: ACCOUNT_BASELINE_STATEMENTS,
  },
  {
    // UPDATE_ACCOUNT_BASELINE with a region: the account's backup vaults outside the home region.
    stack: 'backupVaults',
    detailType: 'UPDATE_ACCOUNT_BASELINE',
    serviceRole: ROLE_NAMES.stackDeployer,
    statements: ACCOUNT_BASELINE_STATEMENTS,
  },
  {
    stack: 'logBuckets',
    detailType: 'UPDATE_LOG_BUCKETS',
    serviceRole: ROLE_NAMES.logBucketUpdater,
    statements: LOG_BUCKETS_STATEMENTS,
  },
  {
    stack: 'ecr',
    account: 'cicd',
    serviceRole: ROLE_NAMES.ecrDeployer,
    statements: ECR_STATEMENTS,
  },
];

/** The deployments whose service role lives in an account of `kind` handling `handled` detail-types. */
export function deploymentsIn(kind: AccountKind, handled: readonly string[]): StackDeployment[] {
  return STACK_DEPLOYMENTS.filter((d) =>
    d.detailType === undefined ? d.account === kind : handled.includes(d.detailType),
  );
}

/** A service role's statements in an account of `kind` handling `handled`: the union by sid, Deny last. */
export function serviceRoleStatements(
  serviceRole: string,
  kind: AccountKind,
  handled: readonly string[],
): PolicyStatement[] {
  const bySid = new Map<string, PolicyStatement>();
  for (const d of deploymentsIn(kind, handled)) {
    if (d.serviceRole !== serviceRole) continue;
    for (const s of d.statements) bySid.set(s.sid, s);
  }
  return [...bySid.values()].sort((a, b) => Number(a.effect === 'Deny') - Number(b.effect === 'Deny'));
}

/**
 * Actions a provider schema lists that the service roles leave out on purpose, checked by
 * test/unit/templates/stack-deployer-permissions.test.ts:
 * - `unlessProperties`: a feature orgbridge's templates never use; the exemption holds only while
 *   no rendered resource of the type sets one of these properties.
 * - `authorizedBy`: an API name the schema lists as if it were an action; the Service
 *   Authorization Reference has no such action (cfn-lint's W3037 flags it) and authorizes the API
 *   with these actions instead, which the role must then hold.
 * - `objectLevel`: S3 object actions, whose resource is an object (`bucket/*`,
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html); a
 *   role that deploys buckets gets none of them on the objects in them.
 * An exemption whose actions the schema no longer lists fails the test too.
 */
export interface ProviderPermissionExemption {
  readonly type: string;
  readonly actions: readonly string[];
  readonly unlessProperties?: readonly string[];
  readonly authorizedBy?: readonly string[];
  readonly objectLevel?: true;
  readonly reason: string;
}

export const PROVIDER_PERMISSION_EXEMPTIONS: readonly ProviderPermissionExemption[] = [
  {
    type: 'AWS::S3::Bucket',
    actions: ['iam:PassRole'],
    unlessProperties: ['ReplicationConfiguration'],
    reason:
      'passes the replication role; the log buckets do not replicate, and PassRole would need a role ARN',
  },
  {
    type: 'AWS::S3::Bucket',
    actions: [
      's3tables:CreateNamespace',
      's3tables:CreateTable',
      's3tables:CreateTableBucket',
      's3tables:GetTable',
      's3tables:GetTableMetadataLocation',
      's3tables:PutTableBucketPolicy',
      's3tables:PutTableEncryption',
      's3tables:PutTablePolicy',
      's3tables:UpdateTableMetadataLocation',
      's3:UpdateBucketMetadataAnnotationTableConfiguration',
    ],
    unlessProperties: ['MetadataTableConfiguration', 'MetadataConfiguration'],
    reason: 'S3 Metadata tables live in a table bucket of another service; the log buckets have none',
  },
  ...(
    [
      ['s3:DeleteBucketAnalyticsConfiguration', 's3:PutAnalyticsConfiguration'],
      ['s3:DeleteBucketCors', 's3:PutBucketCORS'],
      ['s3:DeleteBucketEncryption', 's3:PutEncryptionConfiguration'],
      ['s3:DeleteBucketLifecycle', 's3:PutLifecycleConfiguration'],
      ['s3:DeleteBucketMetricsConfiguration', 's3:PutMetricsConfiguration'],
      ['s3:DeleteBucketReplication', 's3:PutReplicationConfiguration'],
      ['s3:PutBucketReplication', 's3:PutReplicationConfiguration'],
      ['s3:PutObjectLockConfiguration', 's3:PutBucketObjectLockConfiguration'],
    ] as const
  ).map(
    ([api, action]): ProviderPermissionExemption => ({
      type: 'AWS::S3::Bucket',
      actions: [api],
      authorizedBy: [action],
      reason: `the S3 API ${api.slice(3)} is authorized by ${action}`,
    }),
  ),
  {
    // On the log buckets' objects these would let the one role the bucket policy exempts from
    // its deny (denyModification in src/templates/logs-bucket.ts) delete or re-share log objects.
    type: 'AWS::S3::Bucket',
    actions: ['s3:DeleteObject', 's3:PutObjectAcl'],
    objectLevel: true,
    reason:
      'object-level actions: CloudFormation writes no object of the log buckets, and on their objects these would let the updater delete logs',
  },
  {
    type: 'AWS::ECR::Repository',
    actions: ['kms:CreateGrant', 'kms:DescribeKey', 'kms:RetireGrant'],
    unlessProperties: ['EncryptionConfiguration'],
    reason: 'a customer managed KMS key only; the ECR repositories use the default AES-256 encryption',
  },
  {
    type: 'AWS::Backup::BackupVault',
    actions: ['backup-storage:Mount'],
    authorizedBy: ['backup-storage:MountCapsule'],
    reason: 'backup-storage has no action Mount; vault creation mounts with MountCapsule',
  },
];
