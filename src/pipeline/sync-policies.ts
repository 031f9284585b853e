import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '../aws/clients.js';
import { type RequestClient, RequestFailedError } from '../bus/requests.js';
import type { PolicyDocument, PolicyType, ResolvedConfig } from '../config/model.js';
import type { OrganizationsPolicyPort } from '../handlers/policies/ports.js';
import { type ApplyResult, applyPolicyPlan, observePolicies, planTextOf } from '../handlers/policies/sync.js';
import { massPolicyChange } from '../plan/blast-radius.js';
import {
  accountsUnderFrom,
  type ObservedPolicies,
  POLICY_TYPES_ORDER,
  type PolicyPlan,
  planPolicies,
} from '../plan/policies.js';
import { accountAttachmentsOf, policyScopeOf } from '../plan/policy-scope.js';
import { renderPolicyPlanWithDiffs } from '../plan/section-policies.js';
import type { Outcome, Output } from './output.js';
import { type ScpsCarriage, syncScpsByEvent } from './sync-scps.js';

/**
 * `orgbridge run --action sync-policies [--execute]`: the policies of `policies/` onto their
 * OUs. With the management account's credentials (`direct`): SCPs, tag and backup policies,
 * planned and applied in-process. With the cicd account's (`eventbridge`): SCPs only, as one
 * SYNC_SCPS request the management account's handler plans and applies. Exit 0 nothing to do /
 * done, 2 changes pending in a dry run, 1 blocking problems or failures, on either path.
 */
export interface SyncPoliciesOptions {
  readonly config: ResolvedConfig;
  readonly port: OrganizationsPolicyPort;
  readonly execute: boolean;
  readonly output: Output;
  /** moto cannot create BACKUP_POLICY (500): backup policies are skipped there, saying so. */
  readonly emulator: boolean;
  /** `run --allow-mass-change`: a sync removing most or all managed policies is intended. */
  readonly allowMassChange?: boolean;
  /**
   * Organizations' policies as already being read (`observePoliciesOf` with `policyTypesToSync`):
   * `run --action sync` reads them beside the accounts when the accounts change nothing.
   */
  readonly observed?: Promise<ObservedPolicies>;
}

export interface SyncPoliciesResult {
  readonly plan: PolicyPlan;
  readonly applied?: ApplyResult;
  readonly outcome: Outcome;
}

/** The policy types a direct sync covers: all but backup policies on the emulator (see `emulator`). */
export function policyTypesToSync(emulator: boolean): PolicyType[] {
  return POLICY_TYPES_ORDER.filter((t) => !emulator || t !== 'backup');
}

/** What Organizations holds of the policy types `types`, with the content of those the DSL names. */
export function observePoliciesOf(
  config: ResolvedConfig,
  port: OrganizationsPolicyPort,
  types: readonly PolicyType[],
): Promise<ObservedPolicies> {
  const named = [...config.policies, ...accountAttachmentsOf(config)].filter((p) => types.includes(p.type));
  const names = new Set(named.map((d) => `${d.type}\u0000${d.name}`));
  return observePolicies(port, types, { described: (type, name) => names.has(`${type}\u0000${name}`) });
}

/** The policy files of `types` against what Organizations holds (sync-policies and `plan`). */
export async function observeAndPlanPolicies(
  config: ResolvedConfig,
  port: OrganizationsPolicyPort,
  types: readonly PolicyType[],
  observing: Promise<ObservedPolicies> = observePoliciesOf(config, port, types),
): Promise<{ desired: PolicyDocument[]; observed: ObservedPolicies; plan: PolicyPlan }> {
  const desired = config.policies.filter((p) => types.includes(p.type));
  const accountDesired = accountAttachmentsOf(config).filter((p) => types.includes(p.type));
  const observed = await observing;
  const plan = planPolicies({
    desired,
    accountDesired,
    observed,
    limits: config.organization.limits,
    types,
    accountsUnder: accountsUnderFrom(config.accounts),
    scope: policyScopeOf(config),
  });
  return { desired, observed, plan };
}

export async function syncPolicies(options: SyncPoliciesOptions): Promise<SyncPoliciesResult> {
  const { config, output } = options;
  const types = policyTypesToSync(options.emulator);
  if (options.emulator) {
    const skipped = config.policies.filter((p) => p.type === 'backup').length;
    output.err(
      `note: skipping backup policies${skipped ? ` (${skipped} files)` : ''}: the AWS emulator (moto) cannot create BACKUP_POLICY; they sync against real AWS`,
    );
  }
  const { observed, plan } = await observeAndPlanPolicies(config, options.port, types, options.observed);
  output.out(renderPolicyPlanWithDiffs(plan, observed));
  if (plan.problems.some((p) => p.blocking)) {
    output.err('policy sync blocked: fix the errors above first');
    return { plan, outcome: 'failed' };
  }
  const mass = massPolicyChange(plan, observed);
  if (mass && !options.allowMassChange) {
    output.err(
      `policy sync refused [SYNC_SCPS_MASS_CHANGE]: ${mass}; if that is intended, run it again with --allow-mass-change`,
    );
    return { plan, outcome: 'failed' };
  }
  if (plan.actions.length === 0) return { plan, outcome: 'done' };
  if (!options.execute) {
    output.err('dry run: run again with --execute to make these changes');
    return { plan, outcome: 'pending' };
  }
  const applied = await applyPolicyPlan(options.port, plan);
  for (const f of applied.failures) output.err(`failed: ${f.action.action}: ${f.error}`);
  output.out(`applied ${applied.done} of ${plan.actions.length} policy changes`);
  return { plan, applied, outcome: applied.failures.length > 0 ? 'failed' : 'done' };
}

export interface SyncPoliciesByEventOptions {
  /** What of the config the path reads: the policy files and the quotas. */
  readonly config: Pick<ResolvedConfig, 'policies'> &
    Partial<Pick<ResolvedConfig, 'account_policies' | 'full_aws_access'>> & {
      readonly organization: Pick<ResolvedConfig['organization'], 'limits'>;
    };
  /** The cicd account's request client (`cicdRequestClient`). */
  readonly client: RequestClient;
  /** Acting in the cicd account, in the home region (the artifact bucket's). */
  readonly s3: Client<S3Client>;
  readonly managementAccountId: string;
  readonly homeRegion: string;
  readonly execute: boolean;
  readonly output: Output;
  /** `run --allow-mass-change`: carried as the request's `allow_mass_change`. */
  readonly allowMassChange?: boolean;
  readonly timeoutMs?: number;
}

export interface SyncPoliciesByEventResult {
  /** How the SCP files travelled; undefined when the handler refused them. */
  readonly carriage?: ScpsCarriage;
  readonly outcome: Outcome;
}

const CARRIAGE: Record<ScpsCarriage, string> = {
  inline: 'inline',
  uploaded: 'as a bundle (uploaded)',
  'already-uploaded': 'as a bundle (already uploaded)',
};

/**
 * sync-policies from the cicd account: SYNC_SCPS with every SCP file and the DSL's SCP quotas,
 * a dry run unless `execute` (the envelope's `dryrun`: the handler plans and answers without
 * applying). The handler's plan comes back as text in the reply's summary and is printed as the
 * direct path prints its own. Tag and backup policies are not carried: the line saying so names
 * how to sync them.
 */
export async function syncPoliciesByEvent(
  options: SyncPoliciesByEventOptions,
): Promise<SyncPoliciesByEventResult> {
  const { config, output } = options;
  const others = config.policies.filter((p) => p.type !== 'scp').length;
  output.err(
    `note: tag and backup policies${others ? ` (${others} files)` : ''} not synced: from the cicd account only SCPs sync (by event); run \`orgbridge run --action sync-policies\` with the management account's credentials to sync them`,
  );
  const onAccounts = config.account_policies?.length ?? 0;
  if (onAccounts > 0 || config.full_aws_access) {
    output.err(
      `note: ${onAccounts ? `${onAccounts} policy attachment${onAccounts === 1 ? '' : 's'} to accounts${config.full_aws_access ? ' and ' : ''}` : ''}${config.full_aws_access ? 'FullAWSAccess' : ''} not synced by event, nor are existing policies detached: the management account's credentials sync them (docs/policies.md)`,
    );
  }
  let result: Awaited<ReturnType<typeof syncScpsByEvent>>;
  try {
    result = await syncScpsByEvent({
      client: options.client,
      s3: options.s3,
      managementAccountId: options.managementAccountId,
      homeRegion: options.homeRegion,
      policies: config.policies,
      limits: config.organization.limits,
      dryrun: !options.execute,
      ...(options.allowMassChange ? { allowMassChange: true } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
  } catch (e) {
    if (!(e instanceof RequestFailedError)) throw e;
    if (e.remoteCode !== 'SYNC_SCPS_BLOCKED' && e.remoteCode !== 'SYNC_SCPS_MASS_CHANGE')
      throw e.asRemoteError();
    output.out(`policies (scp): refused by the management account\n  error: ${e.message} [${e.remoteCode}]`);
    output.err('policy sync blocked: fix the errors above first');
    return { outcome: 'failed' };
  }
  const { reply, carriage } = result;
  const scps = config.policies.length - others;
  output.err(`sync-policies: ${scps} SCP files sent to the management account ${CARRIAGE[carriage]}`);
  const actions = Number(reply.summary?.actions ?? 0);
  output.out(planTextOf(reply.summary) ?? `policies (scp): ${actions} changes`);
  if (actions === 0) return { carriage, outcome: 'done' };
  if (!options.execute) {
    output.err('dry run: run again with --execute to make these changes');
    return { carriage, outcome: 'pending' };
  }
  output.out(`applied ${actions} of ${actions} policy changes`);
  return { carriage, outcome: 'done' };
}
