import type { PolicyType, ResolvedConfig } from '../config/model.js';
import type { OrganizationsPolicyPort } from '../handlers/policies/ports.js';
import { type ApplyResult, applyPolicyPlan, observePolicies } from '../handlers/policies/sync.js';
import {
  accountsUnderFrom,
  POLICY_TYPES_ORDER,
  type PolicyPlan,
  planPolicies,
  renderPolicyPlan,
} from '../plan/policies.js';
import type { PipelineAction } from './actions.js';
import type { Output } from './output.js';

/**
 * `orgbridge run --action sync-policies [--execute]` (management account): SCPs, tag and
 * backup policies of `policies/` onto their OUs. Exit 0 nothing to do / done, 2 changes pending
 * in a dry run, 1 blocking problems or failures.
 */
export interface SyncPoliciesOptions {
  readonly config: ResolvedConfig;
  readonly port: OrganizationsPolicyPort;
  readonly execute: boolean;
  readonly output: Output;
  /** moto cannot create BACKUP_POLICY (500): backup policies are skipped there, saying so. */
  readonly emulator: boolean;
}

export interface SyncPoliciesResult {
  readonly plan: PolicyPlan;
  readonly applied?: ApplyResult;
  readonly exitCode: number;
}

export async function syncPolicies(options: SyncPoliciesOptions): Promise<SyncPoliciesResult> {
  const { config, output } = options;
  let types: PolicyType[] = [...POLICY_TYPES_ORDER];
  if (options.emulator) {
    const skipped = config.policies.filter((p) => p.type === 'backup').length;
    output.err(
      `note: skipping backup policies${skipped ? ` (${skipped} files)` : ''}: the AWS emulator (moto) cannot create BACKUP_POLICY; they sync against real AWS`,
    );
    types = types.filter((t) => t !== 'backup');
  }
  const desired = config.policies.filter((p) => types.includes(p.type));
  const observed = await observePolicies(
    options.port,
    types,
    desired.map((d) => d.organization_unit),
  );
  const plan = planPolicies({
    desired,
    observed,
    limits: config.organization.limits,
    types,
    accountsUnder: accountsUnderFrom(config.accounts),
  });
  output.out(renderPolicyPlan(plan));
  if (plan.problems.some((p) => p.blocking)) {
    output.err('policy sync blocked: fix the errors above first');
    return { plan, exitCode: 1 };
  }
  if (plan.actions.length === 0) return { plan, exitCode: 0 };
  if (!options.execute) {
    output.err('dry run: run again with --execute to make these changes');
    return { plan, exitCode: 2 };
  }
  const applied = await applyPolicyPlan(options.port, plan);
  for (const f of applied.failures) output.err(`failed: ${f.action.action}: ${f.error}`);
  output.out(`applied ${applied.done} of ${plan.actions.length} policy changes`);
  return { plan, applied, exitCode: applied.failures.length > 0 ? 1 : 0 };
}

export const syncPoliciesAction: PipelineAction = {
  description: 'make the SCPs, tag and backup policies of each OU match policies/ (management account)',
  async run(context) {
    const { loadConfig } = await import('../config/index.js');
    const { AwsClients, awsContextFromEnv } = await import('../aws/index.js');
    const { organizationsPolicyPort } = await import('../handlers/policies/ports.js');
    const config = await loadConfig(context.configDir);
    const aws = awsContextFromEnv(context.env);
    const clients = new AwsClients(aws);
    try {
      const result = await syncPolicies({
        config,
        port: organizationsPolicyPort(clients.organizations()),
        execute: context.execute,
        output: context.output,
        emulator: aws.endpoint !== undefined,
      });
      return result.exitCode;
    } finally {
      clients.destroy();
    }
  },
};
