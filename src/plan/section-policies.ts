import type { PolicyDocument } from '../config/model.js';
import { type ErrorCode, isErrorCode } from '../error-codes.js';
import { unifiedJsonDiff } from './json-diff.js';
import {
  AWS_POLICY_TYPE,
  type ObservedPolicies,
  type PolicyAction,
  type PolicyPlan,
  renderPolicyPlan,
} from './policies.js';
import { type PolicyDrift, policyDrift } from './policy-drift.js';
import { type PlanSection, type SectionChange, type SectionNotice, section } from './sections.js';

/**
 * The policy plan (src/plan/policies.ts) as the organization plan's `policies` section, with a
 * JSON diff of every document a change writes: the policy as AWS has it against the file.
 * Rendering only: what to change is decided by the planner.
 */
export const APPLY_POLICIES = 'orgbridge run --action sync-policies --execute';

const NO_DOCUMENT = '(no policy)';
/** Indent of the diff lines under an action line in the plan text (handler reply, CLI). */
const DIFF_INDENT = '      ';

const GROUP: Readonly<Record<PolicyAction['action'], string>> = {
  'enable-policy-type': 'enable policy type',
  'create-policy': 'create policy',
  'update-policy': 'update policy',
  'attach-policy': 'attach policy',
  'detach-policy': 'detach policy',
  'delete-policy': 'delete policy',
};

/** The diff of the document an action writes or deletes; empty for attachments. */
export function policyActionDiff(action: PolicyAction, observed: ObservedPolicies | undefined): string[] {
  const previous = (id: string) => observed?.policies.find((p) => p.id === id)?.content;
  switch (action.action) {
    case 'create-policy':
      return unifiedJsonDiff(undefined, action.content, { from: NO_DOCUMENT, to: action.file });
    case 'update-policy':
      return unifiedJsonDiff(previous(action.policyId), action.content, {
        from: `AWS ${action.policyId}`,
        to: action.file,
      });
    case 'delete-policy':
      return unifiedJsonDiff(previous(action.policyId), undefined, {
        from: `AWS ${action.policyId}`,
        to: NO_DOCUMENT,
      });
    default:
      return [];
  }
}

/**
 * renderPolicyPlan's text with each action's diff indented below its line: what `sync-policies`
 * prints and what the SYNC_SCPS handler answers with. renderPolicyPlan writes a header line,
 * then one line per action in plan order, then problems and warnings.
 */
export function renderPolicyPlanWithDiffs(plan: PolicyPlan, observed: ObservedPolicies | undefined): string {
  const lines = renderPolicyPlan(plan).split('\n');
  const out = [lines[0] as string];
  plan.actions.forEach((action, i) => {
    out.push(lines[i + 1] as string);
    for (const d of policyActionDiff(action, observed)) out.push(`${DIFF_INDENT}${d}`);
  });
  out.push(...lines.slice(plan.actions.length + 1));
  return out.join('\n');
}

const affected = (n: number | undefined) =>
  n === undefined ? undefined : `${n} account${n === 1 ? '' : 's'} affected`;

function change(action: PolicyAction, observed: ObservedPolicies | undefined): SectionChange {
  const diff = policyActionDiff(action, observed);
  const common = { group: GROUP[action.action], ...(diff.length ? { diff } : {}) };
  switch (action.action) {
    case 'enable-policy-type':
      return {
        ...common,
        symbol: '*',
        target: `${AWS_POLICY_TYPE[action.type]} on the root (${action.rootId})`,
      };
    case 'create-policy':
      return { ...common, symbol: '+', target: `${action.type} ${action.awsName} from ${action.file}` };
    case 'update-policy': {
      const reason = affected(action.accounts);
      return {
        ...common,
        symbol: '~',
        target: `${action.type} ${action.awsName} (${action.policyId}) from ${action.file}`,
        ...(reason ? { reason } : {}),
      };
    }
    case 'attach-policy':
    case 'detach-policy': {
      const reason = affected(action.accounts);
      const where = action.action === 'attach-policy' ? 'to' : 'from';
      return {
        ...common,
        symbol: action.action === 'attach-policy' ? '>' : '<',
        target: `${action.type} ${action.awsName} ${where} ${action.ou}`,
        ...(reason ? { reason } : {}),
      };
    }
    case 'delete-policy':
      return { ...common, symbol: '-', target: `${action.type} ${action.awsName} (${action.policyId})` };
  }
}

/** `message [CODE]` -> a notice; lines without a code keep the whole text. */
function notice(text: string, fallbackCode: ErrorCode): SectionNotice {
  const m = text.match(/^(.*) \[([A-Z0-9_]+)\]$/);
  return m && isErrorCode(m[2])
    ? { code: m[2], message: m[1] as string }
    : { code: fallbackCode, message: text };
}

function summaryOf(types: readonly string[], changes: readonly SectionChange[]): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.group, (counts.get(c.group) ?? 0) + 1);
  const what = [...counts].map(([g, n]) => `${n} ${g}`).join(', ') || 'no changes';
  return `${what} (${types.join(', ')})`;
}

function driftEntry(d: PolicyDrift) {
  return { target: `${d.type} ${d.name} (${d.policyId})${d.ou ? ` on ${d.ou}` : ''}`, detail: d.detail };
}

/** The section from a plan made with management credentials: every change with its diff. */
export function policiesSection(input: {
  readonly plan: PolicyPlan;
  readonly observed: ObservedPolicies;
  readonly desired: readonly PolicyDocument[];
  /** What else the config says about policies: attached to accounts, declared unmanaged. */
  readonly drift?: Parameters<typeof policyDrift>[2];
  readonly notes?: readonly string[];
}): PlanSection {
  const { plan, observed } = input;
  const changes = plan.actions.map((a) => change(a, observed));
  const found = policyDrift(observed, input.desired, input.drift);
  // Attachments listed as drift are not repeated among the ones left alone.
  const attached = new Set(found.filter((d) => d.kind === 'attached').map((d) => `${d.ou}: ${d.name}`));
  const leftAlone = plan.unmanaged.filter((u) => !attached.has(u));
  return section({
    kind: 'policies',
    title: 'Organization policies',
    summary: summaryOf(plan.types, changes),
    changes,
    drift: found.map(driftEntry),
    blocked: plan.problems.filter((p) => p.blocking).map((p) => ({ code: p.code, message: p.message })),
    warnings: [
      ...plan.problems.filter((p) => !p.blocking).map((p) => ({ code: p.code, message: p.message })),
      ...plan.warnings.map((w) => notice(w, 'POLICY_WARNING')),
    ],
    notes: [
      ...(input.notes ?? []),
      ...(leftAlone.length ? [`left alone (not created by orgbridge): ${leftAlone.join('; ')}`] : []),
    ],
    apply: APPLY_POLICIES,
    plan,
  });
}

/**
 * The section from the SYNC_SCPS handler's answer (the cicd account cannot read policies): the
 * management account planned and rendered the text (renderPolicyPlanWithDiffs); each action line
 * becomes a change and the indented lines below it its diff.
 */
export function policiesSectionFromText(input: {
  readonly text: string;
  readonly types: readonly string[];
  readonly notes?: readonly string[];
}): PlanSection {
  const changes: SectionChange[] = [];
  const warnings: SectionNotice[] = [];
  const notes: string[] = [...(input.notes ?? [])];
  for (const line of input.text.split('\n').slice(1)) {
    const diffLine = line.startsWith(DIFF_INDENT) ? line.slice(DIFF_INDENT.length) : undefined;
    const last = changes.at(-1);
    if (diffLine !== undefined && last) {
      changes[changes.length - 1] = { ...last, diff: [...(last.diff ?? []), diffLine] };
      continue;
    }
    const action = line.match(/^ {2}([*+~><-]) (\w+) (.*)$/);
    if (action) {
      const verb = action[2] as string;
      changes.push({
        group: verb === 'enable' ? 'enable policy type' : `${verb} policy`,
        symbol: action[1] as string,
        target: action[3] as string,
      });
      continue;
    }
    const other = line.match(/^ {2}(note|warning|error): (.*)$/);
    if (other) warnings.push(notice(other[2] as string, 'POLICY_WARNING'));
    else if (line.trim()) notes.push(line.trim());
  }
  return section({
    kind: 'policies',
    title: 'Organization policies',
    summary: summaryOf(input.types, changes),
    changes,
    warnings,
    notes,
    apply: APPLY_POLICIES,
  });
}
