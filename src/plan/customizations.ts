import { createHash } from 'node:crypto';
import {
  type Customization,
  type CustomizationInstance,
  customizationInstances,
  dependencyOrder,
} from '../config/customizations.js';
import type { ResolvedAccount } from '../config/model.js';
import { resourceChangeLines, type StackResourceChange } from './section-stacks.js';
import { type PlanSection, type SectionChange, section } from './sections.js';

/**
 * The user's customization stacks (docs/customizations.md) as plain decisions: what the config
 * wants (customizationInstances) against what CloudFormation has. Pure: the pipeline reads the
 * stacks (their tags carry the template's content address and the customization), asks for
 * change sets only for `update`, and runs the decisions in `applyOrder`.
 */

/** Stack tag with the sha256 of the template the stack was last deployed from. */
export const TEMPLATE_HASH_TAG = 'orgbridge:template-sha256';
/** Stack tag naming the customization, so a stack whose definition was removed is still found. */
export const CUSTOMIZATION_TAG = 'orgbridge:customization';

/** Content address of a template in the cicd artifact bucket: the same text, the same key. */
export function customizationTemplateKey(c: Pick<Customization, 'name' | 'template_body'>): {
  key: string;
  sha256: string;
} {
  const sha256 = createHash('sha256').update(c.template_body, 'utf8').digest('hex');
  return { key: `customizations/${c.name}/${sha256}.template`, sha256 };
}

/**
 * The tags a customization stack is created and updated with: how a later plan recognizes the
 * template it runs (no change set for an unchanged stack) and the customization it belongs to.
 * CloudFormation propagates stack tags to the resources that support tagging
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html).
 */
export function customizationStackTags(
  c: Pick<Customization, 'name' | 'template_body'>,
): { Key: string; Value: string }[] {
  return [
    { Key: CUSTOMIZATION_TAG, Value: c.name },
    { Key: TEMPLATE_HASH_TAG, Value: customizationTemplateKey(c).sha256 },
  ];
}

/** A customization stack as CloudFormation reports it. */
export interface ObservedCustomizationStack {
  readonly customization: string;
  readonly stack_name: string;
  readonly account: string;
  readonly region: string;
  readonly template_sha256: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly termination_protection: boolean;
  /** DetectStackDrift's StackDriftStatus: DRIFTED means resources were changed by hand. */
  readonly drift_status?: string;
  readonly drifted_resources?: readonly string[];
  /** Why the drift status is not up to date (detection failed, still running, not allowed). */
  readonly drift_note?: string;
  /** CloudFormation resource changes of the change set, once the pipeline made one. */
  readonly resources?: readonly StackResourceChange[];
}

export type CustomizationAction = 'create' | 'update' | 'unchanged' | 'delete' | 'refused' | 'kept';

export interface CustomizationDecision {
  readonly action: CustomizationAction;
  readonly customization: string;
  readonly stack_name: string;
  readonly account: string;
  readonly region: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly template_key?: string;
  /** What changed (update), why a delete is refused or a stack kept. */
  readonly reasons: readonly string[];
  readonly drift: readonly string[];
  /** Why `drift` may be out of date. */
  readonly drift_note?: string;
  readonly resources: readonly StackResourceChange[];
}

export interface CustomizationPlanInput {
  readonly customizations: readonly Customization[];
  /** The active accounts (the morgue's are passed in `retired`). */
  readonly accounts: readonly ResolvedAccount[];
  /** Keys of accounts in the morgue: their stacks go unless the customization keeps them. */
  readonly retired?: ReadonlySet<string>;
  readonly observed: readonly ObservedCustomizationStack[];
}

const where = (s: { account: string; region: string; stack_name: string }) =>
  `${s.account}/${s.region}/${s.stack_name}`;

function sameParameters(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function driftOf(observed: ObservedCustomizationStack | undefined): string[] {
  if (observed?.drift_status !== 'DRIFTED') return [];
  const resources = observed.drifted_resources ?? [];
  return resources.length
    ? [...resources]
    : ['drift detection found resources that differ from the template'];
}

const driftNote = (observed: ObservedCustomizationStack | undefined) =>
  observed?.drift_note ? { drift_note: observed.drift_note } : {};

function wanted(instance: CustomizationInstance, c: Customization, observed?: ObservedCustomizationStack) {
  const { key, sha256 } = customizationTemplateKey(c);
  const reasons: string[] = [];
  if (observed) {
    if (observed.template_sha256 !== sha256) reasons.push('template');
    if (!sameParameters(instance.parameters, observed.parameters)) reasons.push('parameters');
    if (observed.termination_protection !== c.termination_protection) reasons.push('termination protection');
  }
  const action: CustomizationAction = !observed ? 'create' : reasons.length ? 'update' : 'unchanged';
  return {
    action,
    customization: c.name,
    stack_name: c.stack_name,
    account: instance.account,
    region: instance.region,
    parameters: instance.parameters,
    template_key: key,
    reasons,
    drift: driftOf(observed),
    ...driftNote(observed),
    resources: observed?.resources ?? [],
  };
}

/**
 * One decision per stack that is wanted or exists. A stack that exists but is no longer wanted
 * (target, customization or account removed) is deleted, unless termination protection is on
 * (refused, with the reason) or its account was retired and the customization keeps its stacks.
 */
export function planCustomizations(input: CustomizationPlanInput): CustomizationDecision[] {
  const byName = new Map(input.customizations.map((c) => [c.name, c]));
  const observedAt = new Map(input.observed.map((o) => [where(o), o]));
  const decisions: CustomizationDecision[] = [];
  const seen = new Set<string>();
  for (const instance of customizationInstances(input.customizations, input.accounts)) {
    const id = where(instance);
    seen.add(id);
    decisions.push(wanted(instance, byName.get(instance.customization) as Customization, observedAt.get(id)));
  }
  for (const o of input.observed) {
    if (seen.has(where(o))) continue;
    const c = byName.get(o.customization);
    const base = {
      customization: o.customization,
      stack_name: o.stack_name,
      account: o.account,
      region: o.region,
      parameters: o.parameters,
      drift: driftOf(o),
      ...driftNote(o),
      resources: [],
    };
    if (input.retired?.has(o.account) && c?.keep_on_retire) {
      decisions.push({ ...base, action: 'kept', reasons: ['account retired; keep_on_retire is set'] });
    } else if (o.termination_protection) {
      decisions.push({
        ...base,
        action: 'refused',
        reasons: [
          'termination protection is on: turn it off (termination_protection: false, apply) to delete',
        ],
      });
    } else {
      const why = !c
        ? 'customization removed'
        : input.retired?.has(o.account)
          ? 'account retired'
          : 'no longer targeted';
      decisions.push({ ...base, action: 'delete', reasons: [why] });
    }
  }
  return decisions;
}

/**
 * Waves for `--execute`: creates and updates in dependency order (a customization after the ones
 * it depends on, every account and region of one wave in parallel), deletes last and in reverse
 * order (a stack before the ones it depends on). Failures isolate per account and region: a stack
 * that failed holds back only its dependants in that account and region.
 */
export function applyOrder(
  decisions: readonly CustomizationDecision[],
  customizations: readonly Customization[],
): CustomizationDecision[][] {
  const order = dependencyOrder(customizations).map((c) => c.name);
  const rank = (name: string) => {
    const i = order.indexOf(name);
    return i === -1 ? order.length : i;
  };
  const waves = new Map<number, CustomizationDecision[]>();
  const deletes = new Map<number, CustomizationDecision[]>();
  for (const d of decisions) {
    if (d.action === 'create' || d.action === 'update') {
      const r = rank(d.customization);
      waves.set(r, [...(waves.get(r) ?? []), d]);
    } else if (d.action === 'delete') {
      const r = rank(d.customization);
      deletes.set(r, [...(deletes.get(r) ?? []), d]);
    }
  }
  const byRank = (m: Map<number, CustomizationDecision[]>, descending: boolean) =>
    [...m].sort(([a], [b]) => (descending ? b - a : a - b)).map(([, ds]) => ds);
  return [...byRank(waves, false), ...byRank(deletes, true)];
}

const SYMBOL: Readonly<Record<CustomizationAction, string>> = {
  create: '+',
  update: '~',
  delete: '-',
  refused: '!',
  kept: '=',
  unchanged: ' ',
};

export const APPLY_CUSTOMIZATIONS = 'orgbridge run --action customizations --execute';

/** The plan's `customizations` section. */
export function customizationsSection(decisions: readonly CustomizationDecision[]): PlanSection {
  const changes: SectionChange[] = [];
  for (const d of decisions) {
    if (d.action !== 'create' && d.action !== 'update' && d.action !== 'delete') continue;
    changes.push({
      group: `${d.action} stack`,
      symbol: SYMBOL[d.action],
      target: where(d),
      ...(d.reasons.length ? { reason: d.reasons.join(', ') } : {}),
      ...(d.resources.length ? { diff: resourceChangeLines(d.resources) } : {}),
    });
  }
  const count = (a: CustomizationAction) => decisions.filter((d) => d.action === a).length;
  const parts = (['create', 'update', 'delete'] as const)
    .filter((a) => count(a))
    .map((a) => `${count(a)} to ${a}`);
  return section({
    kind: 'customizations',
    title: 'Customizations',
    summary: `${parts.join(', ') || 'no changes'} (${count('unchanged')} unchanged)`,
    changes,
    drift: decisions.flatMap((d) => d.drift.map((detail) => ({ target: where(d), detail }))),
    blocked: decisions
      .filter((d) => d.action === 'refused')
      .map((d) => ({
        code: 'PLAN_CUSTOMIZATION_PROTECTED',
        message: `${where(d)}: ${d.reasons.join(', ')}`,
      })),
    notes: [
      ...decisions.filter((d) => d.action === 'kept').map((d) => `${where(d)} kept: ${d.reasons.join(', ')}`),
      ...decisions.flatMap((d) => (d.drift_note ? [`${where(d)}: ${d.drift_note}`] : [])),
    ],
    apply: APPLY_CUSTOMIZATIONS,
    plan: { customizations: decisions },
  });
}
