import { z } from 'zod';
import type { PolicyDocument, PolicyLimits, PolicyType } from '../config/model.js';
import { FULL_AWS_ACCESS, policiesPerTarget, policyMaxChars } from '../config/policies.js';
import {
  computeEffectivePolicy,
  type InheritanceDiagnostic,
  policyLevels,
} from '../config/policy-inheritance.js';

/**
 * The organization-policy plan: desired policies (files under `policies/<type>/<OU>/`) against
 * what Organizations has, as create/update/attach/detach/delete actions so each OU has exactly
 * its files' policies of each type. Pure: the observing and applying happen in
 * src/handlers/policies.
 *
 * orgbridge only ever changes policies it created: they are named `orgbridge-<type>-<name>` AND
 * tagged `orgbridge:managed=true`. Policies made by hand (or by Control Tower) stay attached,
 * count against the per-target quota, and are listed, never detached or deleted; FullAWSAccess
 * included, so an OU never loses its last SCP through orgbridge.
 */
export const POLICIES_PLAN_VERSION = 1;
export const MANAGED_POLICY_TAG = 'orgbridge:managed';
export const POLICY_TYPES_ORDER: readonly PolicyType[] = ['scp', 'tag', 'backup'];
export const AWS_POLICY_TYPE = {
  scp: 'SERVICE_CONTROL_POLICY',
  tag: 'TAG_POLICY',
  backup: 'BACKUP_POLICY',
} as const satisfies Record<PolicyType, string>;

const Type = z.enum(['scp', 'tag', 'backup']);

/** Organizations policy names are at most 128 characters. */
export function awsPolicyName(type: PolicyType, name: string): string {
  return `orgbridge-${type}-${name}`.slice(0, 128);
}

export const ObservedPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  type: Type,
  awsManaged: z.boolean(),
  /** Created by orgbridge: the name prefix and the `orgbridge:managed` tag. */
  managed: z.boolean(),
  /** Content, read for managed policies only (to compare). */
  content: z.string().optional(),
  /** Description; orgbridge's carries a stamp of the content it wrote (src/plan/policy-drift.ts). */
  description: z.string().optional(),
  /** OU paths it is attached to (managed policies only). */
  targets: z.array(z.string()),
});
export type ObservedPolicy = z.infer<typeof ObservedPolicySchema>;

export const ObservedPoliciesSchema = z.object({
  rootId: z.string(),
  /** Policy types enabled on the root. */
  enabledTypes: z.array(Type),
  /** Every policy of the synced types. */
  policies: z.array(ObservedPolicySchema),
  /** OU path -> id, for the OUs the plan looks at; an OU missing here does not exist (yet). */
  ous: z.record(z.string(), z.string()),
  /** OU path -> ids of every policy attached to it (managed or not), for the OUs in `ous`. */
  attached: z.record(z.string(), z.array(z.string())),
});
export type ObservedPolicies = z.infer<typeof ObservedPoliciesSchema>;

const Base = { type: Type, name: z.string(), awsName: z.string() };
export const PolicyActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('enable-policy-type'), type: Type, rootId: z.string() }),
  z.object({
    action: z.literal('create-policy'),
    ...Base,
    file: z.string(),
    content: z.string(),
    chars: z.number(),
  }),
  z.object({
    action: z.literal('update-policy'),
    ...Base,
    policyId: z.string(),
    file: z.string(),
    content: z.string(),
    chars: z.number(),
    previousChars: z.number(),
    /** Accounts under every OU the policy stays attached to. */
    accounts: z.number().optional(),
  }),
  z.object({
    action: z.literal('attach-policy'),
    ...Base,
    /** Undefined when the policy is created by this plan (its id is known after). */
    policyId: z.string().optional(),
    ou: z.string(),
    ouId: z.string(),
    accounts: z.number().optional(),
  }),
  z.object({
    action: z.literal('detach-policy'),
    ...Base,
    policyId: z.string(),
    ou: z.string(),
    ouId: z.string(),
    accounts: z.number().optional(),
  }),
  z.object({ action: z.literal('delete-policy'), ...Base, policyId: z.string() }),
]);
export type PolicyAction = z.infer<typeof PolicyActionSchema>;

export const PolicyProblemSchema = z.object({
  code: z.enum([
    'POLICY_TOO_LARGE',
    'POLICY_TOO_MANY_ON_TARGET',
    'POLICY_LAST_SCP',
    'POLICY_NAME_TAKEN',
    'POLICY_OU_MISSING',
  ]),
  message: z.string(),
  /** Blocking problems stop `--execute`; the others are shown and their actions left out. */
  blocking: z.boolean(),
});
export type PolicyProblem = z.infer<typeof PolicyProblemSchema>;

export const PolicyPlanSchema = z.object({
  version: z.literal(POLICIES_PLAN_VERSION),
  types: z.array(Type),
  actions: z.array(PolicyActionSchema),
  problems: z.array(PolicyProblemSchema),
  /** Operators AWS would ignore when merging tag/backup policies (see effective-policy). */
  warnings: z.array(z.string()),
  /** Attached policies orgbridge did not create, left alone: `ou: name`. */
  unmanaged: z.array(z.string()),
});
export type PolicyPlan = z.infer<typeof PolicyPlanSchema>;

export interface PolicyPlanInput {
  readonly desired: readonly PolicyDocument[];
  readonly observed: ObservedPolicies;
  readonly limits: PolicyLimits;
  /** The policy types to sync (others are left alone, e.g. backup on the emulator). */
  readonly types: readonly PolicyType[];
  /** Accounts in (or below) an OU; leave out when unknown (the plan then shows no counts). */
  readonly accountsUnder?: (ou: string) => number;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export function planPolicies(input: PolicyPlanInput): PolicyPlan {
  const { observed, limits } = input;
  const actions: PolicyAction[] = [];
  const problems: PolicyProblem[] = [];
  const warnings = new Set<string>();
  const unmanaged = new Set<string>();
  const policiesById = new Map(observed.policies.map((p) => [p.id, p]));
  const accounts = (ous: Iterable<string>) => {
    if (!input.accountsUnder) return undefined;
    let n = 0;
    for (const ou of ous) n += input.accountsUnder(ou);
    return n;
  };

  for (const type of input.types) {
    const desired = input.desired.filter((d) => d.type === type);
    const observedOfType = observed.policies.filter((p) => p.type === type);
    if (desired.length > 0 && !observed.enabledTypes.includes(type)) {
      actions.push({ action: 'enable-policy-type', type, rootId: observed.rootId });
    }

    // One AWS policy per (type, name); the DSL guarantees identical content under every OU.
    const groups = new Map<string, PolicyDocument[]>();
    for (const d of desired) groups.set(d.name, [...(groups.get(d.name) ?? []), d]);

    const wantedAt = new Map<string, Set<string>>(); // OU -> awsNames wanted there
    const managedByAwsName = new Map(observedOfType.filter((p) => p.managed).map((p) => [p.name, p]));
    for (const [name, docs] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const doc = docs[0] as PolicyDocument;
      const awsName = awsPolicyName(type, name);
      const max = policyMaxChars(type, limits);
      if (doc.content.length > max) {
        problems.push({
          code: 'POLICY_TOO_LARGE',
          message: `${doc.file}: ${doc.content.length} characters after minifying, over the ${type} limit of ${max}`,
          blocking: true,
        });
      }
      for (const d of docs) {
        const set = wantedAt.get(d.organization_unit) ?? new Set();
        set.add(awsName);
        wantedAt.set(d.organization_unit, set);
      }
      const existing = managedByAwsName.get(awsName);
      const taken = observedOfType.find((p) => p.name === awsName && !p.managed);
      if (!existing && taken) {
        problems.push({
          code: 'POLICY_NAME_TAKEN',
          message: `a ${type} policy named ${awsName} (${taken.id}) exists but orgbridge did not create it; rename or delete it, or tag it ${MANAGED_POLICY_TAG}=true to adopt it`,
          blocking: true,
        });
        continue;
      }
      if (!existing) {
        actions.push({
          action: 'create-policy',
          type,
          name,
          awsName,
          file: doc.file,
          content: doc.content,
          chars: doc.content.length,
        });
      } else if (existing.content !== doc.content) {
        actions.push({
          action: 'update-policy',
          type,
          name,
          awsName,
          policyId: existing.id,
          file: doc.file,
          content: doc.content,
          chars: doc.content.length,
          previousChars: existing.content?.length ?? 0,
          ...optional(
            'accounts',
            accounts(new Set([...existing.targets, ...docs.map((d) => d.organization_unit)])),
          ),
        });
      }
    }

    // Attachments, OU by OU, in file-name order (the order tag/backup policies merge in).
    const ous = new Set([
      ...wantedAt.keys(),
      ...observedOfType.filter((p) => p.managed).flatMap((p) => p.targets),
    ]);
    for (const ou of [...ous].sort()) {
      const ouId = observed.ous[ou];
      const wanted = wantedAt.get(ou) ?? new Set<string>();
      if (ouId === undefined) {
        if (wanted.size > 0) {
          problems.push({
            code: 'POLICY_OU_MISSING',
            message: `OU ${ou} does not exist yet; its ${type} policies are attached on the next run (run sync-accounts first)`,
            blocking: false,
          });
        }
        continue;
      }
      const attachedHere = (observed.attached[ou] ?? [])
        .map((id) => policiesById.get(id))
        .filter((p): p is ObservedPolicy => p !== undefined && p.type === type);
      for (const p of attachedHere) if (!p.managed) unmanaged.add(`${ou}: ${p.name}`);
      const attachedNames = new Set(attachedHere.map((p) => p.name));
      const count = accounts([ou]);
      const toAttach = [...wanted].filter((n) => !attachedNames.has(n)).sort();
      for (const awsName of toAttach) {
        const name = [...groups.keys()].find((n) => awsPolicyName(type, n) === awsName) as string;
        const policyId = managedByAwsName.get(awsName)?.id;
        if (observedOfType.some((p) => p.name === awsName && !p.managed)) continue; // POLICY_NAME_TAKEN
        actions.push({
          action: 'attach-policy',
          type,
          name,
          awsName,
          ...optional('policyId', policyId),
          ou,
          ouId,
          ...optional('accounts', count),
        });
      }
      const toDetach = attachedHere.filter((p) => p.managed && !wanted.has(p.name)).sort(byName);
      const after = attachedHere.length + toAttach.length - toDetach.length;
      for (const p of toDetach) {
        if (type === 'scp' && after < 1) {
          problems.push({
            code: 'POLICY_LAST_SCP',
            message: `not detaching ${p.name} from ${ou}: it is the OU's last SCP and Organizations requires one (attach FullAWSAccess or another SCP first)`,
            blocking: false,
          });
          continue;
        }
        actions.push({
          action: 'detach-policy',
          type,
          name: p.name.replace(`orgbridge-${type}-`, ''),
          awsName: p.name,
          policyId: p.id,
          ou,
          ouId,
          ...optional('accounts', count),
        });
      }
      const max = policiesPerTarget(type, limits);
      if (after > max) {
        const names = [...attachedHere.filter((p) => !toDetach.includes(p)).map((p) => p.name), ...toAttach];
        problems.push({
          code: 'POLICY_TOO_MANY_ON_TARGET',
          message: `${ou} would have ${after} ${type} policies (${names.join(', ')}), over the limit of ${max}${type === 'scp' ? ` (${FULL_AWS_ACCESS} counts)` : ''}`,
          blocking: true,
        });
      }
    }

    // Managed policies no file wants any more: deleted once detached from every OU above.
    for (const p of observedOfType.filter(
      (o) => o.managed && !desired.some((d) => awsPolicyName(type, d.name) === o.name),
    )) {
      const detached = new Set(
        actions.flatMap((a) => (a.action === 'detach-policy' && a.policyId === p.id ? [a.ou] : [])),
      );
      if (p.targets.every((ou) => detached.has(ou))) {
        actions.push({
          action: 'delete-policy',
          type,
          name: p.name.replace(`orgbridge-${type}-`, ''),
          awsName: p.name,
          policyId: p.id,
        });
      }
    }

    if (type !== 'scp') {
      for (const ou of [...wantedAt.keys()].sort()) {
        for (const d of computeEffectivePolicy(policyLevels(desired, type, ou)).diagnostics) {
          warnings.add(formatDiagnostic(type, d));
        }
      }
    }
  }
  const order: PolicyAction['action'][] = [
    'enable-policy-type',
    'create-policy',
    'update-policy',
    'attach-policy',
    'detach-policy',
    'delete-policy',
  ];
  actions.sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action));
  return {
    version: POLICIES_PLAN_VERSION,
    types: [...input.types],
    actions,
    problems,
    warnings: [...warnings],
    unmanaged: [...unmanaged].sort(),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function formatDiagnostic(type: PolicyType, d: InheritanceDiagnostic): string {
  return `${type} policy ${d.policy} on ${d.target}: ${d.message} [${d.code}]`;
}

/** Accounts in or below each OU of the config, for the plan's "accounts affected". */
export function accountsUnderFrom(
  accounts: readonly { readonly organization_unit: string }[],
): (ou: string) => number {
  const direct = new Map<string, number>();
  for (const a of accounts) direct.set(a.organization_unit, (direct.get(a.organization_unit) ?? 0) + 1);
  return (ou) => {
    let n = 0;
    for (const [path, count] of direct) if (path === ou || path.startsWith(`${ou}/`)) n += count;
    return n;
  };
}

const SYMBOL: Record<PolicyAction['action'], string> = {
  'enable-policy-type': '*',
  'create-policy': '+',
  'update-policy': '~',
  'attach-policy': '>',
  'detach-policy': '<',
  'delete-policy': '-',
};

const affected = (n: number | undefined) =>
  n === undefined ? '' : ` (${n} account${n === 1 ? '' : 's'} affected)`;

/** Plain text, one line per change, grouped by action with counts. */
export function renderPolicyPlan(plan: PolicyPlan): string {
  const lines: string[] = [];
  const counts = new Map<string, number>();
  for (const a of plan.actions) counts.set(a.action, (counts.get(a.action) ?? 0) + 1);
  lines.push(
    plan.actions.length === 0
      ? `policies (${plan.types.join(', ')}): no changes`
      : `policies (${plan.types.join(', ')}): ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')}`,
  );
  for (const a of plan.actions) {
    const s = SYMBOL[a.action];
    switch (a.action) {
      case 'enable-policy-type':
        lines.push(`  ${s} enable ${AWS_POLICY_TYPE[a.type]} on the root`);
        break;
      case 'create-policy':
        lines.push(`  ${s} create ${a.type} ${a.awsName} from ${a.file} (${a.chars} chars)`);
        break;
      case 'update-policy':
        lines.push(
          `  ${s} update ${a.type} ${a.awsName} from ${a.file} (${a.previousChars} -> ${a.chars} chars)${affected(a.accounts)}`,
        );
        break;
      case 'attach-policy':
        lines.push(`  ${s} attach ${a.type} ${a.awsName} to ${a.ou}${affected(a.accounts)}`);
        break;
      case 'detach-policy':
        lines.push(`  ${s} detach ${a.type} ${a.awsName} from ${a.ou}${affected(a.accounts)}`);
        break;
      case 'delete-policy':
        lines.push(`  ${s} delete ${a.type} ${a.awsName}`);
        break;
    }
  }
  for (const p of plan.problems) lines.push(`  ${p.blocking ? 'error' : 'note'}: ${p.message} [${p.code}]`);
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  if (plan.unmanaged.length > 0)
    lines.push(`  left alone (not created by orgbridge): ${plan.unmanaged.join('; ')}`);
  return lines.join('\n');
}
