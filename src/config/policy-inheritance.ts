import type { PolicyDocument, PolicyType, ResolvedConfig } from './model.js';

/**
 * Effective management policies (tag, backup), computed offline the way AWS Organizations merges
 * them: level by level from the root down to the account, with the inheritance operators of
 * https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html
 *
 * - `@@assign` overwrites the inherited value (any setting); `@@append` adds values to an
 *   inherited array; `@@remove` takes values out of it (a setting left empty disappears).
 * - `@@operators_allowed_for_child_policies` limits the operators policies *below* that level
 *   may use on that setting and everything under it (`@@all`, `@@none`, or a list). Limits from
 *   several levels, and from several policies on one level, intersect; a child can't widen them.
 *   An operator a parent forbids is ignored (AWS's "it attempts to change ..., but it can't").
 * - Several policies on one target merge in attachment order; where two `@@assign` the same
 *   setting, the first attached wins (AWS example 6). orgbridge attaches an OU's policies in
 *   file-name order, so that is the order used here.
 *
 * The result carries no operators, like DescribeEffectivePolicy's answer, and every operator
 * that was ignored is reported as a diagnostic so the plan can show it.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const ASSIGN = '@@assign';
export const APPEND = '@@append';
export const REMOVE = '@@remove';
export const CHILD_CONTROL = '@@operators_allowed_for_child_policies';
/** https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html */
export const VALUE_OPERATORS = [ASSIGN, APPEND, REMOVE] as const;
type ValueOperator = (typeof VALUE_OPERATORS)[number];
/** What `@@operators_allowed_for_child_policies` takes. */
export const CHILD_CONTROL_VALUES: readonly string[] = ['@@all', '@@none', ...VALUE_OPERATORS];

/** One target on the way from the root to the account, and the policies attached to it. */
export interface PolicyLevel {
  /** `Root`, an OU path such as `Internal/Dev`, or `account <name>`: for messages. */
  readonly target: string;
  /** In attachment order. `content` is the policy JSON text. */
  readonly policies: readonly { readonly name: string; readonly content: string }[];
}

export type InheritanceDiagnosticCode =
  | 'POLICY_OPERATOR_NOT_ALLOWED'
  | 'POLICY_ASSIGN_CONFLICT'
  | 'POLICY_NOT_MULTI_VALUED'
  | 'POLICY_UNKNOWN_OPERATOR'
  | 'POLICY_INVALID_JSON';

export interface InheritanceDiagnostic {
  readonly code: InheritanceDiagnosticCode;
  readonly target: string;
  readonly policy: string;
  /** The setting, dot-separated, e.g. `tags.costcenter.tag_key`. */
  readonly path: string;
  readonly message: string;
}

export interface EffectivePolicy {
  readonly policy: JsonObject;
  readonly diagnostics: readonly InheritanceDiagnostic[];
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const keyOf = (path: readonly string[]): string => path.join('\u0000');
const display = (path: readonly string[]): string => path.join('.') || '(document)';
const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

function allowedSet(value: Json): Set<string> {
  const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  if (values.includes('@@all')) return new Set(VALUE_OPERATORS);
  if (values.includes('@@none')) return new Set();
  return new Set(values.filter((v) => (VALUE_OPERATORS as readonly string[]).includes(v)));
}

function intersect(into: Map<string, Set<string>>, key: string, allowed: Set<string>): void {
  const current = into.get(key);
  into.set(key, current ? new Set([...current].filter((op) => allowed.has(op))) : allowed);
}

function getAt(root: JsonObject, path: readonly string[]): Json | undefined {
  let node: Json | undefined = root;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

function setAt(root: JsonObject, path: readonly string[], value: Json): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isObject(next)) node[key] = {};
    node = node[key] as JsonObject;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

function deleteAt(root: JsonObject, path: readonly string[]): void {
  const parent = getAt(root, path.slice(0, -1));
  const last = path.at(-1);
  if (isObject(parent) && last !== undefined) delete parent[last];
}

/** Drops objects left empty by `@@remove` or by settings that were only operators. */
function prune(node: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(node)) {
    if (isObject(value)) {
      prune(value);
      if (Object.keys(value).length === 0) delete node[key];
    }
  }
  return node;
}

const unique = (values: readonly Json[]): Json[] => {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = JSON.stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

export function computeEffectivePolicy(levels: readonly PolicyLevel[]): EffectivePolicy {
  const effective: JsonObject = {};
  const diagnostics: InheritanceDiagnostic[] = [];
  /** Setting -> operators policies below the levels seen so far may use on it. */
  const inherited = new Map<string, Set<string>>();

  for (const level of levels) {
    const setHere = new Map<string, Set<string>>();
    const assignedHere = new Map<string, string>();
    for (const policy of level.policies) {
      const report = (code: InheritanceDiagnosticCode, path: readonly string[], message: string) =>
        diagnostics.push({ code, target: level.target, policy: policy.name, path: display(path), message });

      const forbiddenBy = (op: ValueOperator, path: readonly string[]): string[] | undefined => {
        for (let i = 0; i <= path.length; i++) {
          const allowed = inherited.get(keyOf(path.slice(0, i)));
          if (allowed && !allowed.has(op)) return path.slice(0, i);
        }
        return undefined;
      };

      const apply = (op: ValueOperator, path: readonly string[], value: Json) => {
        const lockedAt = forbiddenBy(op, path);
        if (lockedAt) {
          report(
            'POLICY_OPERATOR_NOT_ALLOWED',
            path,
            `${op} on ${display(path)} is ignored: a parent policy limits ${display(lockedAt)} with ${CHILD_CONTROL}`,
          );
          return;
        }
        const key = keyOf(path);
        const current = getAt(effective, path);
        if (op === ASSIGN) {
          const first = assignedHere.get(key);
          if (first !== undefined && current !== undefined && !same(current, value)) {
            report(
              'POLICY_ASSIGN_CONFLICT',
              path,
              `${op} on ${display(path)} is ignored: ${first}, attached to ${level.target} before it, assigns it first`,
            );
            return;
          }
          assignedHere.set(key, policy.name);
          setAt(effective, path, structuredClone(value));
          return;
        }
        const values = Array.isArray(value) ? value : [value];
        if (current !== undefined && !Array.isArray(current)) {
          report(
            'POLICY_NOT_MULTI_VALUED',
            path,
            `${op} on ${display(path)} is ignored: the setting has a single value`,
          );
          return;
        }
        if (op === APPEND) {
          setAt(effective, path, unique([...(current ?? []), ...structuredClone(values)]));
        } else if (Array.isArray(current)) {
          const left = current.filter((v) => !values.some((r) => same(r, v)));
          if (left.length > 0) setAt(effective, path, left);
          else deleteAt(effective, path);
        }
      };

      const walk = (node: Json, path: readonly string[]) => {
        if (!isObject(node)) {
          // A bare value where AWS expects an operator: read it as an assignment.
          apply(ASSIGN, path, node);
          return;
        }
        for (const [key, child] of Object.entries(node)) {
          if (key === CHILD_CONTROL) intersect(setHere, keyOf(path), allowedSet(child));
          else if (key.startsWith('@@') && !(VALUE_OPERATORS as readonly string[]).includes(key)) {
            report('POLICY_UNKNOWN_OPERATOR', [...path, key], `unknown operator ${key} is ignored`);
          } else if (!key.startsWith('@@')) walk(child, [...path, key]);
        }
        for (const op of VALUE_OPERATORS) {
          const value = node[op];
          if (value !== undefined) apply(op, path, value);
        }
      };

      let document: Json;
      try {
        document = JSON.parse(policy.content) as Json;
      } catch (e) {
        report('POLICY_INVALID_JSON', [], `not JSON: ${(e as Error).message}`);
        continue;
      }
      walk(document, []);
    }
    // Limits set on this level bind the levels below it, never this one (AWS example 5).
    for (const [key, allowed] of setHere) intersect(inherited, key, allowed);
  }
  return { policy: prune(effective), diagnostics };
}

/** OU paths from the top down to `ouPath`: `Internal/Dev` -> [``, `Internal`, `Internal/Dev`]. */
export function ouChain(ouPath: string): string[] {
  const parts = ouPath.split('/').filter(Boolean);
  return ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))];
}

/** The levels of one policy type from the root down to `ouPath`, policies in file-name order. */
export function policyLevels(
  policies: readonly PolicyDocument[],
  type: PolicyType,
  ouPath: string,
): PolicyLevel[] {
  return ouChain(ouPath).map((ou) => ({
    target: ou === '' ? 'Root' : ou,
    policies: policies
      .filter((p) => p.type === type && p.organization_unit === ou)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((p) => ({ name: p.name, content: p.content })),
  }));
}

/**
 * The levels of one policy type for an account: the root, its OUs, then the account itself with
 * the policies attached to it (`policies.<type>.<name>.accounts` in accounts.yml).
 */
export function accountPolicyLevels(
  config: Pick<ResolvedConfig, 'policies'> & Partial<Pick<ResolvedConfig, 'account_policies'>>,
  account: { readonly organization_unit: string; readonly key?: string },
  type: PolicyType,
): PolicyLevel[] {
  const own = (config.account_policies ?? [])
    .filter((p) => p.type === type && account.key !== undefined && p.account === account.key)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((p) => ({ name: p.name, content: p.content }));
  const levels = policyLevels(config.policies, type, account.organization_unit);
  return own.length > 0 ? [...levels, { target: `account ${account.key}`, policies: own }] : levels;
}

/** The effective tag or backup policy of an account of the config, offline. */
export function effectivePolicyForAccount(
  config: Pick<ResolvedConfig, 'policies'> & Partial<Pick<ResolvedConfig, 'account_policies'>>,
  account: { readonly organization_unit: string; readonly key?: string },
  type: Exclude<PolicyType, 'scp'>,
): EffectivePolicy {
  return computeEffectivePolicy(accountPolicyLevels(config, account, type));
}
