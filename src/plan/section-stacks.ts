import { type PlanSection, type SectionChange, section } from './sections.js';

/**
 * orgbridge's own stacks (the bootstrap: artifact buckets, event buses, handlers, forward rules,
 * stack sets) as the plan's `stacks` section. The entries are read from CloudFormation by
 * src/pipeline/stack-changes.ts: a stack whose template and parameters are the ones orgbridge
 * renders is unchanged; otherwise a change set says which resources would change.
 */
export interface StackResourceChange {
  /** CloudFormation's ResourceChange.Action: Add, Modify, Remove, Import, Dynamic. */
  readonly action: string;
  readonly logicalId: string;
  readonly type: string;
  /** For Modify: True, False or Conditional. */
  readonly replacement?: string;
}

export interface StackPlanEntry {
  readonly template: string;
  readonly stackName: string;
  readonly accountKey: string;
  readonly accountId: string;
  readonly region: string;
  readonly change: 'create' | 'update' | 'unchanged' | 'not-planned';
  readonly resources: readonly StackResourceChange[];
  /** Why the stack could not be planned (`not-planned`), e.g. an update in progress. */
  readonly reason?: string;
  /** Signs the stack was changed outside orgbridge. */
  readonly drift: readonly string[];
}

export interface ArtifactUpload {
  readonly bucket: string;
  readonly key: string;
  readonly bytes: number;
}

export const APPLY_STACKS = 'orgbridge run --action bootstrap --execute';

const RESOURCE_MARK: Readonly<Record<string, string>> = { Add: '+', Remove: '-', Modify: '~' };

/** One line per resource, `diff`-style so a Markdown ```diff block colours them. */
export function resourceChangeLines(resources: readonly StackResourceChange[]): string[] {
  return resources.map(
    (r) =>
      `${RESOURCE_MARK[r.action] ?? '!'} ${r.logicalId} (${r.type})${r.replacement && r.replacement !== 'False' ? ` replacement: ${r.replacement}` : ''}`,
  );
}

export const stackWhere = (s: Pick<StackPlanEntry, 'stackName' | 'accountKey' | 'accountId' | 'region'>) =>
  `${s.stackName} in ${s.accountKey} (${s.accountId}) ${s.region}`;

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

export function stacksSection(input: {
  readonly stacks: readonly StackPlanEntry[];
  readonly uploads: readonly ArtifactUpload[];
  /** What the bootstrap would do about StackSets trusted access, e.g. activate it. */
  readonly trustedAccess?: readonly string[];
  readonly notes?: readonly string[];
}): PlanSection {
  const changes: SectionChange[] = (input.trustedAccess ?? []).map((line) => ({
    group: 'StackSets trusted access',
    symbol: '*',
    target: line.replace(/^would /, ''),
  }));
  for (const s of input.stacks) {
    if (s.change !== 'create' && s.change !== 'update') continue;
    const byAction = new Map<string, number>();
    for (const r of s.resources) byAction.set(r.action, (byAction.get(r.action) ?? 0) + 1);
    changes.push({
      group: s.change === 'create' ? 'create stack' : 'update stack',
      symbol: s.change === 'create' ? '+' : '~',
      target: `${stackWhere(s)} (${s.template})`,
      reason:
        [...byAction].map(([action, n]) => `${n} ${action}`).join(', ') || 'template or parameters change',
      diff: resourceChangeLines(s.resources),
    });
  }
  for (const u of input.uploads) {
    changes.push({
      group: 'upload artifact',
      symbol: '+',
      target: `s3://${u.bucket}/${u.key} (${u.bytes} bytes)`,
    });
  }
  const created = input.stacks.filter((s) => s.change === 'create').length;
  const updated = input.stacks.filter((s) => s.change === 'update').length;
  const unchanged = input.stacks.filter((s) => s.change === 'unchanged').length;
  const notPlanned = input.stacks.filter((s) => s.change === 'not-planned');
  const parts = [
    created ? `${count(created, 'stack')} to create` : '',
    updated ? `${count(updated, 'stack')} to update` : '',
    input.uploads.length ? `${count(input.uploads.length, 'artifact')} to upload` : '',
    input.trustedAccess?.length ? 'trusted access to activate' : '',
  ].filter(Boolean);
  return section({
    kind: 'stacks',
    title: "orgbridge's stacks",
    summary: `${parts.join(', ') || 'no changes'} (${unchanged} unchanged)`,
    changes,
    drift: input.stacks.flatMap((s) => s.drift.map((detail) => ({ target: stackWhere(s), detail }))),
    warnings: notPlanned.map((s) => ({
      code: 'PLAN_STACK_NOT_PLANNED',
      message: `${stackWhere(s)}: ${s.reason ?? 'not planned'}`,
    })),
    notes: [...(input.notes ?? [])],
    apply: APPLY_STACKS,
    plan: { stacks: input.stacks, uploads: input.uploads },
  });
}
