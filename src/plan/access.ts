import type { AccessSettings, ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { AUTOMATION_ROLE_NAME, groupRoleName, RESERVED_ACCESS_ROLES } from '../config/reserved-roles.js';
import type { SettingName } from '../config/schema.js';
import { OrgbridgeError } from '../errors.js';
import { compareText } from './observed.js';

/**
 * Who may do what in which account, as plain data (the EventBridge design's "identity" account, the
 * Pulumi approach's "Developers' Access" and "Member/Target Account Permissions"):
 *
 * - In every account, one role per role name its `access:` patterns use (Admin, PowerUser, ...).
 *   Its trust names exactly the identity account's group roles granted it in THIS account.
 * - In the identity account, one role per group (`orgbridge-group-<group>`), allowed to assume the
 *   roles its patterns grant, in the OUs where they are granted. The grant names OU paths
 *   (`aws:ResourceOrgPaths`), never account ids, so its size depends on scopes and role names,
 *   not on the number of accounts: it fits IAM's 10,240-char inline limit at 5,000 accounts.
 * - Effective access is the intersection of both sides. An OU holding one account whose
 *   `access:` differs from its neighbours' gives the identity side a wider grant for that OU,
 *   but the member side (exact per account) still refuses what the account does not grant.
 * - In every account, AutomationRole trusts only the cicd account, or a configured OIDC provider.
 */

/** IAM limits (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). */
export const IAM_LIMITS = {
  /** Aggregate inline policy size of a role, whitespace excluded. */
  roleInlinePolicyChars: 10_240,
  /** Trust policy size (default quota; raisable to 4,096). */
  trustPolicyChars: 2_048,
} as const;

export { AUTOMATION_ROLE_NAME, groupRoleName };

/**
 * IAM path of the identity account's users and groups (the Pulumi approach's `iam_users`): the stack
 * deployer may manage users and groups under it only.
 */
export const IAM_PATH = '/orgbridge/';

/** AWS managed policies (path and name) of the well-known role names; any other name: ReadOnlyAccess. */
export const ROLE_MANAGED_POLICIES: Readonly<Record<string, readonly string[]>> = {
  Admin: ['AdministratorAccess'],
  PowerUser: ['PowerUserAccess'],
  Developer: ['PowerUserAccess'],
  ReadOnly: ['ReadOnlyAccess'],
  ViewOnly: ['job-function/ViewOnlyAccess'],
  Billing: ['job-function/Billing'],
  SecurityAudit: ['SecurityAudit'],
};
const FALLBACK_MANAGED_POLICIES = ['ReadOnlyAccess'];

/** The ARN of an AWS managed policy: `arn:<partition>:iam::aws:policy/<path and name>`. */
function awsManagedPolicyArn(partition: string, name: string): string {
  return `arn:${partition}:iam::aws:policy/${name}`;
}

export function managedPoliciesOf(roleName: string, partition: string): readonly string[] {
  return (ROLE_MANAGED_POLICIES[roleName] ?? FALLBACK_MANAGED_POLICIES).map((name) =>
    awsManagedPolicyArn(partition, name),
  );
}

/** What access planning needs besides the config: account ids and the organization's OU ids. */
export interface AccessContext {
  /** The partition of the home region (src/partitions.ts): every ARN below is in it. */
  readonly partition: string;
  readonly identityAccountId: string;
  readonly cicdAccountId: string;
  readonly organizationId: string;
  /** `Internal/Dev` -> `o-abc/r-ab12/ou-ab12-1/ou-ab12-2/` (aws:ResourceOrgPaths form); undefined: OU not created yet. */
  readonly orgPathOf: (ouPath: string) => string | undefined;
  readonly settings?: AccessSettings;
}

/**
 * The aws:ResourceOrgPaths / aws:SourceOrgPaths value of an OU from the observed OU map (path ->
 * id, root included as ''), e.g. `o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`.
 */
export function orgPathResolver(
  organizationId: string,
  ous: Readonly<Record<string, string>>,
): (ouPath: string) => string | undefined {
  const root = ous[''];
  return (ouPath) => {
    if (!root) return undefined;
    const ids = [organizationId, root];
    const parts = ouPath.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const id = ous[parts.slice(0, i).join('/')];
      if (!id) return undefined;
      ids.push(id);
    }
    return `${ids.join('/')}/`;
  };
}

// Member side ----------------------------------------------------------------------------------

export interface MemberRole {
  readonly name: string;
  readonly managedPolicyArns: readonly string[];
  /** The identity account's group roles allowed to assume it (aws:PrincipalArn), sorted. */
  readonly trustedGroupRoleArns: readonly string[];
  /** Groups granting it, for tags and docs. */
  readonly groups: readonly string[];
}

export type AutomationTrust =
  | { readonly type: 'account'; readonly accountId: string }
  | {
      readonly type: 'oidc';
      readonly providerArn: string;
      readonly audience: string;
      readonly subjects: readonly string[];
    };

export interface MemberAccess {
  readonly partition: string;
  readonly accountKey: string;
  readonly roles: readonly MemberRole[];
  readonly automation: {
    readonly name: string;
    readonly trust: AutomationTrust;
    readonly managedPolicyArns: readonly string[];
  };
  /** Extra principal allowed into AutomationRole: the Pulumi approach's automation user, when configured. */
  readonly automationUserArn?: string;
}

function groupRoleArn(partition: string, identityAccountId: string, group: string): string {
  return `arn:${partition}:iam::${identityAccountId}:role/${groupRoleName(group)}`;
}

/** The roles of one account: pure and per account (no other account's data goes in). */
export function memberAccess(account: ResolvedAccount, context: AccessContext): MemberAccess {
  const groupsByRole = new Map<string, Set<string>>();
  for (const [group, roles] of Object.entries(account.access)) {
    for (const role of roles) {
      const set = groupsByRole.get(role) ?? new Set<string>();
      set.add(group);
      groupsByRole.set(role, set);
    }
  }
  const roles = [...groupsByRole.keys()].sort(compareText).map((name): MemberRole => {
    const groups = [...(groupsByRole.get(name) as Set<string>)].sort(compareText);
    return {
      name,
      managedPolicyArns: managedPoliciesOf(name, context.partition),
      trustedGroupRoleArns: groups.map((g) => groupRoleArn(context.partition, context.identityAccountId, g)),
      groups,
    };
  });
  // validate refuses these (DSL_ACCESS_RESERVED_ROLE); a config built in code reaches here.
  const reserved = roles.find((r) => RESERVED_ACCESS_ROLES.has(r.name));
  if (reserved) {
    throw new OrgbridgeError(
      'ACCESS_RESERVED_ROLE',
      `account '${account.key}': access role name ${reserved.name} is reserved (${[...RESERVED_ACCESS_ROLES].join(', ')})`,
      { hint: 'rename the role in the scope or account `access:` pattern' },
    );
  }
  const oidc = context.settings?.automation_oidc;
  const users = context.settings?.iam_users;
  return {
    partition: context.partition,
    accountKey: account.key,
    roles,
    automation: {
      name: AUTOMATION_ROLE_NAME,
      trust: oidc
        ? {
            type: 'oidc',
            providerArn: oidc.provider_arn,
            audience: oidc.audience,
            subjects: [...oidc.subjects],
          }
        : { type: 'account', accountId: context.cicdAccountId },
      managedPolicyArns: [awsManagedPolicyArn(context.partition, 'AdministratorAccess')],
    },
    ...(users
      ? {
          automationUserArn: `arn:${context.partition}:iam::${context.identityAccountId}:user${IAM_PATH}${users.automation_user_name ?? 'cicd-automation'}`,
        }
      : {}),
  };
}

/** Trust policy of a member role: the identity account, narrowed to the granted group roles. */
export function memberRoleTrustPolicy(
  role: MemberRole,
  identityAccountId: string,
  partition: string,
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IdentityGroupRoles',
        Effect: 'Allow',
        // The account principal plus aws:PrincipalArn (not the role ARNs as principals): IAM
        // rejects a trust naming a role that does not exist yet, and the identity mapping may
        // be deployed after this account's roles.
        Principal: { AWS: `arn:${partition}:iam::${identityAccountId}:root` },
        Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { ArnEquals: { 'aws:PrincipalArn': [...role.trustedGroupRoleArns] } },
      },
    ],
  };
}

export function automationTrustPolicy(access: MemberAccess): Record<string, unknown> {
  const trust = access.automation.trust;
  const statements: Record<string, unknown>[] = [];
  if (trust.type === 'account') {
    statements.push({
      Sid: 'CicdAccount',
      Effect: 'Allow',
      Principal: { AWS: `arn:${access.partition}:iam::${trust.accountId}:root` },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    });
  } else {
    const host = trust.providerArn.replace(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\//, '');
    statements.push({
      Sid: 'OidcProvider',
      Effect: 'Allow',
      Principal: { Federated: trust.providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: { [`${host}:aud`]: trust.audience },
        StringLike: { [`${host}:sub`]: [...trust.subjects] },
      },
    });
  }
  if (access.automationUserArn) {
    statements.push({
      Sid: 'AutomationUser',
      Effect: 'Allow',
      Principal: { AWS: access.automationUserArn.replace(/:user\/.*$/, ':root') },
      Action: 'sts:AssumeRole',
      Condition: { ArnEquals: { 'aws:PrincipalArn': access.automationUserArn } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

// Identity side --------------------------------------------------------------------------------

export interface GroupGrant {
  /** Role names the group may assume... */
  readonly roles: readonly string[];
  /** ...in accounts under exactly these OUs (aws:ResourceOrgPaths values). */
  readonly orgPaths: readonly string[];
  /** The OU paths (names) behind orgPaths, for people. */
  readonly ous: readonly string[];
}

export interface GroupRole {
  readonly group: string;
  readonly roleName: string;
  readonly grants: readonly GroupGrant[];
}

export interface IdentityMapping {
  readonly partition: string;
  readonly groups: readonly GroupRole[];
  /** OUs with accounts that have no OU id yet (not created): their grants come on a later run. */
  readonly pendingOus: readonly string[];
  readonly settings?: AccessSettings;
}

/**
 * The identity account's group roles from every account's `access:`. Accounts whose OU does not
 * exist yet are left out (listed in `pendingOus`); the mapping is re-rendered on every run, so
 * they are granted once their OU exists.
 */
export function identityMapping(config: ResolvedConfig, context: AccessContext): IdentityMapping {
  // group -> role -> OU paths (names)
  const grants = new Map<string, Map<string, Set<string>>>();
  const pending = new Set<string>();
  for (const account of config.accounts) {
    if (context.orgPathOf(account.organization_unit) === undefined) {
      if (Object.keys(account.access).length) pending.add(account.organization_unit);
      continue;
    }
    for (const [group, roles] of Object.entries(account.access)) {
      const byRole = grants.get(group) ?? new Map<string, Set<string>>();
      grants.set(group, byRole);
      for (const role of roles) {
        const ous = byRole.get(role) ?? new Set<string>();
        ous.add(account.organization_unit);
        byRole.set(role, ous);
      }
    }
  }
  const groups = [...grants.keys()].sort(compareText).map((group): GroupRole => {
    // One statement per distinct OU set: roles granted in the same OUs share it.
    const bySignature = new Map<string, { roles: string[]; ous: string[] }>();
    const byRole = grants.get(group) as Map<string, Set<string>>;
    for (const role of [...byRole.keys()].sort(compareText)) {
      const ous = [...(byRole.get(role) as Set<string>)].sort(compareText);
      const key = ous.join('\u0000');
      const entry = bySignature.get(key) ?? { roles: [], ous };
      entry.roles.push(role);
      bySignature.set(key, entry);
    }
    return {
      group,
      roleName: groupRoleName(group),
      grants: [...bySignature.values()].map(({ roles, ous }) => ({
        roles,
        ous,
        orgPaths: ous.map((ou) => context.orgPathOf(ou) as string),
      })),
    };
  });
  return {
    partition: context.partition,
    groups,
    pendingOus: [...pending].sort(compareText),
    ...(context.settings ? { settings: context.settings } : {}),
  };
}

/** The inline policy of a group role: assume the granted roles in the granted OUs, nothing else. */
export function groupRolePolicy(role: GroupRole, partition: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: role.grants.map((grant, i) => ({
      Sid: `Grant${i + 1}`,
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
      Resource: grant.roles.map((r) => `arn:${partition}:iam::*:role/${r}`),
      Condition: { 'ForAnyValue:StringEquals': { 'aws:ResourceOrgPaths': [...grant.orgPaths] } },
    })),
  };
}

/** Size as IAM counts it (whitespace excluded). */
export function policyChars(document: unknown): number {
  return JSON.stringify(document).length;
}

/** Throws when a group role's policy would exceed IAM's inline limit (before CloudFormation does). */
export function checkIdentityMappingLimits(mapping: IdentityMapping): void {
  for (const role of mapping.groups) {
    const size = policyChars(groupRolePolicy(role, mapping.partition));
    if (size > IAM_LIMITS.roleInlinePolicyChars) {
      throw new OrgbridgeError(
        'ACCESS_POLICY_TOO_LARGE',
        `the policy of ${role.roleName} would be ${size} chars, over IAM's ${IAM_LIMITS.roleInlinePolicyChars}`,
        {
          hint: `group '${role.group}' is granted in too many distinct OU sets: grant it per parent OU or use fewer role names`,
        },
      );
    }
  }
}

// Logs account ---------------------------------------------------------------------------------

/** Settings that make an account send logs to the logs account's bucket. */
export const LOG_DELIVERY_SETTINGS = ['use_cfr', 'logging'] as const satisfies readonly SettingName[];

export function needsLogDelivery(account: ResolvedAccount): boolean {
  return LOG_DELIVERY_SETTINGS.some((name) => account.settings[name] === true);
}

export interface LogDeliveryGrant {
  /** OUs (aws:SourceOrgPaths) where every existing account needs log delivery. */
  readonly orgPaths: readonly string[];
  /** Accounts granted one by one (aws:SourceAccount): their OU also holds accounts that do not need it. */
  readonly accountIds: readonly string[];
  /** Accounts that need it, by key, for messages and tests. */
  readonly accountKeys: readonly string[];
  /**
   * The ids of every account that needs it, sorted, whatever the grant's form: the ELB accounts
   * of older regions can only be granted per account path (src/templates/logs-bucket.ts).
   */
  readonly deliveringAccountIds: readonly string[];
  /** True when the per-OU/per-account lists would not fit: the whole organization is granted. */
  readonly organizationWide: boolean;
}

/** S3 bucket policy limit is 20 KB; this leaves room for the other statements. */
export const LOG_GRANT_MAX_CHARS = 16_000;

/**
 * Which accounts the logs bucket accepts AWS log delivery from: whole OUs where every account
 * needs it (constant size), single accounts elsewhere; past LOG_GRANT_MAX_CHARS it falls back to
 * the whole organization (aws:SourceOrgID) rather than fail.
 */
export function planLogDelivery(
  config: ResolvedConfig,
  accountIds: Readonly<Record<string, string>>,
  orgPathOf: (ouPath: string) => string | undefined,
): LogDeliveryGrant {
  const byOu = new Map<string, { need: string[]; other: number }>();
  for (const account of config.accounts) {
    const id = accountIds[account.key];
    if (!id) continue;
    const entry = byOu.get(account.organization_unit) ?? { need: [], other: 0 };
    if (needsLogDelivery(account)) entry.need.push(account.key);
    else entry.other++;
    byOu.set(account.organization_unit, entry);
  }
  const orgPaths: string[] = [];
  const ids: string[] = [];
  const keys: string[] = [];
  const delivering: string[] = [];
  for (const [ou, { need, other }] of [...byOu].sort(([a], [b]) => compareText(a, b))) {
    keys.push(...need);
    delivering.push(...need.map((key) => accountIds[key] as string));
    const path = orgPathOf(ou);
    if (need.length > 1 && other === 0 && path) orgPaths.push(path);
    else for (const key of need) ids.push(accountIds[key] as string);
  }
  ids.sort(compareText);
  keys.sort(compareText);
  delivering.sort(compareText);
  const size = JSON.stringify(orgPaths).length + JSON.stringify(ids).length;
  if (size > LOG_GRANT_MAX_CHARS)
    return {
      orgPaths: [],
      accountIds: [],
      accountKeys: keys,
      deliveringAccountIds: delivering,
      organizationWide: true,
    };
  return {
    orgPaths,
    accountIds: ids,
    accountKeys: keys,
    deliveringAccountIds: delivering,
    organizationWide: false,
  };
}
