import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../aws/clients.js';
import {
  type PolicyType,
  type ResolvedConfig,
  SPECIAL_ACCOUNT_KINDS,
  type SpecialAccountKind,
} from '../config/model.js';
import { configuredRegions, homeRegionOf } from '../config/regions.js';
import { isOrgbridgeError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { allPages, organizationsPort } from '../handlers/accounts/ports.js';
import { organizationsPolicyPort } from '../handlers/policies/ports.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { artifactBucketName } from '../protocol/names.js';
import { resolveAccountIds } from '../templates/inputs.js';
import { describeStackSetsAccess, type StackSetsAccess, TRUSTED_ACCESS_FIX } from './stacksets-access.js';

/**
 * `orgbridge doctor`: read-only checks of a real organization with the caller's credentials,
 * before (and after) a bootstrap, each pass / warn / fail with the fix. Facts are gathered here
 * (every call a read: Describe, List, Get, Head, and AssumeRole into each special account) and
 * judged by `doctorChecks`, a pure function the tests drive with facts of their own.
 * docs/deploy.md lists the checks and what each fix means.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DoctorCheck {
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
  /** What to do about a warning or a failure. */
  readonly fix?: string;
}

/** What the checks judge; `error` fields carry why a fact could not be read. */
export interface DoctorFacts {
  readonly nodeVersion: string;
  readonly caller: { readonly arn: string; readonly account: string } | { readonly error: string };
  readonly organization:
    | { readonly id: string; readonly managementAccountId: string; readonly featureSet: string }
    | { readonly error: string };
  readonly stackSetsAccess: StackSetsAccess | { readonly error: string };
  /** Policy types enabled on the root (`scp`, `tag`, `backup`), or why unknown. */
  readonly enabledPolicyTypes: readonly string[] | { readonly error: string };
  readonly observed: ObservedOrganization | { readonly error: string };
  /** Per special account: its id when found, and whether its access role could be assumed. */
  readonly specialAccounts: Readonly<
    Record<SpecialAccountKind, { readonly id?: string; readonly assumed?: true | { readonly error: string } }>
  >;
  /** Per configured region: does the cicd artifact bucket exist (undefined: unknown, no cicd). */
  readonly artifactBuckets: Readonly<Record<string, boolean | { readonly error: string }>>;
  /** Root and OU targets with their SCPs: how many, and the longest one's characters. */
  readonly scpTargets:
    | readonly { readonly target: string; readonly count: number; readonly maxChars: number }[]
    | { readonly error: string };
}

/** Organizations' default quota of accounts per organization (adjustable, Service Quotas L-29A0C5DF). */
export const DEFAULT_ACCOUNT_QUOTA = 10;

const ORGANIZATIONS_POLICY_TYPES: Readonly<Record<PolicyType, string>> = {
  scp: 'SERVICE_CONTROL_POLICY',
  tag: 'TAG_POLICY',
  backup: 'BACKUP_POLICY',
};

const failed = (e: unknown): { error: string } => ({
  error: isOrgbridgeError(e) ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e),
});
async function attempt<T>(fn: () => Promise<T>): Promise<T | { error: string }> {
  try {
    return await fn();
  } catch (e) {
    return failed(e);
  }
}
function isError<T>(v: T | { readonly error: string }): v is { readonly error: string } {
  return (
    typeof v === 'object' && v !== null && 'error' in v && typeof (v as { error: unknown }).error === 'string'
  );
}

/** Reads everything the checks need; never writes. */
export async function gatherDoctorFacts(
  config: ResolvedConfig,
  management: AwsClients,
): Promise<DoctorFacts> {
  const home = homeRegionOf(config);
  const [caller, organization, stackSetsAccess, observed] = await Promise.all([
    attempt(async () => {
      const who = await management.sts().send(new GetCallerIdentityCommand({}));
      return { arn: who.Arn ?? '', account: who.Account ?? '' };
    }),
    attempt(async () => {
      const out = await management.organizations().send(new DescribeOrganizationCommand({}));
      return {
        id: out.Organization?.Id ?? '',
        managementAccountId: out.Organization?.MasterAccountId ?? '',
        featureSet: out.Organization?.FeatureSet ?? '',
      };
    }),
    attempt(() => describeStackSetsAccess(management.cloudFormation(home))),
    attempt(() => observeOrganization(organizationsPort(management.organizations()), { tagConcurrency: 8 })),
  ]);
  const policies = organizationsPolicyPort(management.organizations());
  const enabledPolicyTypes = await attempt(async () => (await policies.root()).enabledTypes.map(String));
  const ids = isError(observed) ? {} : resolveAccountIds(config, observed);
  const specialAccounts = {} as Record<
    SpecialAccountKind,
    { id?: string; assumed?: true | { error: string } }
  >;
  await Promise.all(
    SPECIAL_ACCOUNT_KINDS.map(async (kind) => {
      const key = config.organization.accounts[kind];
      const id = key === undefined ? undefined : ids[key];
      if (!id) {
        specialAccounts[kind] = {};
        return;
      }
      // The caller's own account (the management account, normally) needs no role: it is there.
      const inside = !isError(caller) && caller.account === id ? management : management.forAccount(id);
      const assumed = await attempt(async () => {
        const who = await inside.sts().send(new GetCallerIdentityCommand({}));
        if (who.Account !== id) throw new Error(`the role answered as account ${who.Account}`);
        return true as const;
      });
      specialAccounts[kind] = { id, assumed };
    }),
  );
  const cicd = specialAccounts.cicd;
  const artifactBuckets: Record<string, boolean | { error: string }> = {};
  for (const region of configuredRegions(config)) {
    if (!cicd.id || cicd.assumed !== true) continue;
    const bucket = artifactBucketName(cicd.id, region);
    artifactBuckets[region] = await attempt(async () => {
      try {
        await management
          .forAccount(cicd.id as string)
          .s3(region)
          .send(new HeadBucketCommand({ Bucket: bucket }));
        return true;
      } catch (e) {
        if (e instanceof Error && (e.name === 'NotFound' || e.name === 'NoSuchBucket')) return false;
        throw e;
      }
    });
  }
  const scpTargets = isError(observed)
    ? observed
    : await attempt(() => scpUsage(policies, [observed.rootId, ...Object.values(observed.ous)]));
  return {
    nodeVersion: process.versions.node,
    caller,
    organization,
    stackSetsAccess,
    enabledPolicyTypes,
    observed,
    specialAccounts,
    artifactBuckets,
    scpTargets,
  };
}

async function scpUsage(
  policies: ReturnType<typeof organizationsPolicyPort>,
  targets: readonly string[],
): Promise<{ target: string; count: number; maxChars: number }[]> {
  const sizes = new Map<string, number>();
  const out: { target: string; count: number; maxChars: number }[] = [];
  for (const target of [...new Set(targets)]) {
    const attached = await allPages((t) => policies.listPoliciesForTarget(target, 'scp', t));
    let maxChars = 0;
    for (const p of attached) {
      if (!sizes.has(p.id)) sizes.set(p.id, (await policies.policyContent(p.id)).length);
      maxChars = Math.max(maxChars, sizes.get(p.id) ?? 0);
    }
    out.push({ target, count: attached.length, maxChars });
  }
  return out;
}

/** Judges the facts. Pure: the tests give it facts of their own. */
export function doctorChecks(config: ResolvedConfig, facts: DoctorFacts): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const add = (id: string, status: CheckStatus, message: string, fix?: string) =>
    checks.push({ id, status, message, ...(fix && status !== 'pass' ? { fix } : {}) });

  const [major = 0, minor = 0] = facts.nodeVersion.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 11))
    add(
      'node',
      'fail',
      `Node.js ${facts.nodeVersion}: orgbridge needs 20.11 or later`,
      'install Node.js 22 LTS',
    );
  else if (major < 22)
    add(
      'node',
      'warn',
      `Node.js ${facts.nodeVersion} works; 22 is the target (AWS SDK releases from 2027 need it)`,
      'install Node.js 22 LTS',
    );
  else add('node', 'pass', `Node.js ${facts.nodeVersion}`);

  const org = facts.organization;
  if (isError(org)) {
    add(
      'organization',
      'fail',
      `no organization is readable with these credentials: ${org.error}`,
      'run orgbridge with credentials of the management account (see docs/deploy.md)',
    );
  } else {
    add(
      'all-features',
      org.featureSet === 'ALL' ? 'pass' : 'fail',
      `organization ${org.id}: feature set ${org.featureSet}`,
      'enable all features (Organizations console, Settings, or `aws organizations enable-all-features`): SCPs, tag and backup policies and service-managed stack sets need them',
    );
  }

  const caller = facts.caller;
  if (isError(caller))
    add(
      'caller',
      'fail',
      `who the caller is is unknown: ${caller.error}`,
      'set AWS credentials (AWS_PROFILE or the usual variables)',
    );
  else if (!isError(org))
    add(
      'caller',
      caller.account === org.managementAccountId ? 'pass' : 'fail',
      caller.account === org.managementAccountId
        ? `${caller.arn} is in the management account ${org.managementAccountId}`
        : `${caller.arn} is in account ${caller.account}, not the management account ${org.managementAccountId}`,
      `run with credentials of the management account ${org.managementAccountId}: the bootstrap and the account sync act from there`,
    );

  const access = facts.stackSetsAccess;
  if (isError(access))
    add(
      'stacksets-trusted-access',
      'fail',
      `StackSets trusted access is unknown: ${access.error}`,
      TRUSTED_ACCESS_FIX,
    );
  else if (access === 'ENABLED')
    add('stacksets-trusted-access', 'pass', 'StackSets trusted access with Organizations is on');
  else if (access === 'DISABLED')
    add(
      'stacksets-trusted-access',
      'warn',
      'StackSets trusted access with Organizations is off',
      `\`orgbridge run --action bootstrap --execute\` turns it on, or ${TRUSTED_ACCESS_FIX}`,
    );
  else
    add(
      'stacksets-trusted-access',
      'fail',
      'StackSets trusted access is permanently disabled',
      'AWS Support can re-enable it',
    );

  policyTypeChecks(config, facts, add);
  specialAccountChecks(config, facts, add);
  regionChecks(config, facts, add);
  quotaChecks(config, facts, add);
  return checks;
}

type Add = (id: string, status: CheckStatus, message: string, fix?: string) => void;

function policyTypeChecks(config: ResolvedConfig, facts: DoctorFacts, add: Add): void {
  const enabled = facts.enabledPolicyTypes;
  const used = new Set<PolicyType>(['scp', ...config.policies.map((p) => p.type)]);
  for (const type of [...used].sort()) {
    const name = ORGANIZATIONS_POLICY_TYPES[type];
    if (isError(enabled)) {
      add(`policy-type-${type}`, 'fail', `the root's policy types are unknown: ${enabled.error}`);
      continue;
    }
    const on = enabled.includes(type);
    add(
      `policy-type-${type}`,
      on ? 'pass' : 'warn',
      `${name} is ${on ? '' : 'not '}enabled on the root`,
      `\`orgbridge run --action sync-policies --execute\` enables it, or \`aws organizations enable-policy-type --root-id <root> --policy-type ${name}\``,
    );
  }
}

function specialAccountChecks(config: ResolvedConfig, facts: DoctorFacts, add: Add): void {
  const role = config.organization.access_role_name;
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    const key = config.organization.accounts[kind];
    const found = facts.specialAccounts[kind];
    if (key === undefined) {
      add(
        `account-${kind}`,
        'fail',
        `organization.${kind} is not set in accounts.yml`,
        `name the ${kind} account: organization.${kind}: <account key> (a new one is created by sync-accounts; docs/import.md)`,
      );
      continue;
    }
    if (!found.id) {
      add(
        `account-${kind}`,
        'fail',
        `the ${kind} account '${key}' is not in the organization`,
        '`orgbridge run --action sync-accounts --execute` creates it (or give it `id:` in accounts.yml if it exists under another name)',
      );
      continue;
    }
    const assumed = found.assumed;
    add(
      `account-${kind}`,
      assumed === true ? 'pass' : 'fail',
      assumed === true
        ? `the ${kind} account '${key}' is ${found.id}, reachable through ${role}`
        : `the ${kind} account '${key}' is ${found.id}, but ${role} cannot be assumed: ${assumed?.error ?? 'not tried'}`,
      `create the role ${role} in ${found.id} trusting the management account (accounts made by CreateAccount have it), or set organization.access_role_name`,
    );
  }
}

function regionChecks(config: ResolvedConfig, facts: DoctorFacts, add: Add): void {
  const home = homeRegionOf(config);
  const regions = configuredRegions(config);
  add(
    'home-region',
    regions.includes(home) ? 'pass' : 'fail',
    `the home region ${home} (buses, handlers, baselines) is ${regions.includes(home) ? '' : 'not '}in defaults.regions [${regions.join(', ')}]`,
    `add ${home} to defaults.regions: its artifact bucket holds the handlers' code`,
  );
  for (const region of regions) {
    const bucket = facts.artifactBuckets[region];
    if (bucket === undefined)
      add(
        `artifacts-${region}`,
        'warn',
        `the artifact bucket of ${region} could not be checked (no reachable cicd account)`,
      );
    else if (isError(bucket))
      add(
        `artifacts-${region}`,
        'fail',
        `the artifact bucket of ${region}: ${bucket.error}`,
        'check that the region is enabled for the cicd account',
      );
    else
      add(
        `artifacts-${region}`,
        bucket ? 'pass' : 'warn',
        `the artifact bucket of ${region} ${bucket ? 'exists' : 'does not exist yet'}`,
        '`orgbridge run --action bootstrap --execute` creates it',
      );
  }
}

function quotaChecks(config: ResolvedConfig, facts: DoctorFacts, add: Add): void {
  const observed = facts.observed;
  if (!isError(observed)) {
    const live = observed.accounts.filter((a) => a.status === 'ACTIVE').length;
    const wanted = new Set([...observed.accounts.map((a) => a.id), ...config.accounts.map((a) => a.key)])
      .size;
    const over = config.accounts.length > DEFAULT_ACCOUNT_QUOTA;
    add(
      'account-quota',
      over ? 'warn' : 'pass',
      `${live} active accounts in the organization, ${config.accounts.length} in accounts.yml (Organizations' default quota is ${DEFAULT_ACCOUNT_QUOTA})`,
      `check the quota "Default maximum number of accounts" (Service Quotas, L-29A0C5DF) allows ${Math.max(wanted, config.accounts.length)} and ask for more if not`,
    );
  }
  const scps = facts.scpTargets;
  if (isError(scps)) {
    add('scp-limits', 'fail', `the SCPs attached to the root and OUs could not be read: ${scps.error}`);
    return;
  }
  const { scp_per_target: perTarget, scp_max_chars: maxChars } = config.organization.limits;
  const crowded = scps.filter((t) => t.count > perTarget);
  const large = scps.filter((t) => t.maxChars > maxChars);
  add(
    'scp-limits',
    crowded.length || large.length ? 'fail' : 'pass',
    crowded.length || large.length
      ? `targets over organization.limits: ${[...crowded.map((t) => `${t.target} has ${t.count} SCPs (> ${perTarget})`), ...large.map((t) => `${t.target} has an SCP of ${t.maxChars} chars (> ${maxChars})`)].join('; ')}`
      : `${scps.length} targets (root and OUs), at most ${Math.max(0, ...scps.map((t) => t.count))} SCPs each (limit ${perTarget}), the longest ${Math.max(0, ...scps.map((t) => t.maxChars))} chars (limit ${maxChars})`,
    'detach SCPs orgbridge does not manage, or raise organization.limits if AWS raised your quota (docs/dsl.md, Limits)',
  );
}
