import { type PlanSection, type SectionChange, section } from './sections.js';

/**
 * The provisioning pipeline (`run --action pipeline`, docs/provisioning.md) as the plan's
 * `provisioning` section: the steps a run would carry out, which are the steps of the rendered
 * pipeline that its state does not record as done. A step's id holds the fingerprint of what it
 * deploys (`<kind>:<account id>:<template or request hash>`), so an access change in accounts.yml
 * shows as the baselines and the identity mapping it re-deploys, with the roles they will hold.
 */
export interface ProvisioningStepView {
  readonly id: string;
  readonly kind: string;
  readonly label?: string;
  readonly accountId?: string;
  /** What the step keeps current (DagStep.slot). */
  readonly slot?: string;
  /** What the step's template grants (the roles it holds), when it deploys access. */
  readonly detail?: string;
}

export const APPLY_PROVISIONING = 'orgbridge run --action pipeline --execute';

/** Steps that only serve the others (uploads, waits, forward rules): counted, not listed. */
const SUPPORTING = new Set(['upload-template', 'wait-stack-instances', 'forward-rule']);

/** What each kind of step deploys, as the group its changes are listed under. */
const GROUPS: Readonly<Record<string, string>> = {
  baseline: 'account baseline (access roles, AutomationRole, backup)',
  'iam-mapping': 'identity mapping (one role per access group)',
  'log-buckets': 'logs bucket',
  'ssm-parameters': 'SSM parameters',
  'iam-settings': 'IAM account settings',
  vpc: 'standard VPC',
  'backup-vaults': 'backup vaults of another region',
  'dns-zone': 'DNS zone',
  'dns-release': 'DNS release of a retired account',
};

export function provisioningSection(input: {
  readonly steps: readonly ProvisioningStepView[];
  /** Step ids the pipeline's state records. */
  readonly recorded: ReadonlySet<string>;
  /** Those that count as done (currentCompletions: the one recorded under each slot). */
  readonly done: ReadonlySet<string>;
  /** Slots with a completion recorded: a pending step under one changes what was deployed. */
  readonly slotsRecorded: ReadonlySet<string>;
  /** Accounts of the config that do not exist yet (provisioned after sync-accounts). */
  readonly missing: readonly string[];
  /** OUs that do not exist yet (their access grants come on a later run). */
  readonly pendingOus: readonly string[];
  /** Where the state was read, for the notes. */
  readonly stateLocation: string;
}): PlanSection {
  const pending = input.steps.filter((s) => !input.done.has(s.id));
  const listed = pending.filter((s) => !SUPPORTING.has(s.kind));
  const changes: SectionChange[] = listed.map((s) => {
    const before = s.slot !== undefined && input.slotsRecorded.has(s.slot);
    return {
      group: GROUPS[s.kind] ?? s.kind,
      symbol: before ? '~' : '+',
      target: s.label ?? s.id,
      reason: [before ? 'changed since the last pipeline run' : 'not provisioned yet', s.detail]
        .filter(Boolean)
        .join('; '),
    };
  });
  const accounts = new Set(listed.flatMap((s) => (s.accountId ? [s.accountId] : [])));
  const supporting = pending.length - listed.length;
  const notes = [
    `state: ${input.stateLocation} (${input.recorded.size} step(s) recorded)`,
    ...input.missing.map((key) => `${key}: not created yet; provisioned on the run after sync-accounts`),
    ...input.pendingOus.map((ou) => `OU ${ou} does not exist yet: its access grants come on a later run`),
    ...(supporting ? [`${supporting} supporting step(s) too (template uploads, waits, forward rules)`] : []),
  ];
  return section({
    kind: 'provisioning',
    title: 'Provisioning',
    summary: listed.length
      ? `${listed.length} of ${input.steps.length} step(s) to run in ${accounts.size} account(s)`
      : `no changes (${input.steps.length} step(s) done)`,
    changes,
    notes,
    apply: APPLY_PROVISIONING,
  });
}
