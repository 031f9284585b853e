import * as z from 'zod';
import type { PolicyDocument, PolicyLimits, PolicyType } from '../config/model.js';
import { awsPolicyName, FULL_AWS_ACCESS, policiesPerTarget, policyMaxChars } from '../config/policies.js';
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

export const ObservedPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  type: Type,
  awsManaged: z.boolean(),
  /** Created by orgbridge: the name prefix and the `orgbridge:managed` tag. */
  managed: z.boolean(),
  /** Content, read for the policies the config describes (to compare). */
  content: z.string().optional(),
  /** Description; orgbridge's carries a stamp of the content it wrote (src/plan/policy-drift.ts). */
  description: z.string().optional(),
  /** Target keys it is attached to: OU paths (`''` the root) and `accountTarget(id)`. */
  targets: z.array(z.string()),
});
export type ObservedPolicy = z.infer<typeof ObservedPolicySchema>;

export const ObservedPoliciesSchema = z.object({
  rootId: z.string(),
  /** Policy types enabled on the root. */
  enabledTypes: z.array(Type),
  /** Every policy of the synced types. */
  policies: z.array(ObservedPolicySchema),
  /** OU path -> id (the root as `''`); an OU missing here does not exist (yet). */
  ous: z.record(z.string(), z.string()),
  /** Target key -> ids of every policy of the synced types attached to it. */
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
    /** The target as shown: an OU path, `Root`, or `account <key>`. */
    ou: z.string(),
    /** The target's id (root, OU or account): Organizations' TargetId. */
    ouId: z.string(),
    /** Set when the target is an account: its id. */
    account: z.string().optional(),
    accounts: z.number().optional(),
  }),
  z.object({
    action: z.literal('detach-policy'),
    ...Base,
    policyId: z.string(),
    ou: z.string(),
    ouId: z.string(),
    account: z.string().optional(),
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
  /** Existing policies the config describes by name, managed without a marker: `type name`. */
  adopted: z.array(z.string()).optional(),
});
export type PolicyPlan = z.infer<typeof PolicyPlanSchema>;

export interface PolicyPlanInput {
  /** Policies attached to OUs, `organization_unit: ''` being the root. */
  readonly desired: readonly PolicyDocument[];
  /** Policies attached to accounts, by account id. */
  readonly accountDesired?: readonly AccountAttachment[];
  readonly observed: ObservedPolicies;
  readonly limits: PolicyLimits;
  /** The policy types to sync (others are left alone, e.g. backup on the emulator). */
  readonly types: readonly PolicyType[];
  /** Accounts in (or below) an OU; leave out when unknown (the plan then shows no counts). */
  readonly accountsUnder?: (ou: string) => number;
  /**
   * The targets the config describes (target keys: OU paths, `''` the root, and
   * `accountTarget(id)`), `unmanaged:` left out. Policies orgbridge adopted, FullAWSAccess and,
   * when `authoritative`, policies the config does not describe are attached or detached only
   * there. Absent: only orgbridge's own policies are ever detached (the SYNC_SCPS handler).
   */
  readonly scope?: PolicyScope;
}

/** A policy of the config attached to one account. */
export interface AccountAttachment {
  readonly type: PolicyType;
  readonly name: string;
  readonly file: string;
  readonly content: string;
  readonly accountId: string;
  /** How the plan names the account, e.g. `account payments-api`. */
  readonly label: string;
}

export interface PolicyScope {
  readonly targets: readonly string[];
  /** Target key -> how the plan names it (accounts: `account <key>`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Targets never touched, not even by orgbridge's own policies (`unmanaged:`). */
  readonly unmanaged?: (target: string) => boolean;
  /** `policies.scp.FullAWSAccess` is declared: FullAWSAccess is attached on every target but these. */
  readonly fullAwsAccessDetached?: readonly string[];
  /** organization.authoritative: a policy of a synced type the config does not describe is detached. */
  readonly authoritative?: boolean;
  /** Policy ids never adopted, attached or detached (`unmanaged.policies`). */
  readonly unmanagedPolicies?: readonly string[];
}

/** Target key of an account: OU paths never start with `/`, so the two cannot collide. */
export function accountTarget(accountId: string): string {
  return `/account/${accountId}`;
}

function accountOfTarget(target: string): string | undefined {
  return target.startsWith('/account/') ? target.slice('/account/'.length) : undefined;
}

/** One attachment the config wants: a policy document on a target key. */
interface Wanted {
  readonly type: PolicyType;
  readonly name: string;
  readonly file: string;
  readonly content: string;
  readonly target: string;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** How a policy of the config exists in AWS (or not yet). */
interface Resolution {
  readonly awsName: string;
  readonly existing?: ObservedPolicy;
  /** An existing policy the config describes by its name: managed from now on, no marker. */
  readonly adopted: boolean;
}

/**
 * Which AWS policy a policy of the config is, in order: the one orgbridge created
 * (`orgbridge-<type>-<name>`, tagged), an existing policy with exactly the config's name (adopted:
 * an imported organization's policies keep their names and need no marker), else none (it is
 * created as `orgbridge-<type>-<name>`), unless that name is taken by a policy orgbridge did not
 * create (POLICY_NAME_TAKEN).
 */
export function resolveDesiredPolicy(
  type: PolicyType,
  name: string,
  observedOfType: readonly ObservedPolicy[],
): Resolution | { readonly taken: ObservedPolicy } {
  const awsName = awsPolicyName(type, name);
  const managed = observedOfType.find((p) => p.managed && p.name === awsName);
  if (managed) return { awsName, existing: managed, adopted: false };
  const same = observedOfType.find((p) => !p.awsManaged && !p.managed && p.name === name);
  if (same) return { awsName: same.name, existing: same, adopted: true };
  const taken = observedOfType.find((p) => p.name === awsName && !p.managed);
  return taken ? { taken } : { awsName, adopted: false };
}

/** Content as Organizations compares it: a JSON document, whitespace aside. */
export function normalizePolicyContent(content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  try {
    return JSON.stringify(JSON.parse(content));
  } catch {
    return content;
  }
}

/** What the whole plan collects, across policy types. */
interface PlanOutput {
  readonly actions: PolicyAction[];
  readonly problems: PolicyProblem[];
  readonly warnings: Set<string>;
  readonly unmanaged: Set<string>;
  readonly adopted: Set<string>;
}

/** The inputs every stage reads, with the lookups derived from them once. */
interface PlanContext {
  readonly input: PolicyPlanInput;
  readonly out: PlanOutput;
  readonly policiesById: ReadonlyMap<string, ObservedPolicy>;
  readonly inScope: ReadonlySet<string>;
  readonly untouchable: (target: string) => boolean;
  readonly labelOf: (target: string) => string;
  /** Accounts under the targets, when the input can count them (the plan shows the blast radius). */
  readonly accounts: (targets: Iterable<string>) => number | undefined;
  readonly targetIdOf: (target: string) => string | undefined;
}

/** One policy type's plan in progress: what the config wants where, and what the plan controls. */
interface TypePlan {
  readonly type: PolicyType;
  readonly observedOfType: readonly ObservedPolicy[];
  /** target -> AWS names wanted there */
  readonly wantedAt: Map<string, Set<string>>;
  /** AWS name -> config name and id (undefined until created) of the policies the config wants. */
  readonly wantedPolicies: Map<string, { name: string; policyId?: string }>;
  /** Policies whose attachments this plan decides, with where it may detach them. */
  readonly controlled: Map<string, (target: string) => boolean>;
  /** Targets of the config's policies, shown with what is attached there even if it stays. */
  readonly lookedAt: Set<string>;
  readonly want: (target: string, awsName: string) => void;
  /** Without a scope (SYNC_SCPS, which knows only the SCP files), nothing but orgbridge's own
   * policies is ever detached: the sender did not say which targets the config describes. */
  readonly scoped: (target: string) => boolean;
}

const ACTION_ORDER: readonly PolicyAction['action'][] = [
  'enable-policy-type',
  'create-policy',
  'update-policy',
  'attach-policy',
  'detach-policy',
  'delete-policy',
];

export function planPolicies(input: PolicyPlanInput): PolicyPlan {
  const { observed, scope } = input;
  const out: PlanOutput = {
    actions: [],
    problems: [],
    warnings: new Set(),
    unmanaged: new Set(),
    adopted: new Set(),
  };
  const ctx: PlanContext = {
    input,
    out,
    policiesById: new Map(observed.policies.map((p) => [p.id, p])),
    inScope: new Set(scope?.targets ?? []),
    untouchable: scope?.unmanaged ?? (() => false),
    labelOf: (target) =>
      scope?.labels?.[target] ??
      (accountOfTarget(target) !== undefined
        ? `account ${accountOfTarget(target)}`
        : target === ''
          ? 'Root'
          : target),
    accounts: (targets) => {
      if (!input.accountsUnder) return undefined;
      let n = 0;
      for (const t of targets) n += accountOfTarget(t) !== undefined ? 1 : input.accountsUnder(t);
      return n;
    },
    targetIdOf: (target) => accountOfTarget(target) ?? observed.ous[target],
  };
  const leftAlone = new Set(scope?.unmanagedPolicies ?? []);
  const wantedAll: Wanted[] = [
    ...input.desired.map((d) => ({ ...d, target: d.organization_unit })),
    ...(input.accountDesired ?? []).map((d) => ({ ...d, target: accountTarget(d.accountId) })),
  ];

  for (const type of input.types) {
    const desired = wantedAll.filter((d) => d.type === type);
    const observedOfType = observed.policies.filter((p) => p.type === type && !leftAlone.has(p.id));
    if (desired.length > 0 && !observed.enabledTypes.includes(type)) {
      out.actions.push({ action: 'enable-policy-type', type, rootId: observed.rootId });
    }
    const plan = newTypePlan(ctx, type, observedOfType);
    planDocuments(ctx, plan, desired);
    if (type === 'scp' && scope)
      controlFullAwsAccess(
        scope,
        observedOfType,
        ctx.inScope,
        plan.want,
        plan.wantedPolicies,
        plan.controlled,
      );
    if (scope?.authoritative) {
      // Policies the config does not describe: detached from what the config describes.
      for (const p of observedOfType)
        if (!p.awsManaged && !plan.controlled.has(p.id) && !plan.wantedPolicies.has(p.name))
          plan.controlled.set(p.id, plan.scoped);
    }
    planAttachments(ctx, plan);
    planDeletions(ctx, plan);
    if (type !== 'scp') inheritanceWarnings(input, type, out.warnings);
  }
  out.actions.sort((a, b) => ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action));
  return {
    version: POLICIES_PLAN_VERSION,
    types: [...input.types],
    actions: out.actions,
    problems: out.problems,
    warnings: [...out.warnings],
    unmanaged: [...out.unmanaged].sort(),
    ...(out.adopted.size > 0 ? { adopted: [...out.adopted].sort() } : {}),
  };
}

function newTypePlan(
  ctx: PlanContext,
  type: PolicyType,
  observedOfType: readonly ObservedPolicy[],
): TypePlan {
  const wantedAt = new Map<string, Set<string>>();
  const controlled = new Map<string, (target: string) => boolean>();
  const anywhere = (target: string) => !ctx.untouchable(target);
  for (const p of observedOfType) if (p.managed) controlled.set(p.id, anywhere);
  return {
    type,
    observedOfType,
    wantedAt,
    wantedPolicies: new Map(),
    controlled,
    lookedAt: new Set(),
    want: (target, awsName) => {
      const set = wantedAt.get(target) ?? new Set();
      set.add(awsName);
      wantedAt.set(target, set);
    },
    scoped: (target) => ctx.input.scope !== undefined && ctx.inScope.has(target),
  };
}

/** Creates and updates: one AWS policy per (type, name); the DSL guarantees identical content on every target. */
function planDocuments(ctx: PlanContext, plan: TypePlan, desired: readonly Wanted[]): void {
  const { type, observedOfType } = plan;
  const { actions, problems } = ctx.out;
  const groups = new Map<string, Wanted[]>();
  for (const d of desired) groups.set(d.name, [...(groups.get(d.name) ?? []), d]);
  for (const [name, docs] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const doc = docs[0] as Wanted;
    const max = policyMaxChars(type, ctx.input.limits);
    if (doc.content.length > max) {
      problems.push({
        code: 'POLICY_TOO_LARGE',
        message: `${doc.file}: ${doc.content.length} characters after minifying, over the ${type} limit of ${max}`,
        blocking: true,
      });
    }
    const resolved = resolveDesiredPolicy(type, name, observedOfType);
    for (const d of docs) plan.lookedAt.add(d.target);
    if ('taken' in resolved) {
      problems.push({
        code: 'POLICY_NAME_TAKEN',
        message: `a ${type} policy named ${resolved.taken.name} (${resolved.taken.id}) exists but orgbridge did not create it; rename or delete it, or tag it ${MANAGED_POLICY_TAG}=true to adopt it`,
        blocking: true,
      });
      continue;
    }
    const { awsName, existing } = resolved;
    if (resolved.adopted && existing) {
      ctx.out.adopted.add(`${type} ${existing.name}`);
      plan.controlled.set(existing.id, plan.scoped);
    }
    plan.wantedPolicies.set(awsName, { name, ...optional('policyId', existing?.id) });
    for (const d of docs) plan.want(d.target, awsName);
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
    } else if (normalizePolicyContent(existing.content) !== doc.content) {
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
        ...optional('accounts', ctx.accounts(new Set([...existing.targets, ...docs.map((d) => d.target)]))),
      });
    }
  }
}

/** Attachments, target by target, in file-name order (the order tag/backup policies merge in). */
function planAttachments(ctx: PlanContext, plan: TypePlan): void {
  const targets = new Set([
    ...plan.lookedAt,
    ...plan.wantedAt.keys(),
    ...plan.observedOfType.filter((p) => plan.controlled.has(p.id)).flatMap((p) => p.targets),
  ]);
  for (const target of [...targets].sort()) planTarget(ctx, plan, target);
}

function planTarget(ctx: PlanContext, plan: TypePlan, target: string): void {
  const { type } = plan;
  const { actions, problems } = ctx.out;
  const targetId = ctx.targetIdOf(target);
  const wanted = plan.wantedAt.get(target) ?? new Set<string>();
  const label = ctx.labelOf(target);
  if (targetId === undefined) {
    if ([...wanted].some((n) => n !== FULL_AWS_ACCESS)) {
      problems.push({
        code: 'POLICY_OU_MISSING',
        message: `OU ${label} does not exist yet; its ${type} policies are attached on the next run (run sync-accounts first)`,
        blocking: false,
      });
    }
    return;
  }
  const attachedHere = (ctx.input.observed.attached[target] ?? [])
    .map((id) => ctx.policiesById.get(id))
    .filter((p): p is ObservedPolicy => p !== undefined && p.type === type);
  const detachable = (p: ObservedPolicy) => plan.controlled.get(p.id)?.(target) === true;
  for (const p of attachedHere)
    if (!detachable(p) && !wanted.has(p.name)) ctx.out.unmanaged.add(`${label}: ${p.name}`);
  const attachedNames = new Set(attachedHere.map((p) => p.name));
  const count = ctx.accounts([target]);
  const where = { ou: label, ouId: targetId, ...optional('account', accountOfTarget(target)) };
  const toAttach = [...wanted].filter((n) => !attachedNames.has(n)).sort();
  for (const awsName of toAttach) {
    const policy = plan.wantedPolicies.get(awsName) as { name: string; policyId?: string };
    actions.push({
      action: 'attach-policy',
      type,
      name: policy.name,
      awsName,
      ...optional('policyId', policy.policyId),
      ...where,
      ...optional('accounts', count),
    });
  }
  const toDetach = attachedHere.filter((p) => detachable(p) && !wanted.has(p.name)).sort(byName);
  const after = attachedHere.length + toAttach.length - toDetach.length;
  for (const p of toDetach) {
    if (type === 'scp' && after < 1) {
      problems.push({
        code: 'POLICY_LAST_SCP',
        message: `not detaching ${p.name} from ${label}: it is its last SCP and Organizations requires one (attach FullAWSAccess or another SCP first)`,
        blocking: false,
      });
      continue;
    }
    actions.push({
      action: 'detach-policy',
      type,
      name: p.managed ? p.name.replace(`orgbridge-${type}-`, '') : p.name,
      awsName: p.name,
      policyId: p.id,
      ...where,
      ...optional('accounts', count),
    });
  }
  const max = policiesPerTarget(type, ctx.input.limits);
  if (after > max) {
    const names = [...attachedHere.filter((p) => !toDetach.includes(p)).map((p) => p.name), ...toAttach];
    problems.push({
      code: 'POLICY_TOO_MANY_ON_TARGET',
      message: `${label} would have ${after} ${type} policies (${names.join(', ')}), over the limit of ${max}${type === 'scp' ? ` (${FULL_AWS_ACCESS} counts)` : ''}`,
      blocking: true,
    });
  }
}

/** Policies orgbridge created that no file wants any more: deleted once detached everywhere. */
function planDeletions(ctx: PlanContext, plan: TypePlan): void {
  const { type } = plan;
  const { actions } = ctx.out;
  for (const p of plan.observedOfType.filter((o) => o.managed && !plan.wantedPolicies.has(o.name))) {
    const detached = new Set(
      actions.flatMap((a) => (a.action === 'detach-policy' && a.policyId === p.id ? [a.ou] : [])),
    );
    if (p.targets.every((target) => detached.has(ctx.labelOf(target)))) {
      actions.push({
        action: 'delete-policy',
        type,
        name: p.name.replace(`orgbridge-${type}-`, ''),
        awsName: p.name,
        policyId: p.id,
      });
    }
  }
}

/** Tag and backup policies inherit along the OU tree; what the inheritance operators say about the config. */
function inheritanceWarnings(input: PolicyPlanInput, type: PolicyType, warnings: Set<string>): void {
  const ouDocs = input.desired.filter((d) => d.type === type);
  for (const ou of [...new Set(ouDocs.map((d) => d.organization_unit))].sort()) {
    for (const d of computeEffectivePolicy(policyLevels(ouDocs, type, ou)).diagnostics) {
      warnings.add(formatDiagnostic(type, d));
    }
  }
}

/**
 * FullAWSAccess, when the config declares it (`policies.scp.FullAWSAccess`): AWS attaches it to
 * every root, OU and account when SCPs are enabled
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html),
 * so the config only says where it is detached; everywhere else it is wanted, and restored if it
 * went missing. Undeclared, it is left alone as any policy orgbridge did not create.
 */
function controlFullAwsAccess(
  scope: PolicyScope,
  observedOfType: readonly ObservedPolicy[],
  inScope: ReadonlySet<string>,
  want: (target: string, awsName: string) => void,
  wantedPolicies: Map<string, { name: string; policyId?: string }>,
  controlled: Map<string, (target: string) => boolean>,
): void {
  if (!scope.fullAwsAccessDetached) return;
  const full = observedOfType.find((p) => p.awsManaged && p.name === FULL_AWS_ACCESS);
  if (!full) return;
  const detached = new Set(scope.fullAwsAccessDetached);
  for (const target of inScope) if (!detached.has(target)) want(target, full.name);
  wantedPolicies.set(full.name, { name: full.name, policyId: full.id });
  controlled.set(full.id, (target) => inScope.has(target));
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
  if (plan.adopted?.length)
    lines.push(
      `  managed by name (existing policies the config describes): ${plan.adopted.length} (${plan.adopted.slice(0, 5).join(', ')}${plan.adopted.length > 5 ? ', ...' : ''})`,
    );
  if (plan.unmanaged.length > 0)
    lines.push(`  left alone (not created by orgbridge): ${plan.unmanaged.join('; ')}`);
  return lines.join('\n');
}
