import type { Customization } from './customizations.js';
/**
 * The resolved model: what every stage after `src/config` consumes. Plain readonly data,
 * JSON-serialisable, so `--json` output, snapshots and benchmarks use it directly.
 *
 * The DSL schema (zod) lives in `schema.ts`; this file is the contract between stages.
 */

/** The special accounts of the EventBridge design, by the role they play. */
export const SPECIAL_ACCOUNT_KINDS = ['management', 'cicd', 'identity', 'dns', 'logs', 'audit'] as const;
export type SpecialAccountKind = (typeof SPECIAL_ACCOUNT_KINDS)[number];
/** Every account is either one of the special accounts or a workload ("member") account. */
export type AccountKind = SpecialAccountKind | 'member';

/** Where a resolved value came from. */
export interface Provenance {
  readonly layer: 'builtin' | 'defaults' | 'scope' | 'account' | 'template';
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export interface ResolvedAccount {
  /** Internal readable key from `accounts:` (e.g. `foo`). */
  readonly key: string;
  /** Full AWS account name from `name_template` (e.g. `foo-nonprod-us-east-1`). */
  readonly name: string;
  readonly email: string;
  /** Existing account id to adopt (`id:` in the DSL), if given. */
  readonly id?: string;
  readonly kind: AccountKind;
  readonly scope: string;
  /** OU path from the organization root, `/`-separated, e.g. `Internal/Dev`. */
  readonly organization_unit: string;
  readonly region: string;
  readonly environment: string;
  readonly service: string;
  /**
   * Tags the account carries in Organizations: the CREATE_ACCOUNT tags (SEED_TAG_KEYS) + configured
   * tags (maps merge).
   */
  readonly tags: Readonly<Record<string, string>>;
  /** Never retire or close this account. */
  readonly protect: boolean;
  readonly allowed_dns_domains: readonly string[];
  /** Group -> roles granted in this account (from the scope's `access:` patterns). */
  readonly access: Readonly<Record<string, readonly string[]>>;
  /** Every resolved setting (create_vpc, nat_gateway_count, use_cfr, regions, ...). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Setting name -> where its value came from. */
  readonly provenance: Readonly<Record<string, Provenance>>;
}

export interface ResolvedScope {
  readonly name: string;
  readonly organization_unit: string;
  readonly access: Readonly<Record<string, readonly string[]>>;
  readonly settings: Readonly<Record<string, unknown>>;
}

/**
 * Special account kind -> account key in `accounts:`. Only the management account always
 * exists; the others may be unset (an imported organization without them): the commands that
 * need them check with `requireSpecialAccounts` (src/config/special-accounts.ts).
 */
export type SpecialAccountKeys = Readonly<
  { management: string } & Partial<Record<Exclude<SpecialAccountKind, 'management'>, string>>
>;

export interface OrganizationSettings {
  readonly accounts: SpecialAccountKeys;
  /** OU under the root holding every scope OU; unset: scopes may use any OU (no bootstrap). */
  readonly root_ou?: string;
  /** OU under the root for retired accounts; unset: nothing is retired (the plan says so). */
  readonly morgue_ou?: string;
  readonly event_bus: string;
  readonly event_source: string;
  readonly name_template: string;
  /** Unset: every account sets its own `email:` (validation checks it). */
  readonly email_template?: string;
  /** Tag every account with scope, service-name, environment and region (the seed's tags). */
  readonly standard_tags: boolean;
  /**
   * accounts.yml describes the whole organization (docs/plan.md, "Authoritative"): accounts it
   * does not list (and `unmanaged` does not name) are retired, every tag of an account is managed,
   * and an account without orgbridge's markers is managed as it is, with no adoption step.
   */
  readonly authoritative: boolean;
  /** Parent domain under which the DNS account creates one zone per account. */
  readonly dns_parent_domain?: string;
  /** Role assumed in member accounts (AWS default: OrganizationAccountAccessRole). */
  readonly access_role_name: string;
  /**
   * ArnLike patterns of the management account's principals that may assume orgbridge-dlq-operator
   * (docs/operations.md, "Dead-letter queues"); absent: any principal of the management account
   * allowed sts:AssumeRole, and no redrive into the management handler queue.
   */
  readonly operators?: readonly string[];
  /** Close retired accounts (the Pulumi approach's closeOnDeletion); off by default. */
  readonly close_retired_accounts: boolean;
  readonly limits: PolicyLimits;
  /** Access options (docs/provisioning.md); absent: group roles trust the identity account, AutomationRole trusts cicd. */
  readonly access?: AccessSettings;
}

/** How people and automation reach the accounts (see src/plan/access.ts). */
export interface AccessSettings {
  /** SAML provider in the identity account the group roles trust (SSO); absent: the identity account's principals. */
  readonly saml_provider_arn?: string;
  /** OIDC provider (e.g. GitHub Actions) AutomationRole trusts instead of the cicd account. */
  readonly automation_oidc?: {
    readonly provider_arn: string;
    readonly audience: string;
    /** `sub` claims allowed, wildcards allowed (e.g. `repo:acme/infra:ref:refs/heads/main`). */
    readonly subjects: readonly string[];
  };
  /**
   * An IAM developers group and automation user in the identity account (the Pulumi approach's),
   * for organizations without SSO.
   */
  readonly iam_users?: {
    /** The access group (from scope `access:` patterns) whose role the developers group may assume. */
    readonly developers_access_group: string;
    readonly developers_group_name?: string;
    readonly automation_user_name?: string;
  };
}

/** Quotas read from config because AWS raised some of them (see docs/dsl.md). */
export interface PolicyLimits {
  readonly scp_max_chars: number;
  readonly tag_policy_max_chars: number;
  readonly backup_policy_max_chars: number;
  readonly scp_per_target: number;
  readonly tag_policies_per_target: number;
  readonly backup_policies_per_target: number;
  readonly tags_per_account: number;
  readonly ou_depth: number;
}

export interface EcrLifecycleRule {
  /** Tag prefix (e.g. `dev-`), or undefined for untagged images. */
  readonly tag_prefix?: string;
  readonly untagged: boolean;
  readonly days: number;
}

export interface EcrPullGrant {
  readonly environment?: string;
  readonly services: readonly string[];
}

export interface EcrRepository {
  readonly name: string;
  readonly description?: string;
  readonly lifecycle: readonly EcrLifecycleRule[];
  readonly pull: readonly EcrPullGrant[];
}

export type PolicyType = 'scp' | 'tag' | 'backup';

export interface PolicyDocument {
  readonly type: PolicyType;
  /** OU path the policy is attached to, e.g. `Internal/Dev`; `''` is the organization root. */
  readonly organization_unit: string;
  readonly name: string;
  /** Path relative to the config directory. */
  readonly file: string;
  /** Minified JSON, exactly what is sent to Organizations. */
  readonly content: string;
}

/** A policy attached to an account (`policies.<type>.<name>.accounts` in accounts.yml). */
export interface AccountPolicyDocument {
  readonly type: PolicyType;
  /** Account key in `accounts:`. */
  readonly account: string;
  readonly name: string;
  readonly file: string;
  readonly content: string;
}

/** Where the AWS-managed FullAWSAccess SCP is detached; absent: orgbridge leaves it alone. */
export interface FullAwsAccessSettings {
  /** OU paths (`''` the root) without FullAWSAccess. */
  readonly detached_from_organization_units: readonly string[];
  /** Account keys without FullAWSAccess. */
  readonly detached_from_accounts: readonly string[];
}

/** What orgbridge never touches (`unmanaged:` in accounts.yml). */
export interface UnmanagedSettings {
  readonly accounts: readonly string[];
  readonly organization_units: readonly string[];
  /** Policy ids (`p-...`). */
  readonly policies: readonly string[];
}

/** Subscriptions of the alarms topic (`notifications:` in accounts.yml, docs/operations.md). */
export interface NotificationSettings {
  readonly email: readonly string[];
  readonly https: readonly string[];
  /** Slack channels, through Amazon Q Developer in chat applications (AWS Chatbot). */
  readonly slack?: readonly { readonly workspace_id: string; readonly channel_id: string }[];
}

export interface ResolvedConfig {
  /** Absolute path of the config directory. */
  readonly directory: string;
  readonly organization: OrganizationSettings;
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly scopes: Readonly<Record<string, ResolvedScope>>;
  /** Sorted by key. */
  readonly accounts: readonly ResolvedAccount[];
  readonly ecr: readonly EcrRepository[];
  /** Policies attached to OUs and the root (`organization_unit: ''`), one entry per attachment. */
  readonly policies: readonly PolicyDocument[];
  /** Policies attached to accounts, one entry per attachment. */
  readonly account_policies: readonly AccountPolicyDocument[];
  /** Declared with `policies.scp.FullAWSAccess`; undefined: FullAWSAccess is left alone. */
  readonly full_aws_access?: FullAwsAccessSettings;
  readonly unmanaged: UnmanagedSettings;
  /** Absent: the alarms topic has no subscription (subscribe to it by hand). */
  readonly notifications?: NotificationSettings;
  /**
   * The user's own stacks (`stacks/<name>/`, docs/customizations.md), in file order; absent
   * when the config has none.
   */
  readonly customizations?: readonly Customization[];
}
