import { FULL_AWS_ACCESS } from './policies.js';
import type { PolicyLevel } from './policy-inheritance.js';

/**
 * A small service control policy evaluator for `orgbridge scp test`, following
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html
 *
 * - An explicit Deny in any SCP of the chain (root, every OU down to the account, the account)
 *   denies, whatever else allows.
 * - Otherwise the action must be allowed at EVERY level: on each target at least one attached
 *   SCP has an Allow statement matching it. A level without one denies implicitly.
 * - Action/NotAction match case-insensitively, Resource/NotResource case-sensitively, both with
 *   `*` and `?` wildcards.
 * - Conditions: String*, Arn*, Numeric*, Bool and Null, with `ForAnyValue:`/`ForAllValues:`
 *   and `...IfExists`, over the context keys the test gives. A key the test does not give is
 *   absent, as in IAM (positive operators are false, negated ones true) and reported. Anything
 *   else (Date*, IpAddress, policy variables, ...) makes the answer `unsupported` when it could
 *   change the decision: the evaluator never guesses.
 *
 * SCPs do not apply to the management account; AWS attaches FullAWSAccess to every root, OU and
 * account when SCPs are enabled, and orgbridge never detaches it, so each level starts with it.
 */

export const FULL_AWS_ACCESS_CONTENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
});

export type ContextValue = string | readonly string[];

export interface ScpRequest {
  /** `service:Action`, e.g. `ec2:RunInstances`. */
  readonly action: string;
  readonly resource: string;
  /** Condition keys, e.g. `aws:RequestedRegion`; matched case-insensitively by key name. */
  readonly context: Readonly<Record<string, ContextValue>>;
}

export interface StatementRef {
  readonly target: string;
  readonly policy: string;
  readonly sid: string | undefined;
}

export type ScpDecision =
  | { readonly decision: 'allow'; readonly reason: string; readonly missingKeys: readonly string[] }
  | {
      readonly decision: 'deny';
      readonly reason: string;
      /** The explicit Deny, or undefined for an implicit deny (a level without an Allow). */
      readonly deniedBy: StatementRef | undefined;
      readonly missingKeys: readonly string[];
    }
  | {
      readonly decision: 'unsupported';
      readonly reason: string;
      readonly unsupported: readonly string[];
      readonly missingKeys: readonly string[];
    };

type Tri = 'yes' | 'no' | 'unknown';

interface Statement {
  readonly Effect?: unknown;
  readonly Sid?: unknown;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

const asList = (v: unknown): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');

const globCache = new Map<string, RegExp>();
function glob(pattern: string, ignoreCase: boolean): RegExp {
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = globCache.get(key);
  if (!re) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    globCache.set(key, re);
  }
  return re;
}
const matchesAny = (value: string, patterns: readonly string[], ignoreCase: boolean) =>
  patterns.some((p) => glob(p, ignoreCase).test(value));

/** What one statement says about the request: does it apply (yes/no/unknown), and why unknown. */
interface Applies {
  readonly applies: Tri;
  readonly unsupported: string[];
}

type Matcher = (actual: string, expected: string) => boolean | undefined;
const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));
const numeric =
  (cmp: (a: number, b: number) => boolean): Matcher =>
  (a, e) => {
    const x = num(a);
    const y = num(e);
    return Number.isNaN(x) || Number.isNaN(y) ? false : cmp(x, y);
  };

/** Positive matchers; the `Not` operators negate them. */
const MATCHERS: Readonly<Record<string, Matcher>> = {
  stringequals: (a, e) => a === e,
  stringequalsignorecase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  stringlike: (a, e) => glob(e, false).test(a),
  // ArnEquals and ArnLike are the same operator in IAM (both take wildcards).
  arnequals: (a, e) => glob(e, false).test(a),
  arnlike: (a, e) => glob(e, false).test(a),
  numericequals: numeric((a, b) => a === b),
  numericlessthan: numeric((a, b) => a < b),
  numericlessthanequals: numeric((a, b) => a <= b),
  numericgreaterthan: numeric((a, b) => a > b),
  numericgreaterthanequals: numeric((a, b) => a >= b),
  bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
};
const NEGATED: Readonly<Record<string, string>> = {
  stringnotequals: 'stringequals',
  stringnotequalsignorecase: 'stringequalsignorecase',
  stringnotlike: 'stringlike',
  arnnotequals: 'arnequals',
  arnnotlike: 'arnlike',
  numericnotequals: 'numericequals',
};

function lookup(context: ScpRequest['context'], key: string): readonly string[] | undefined {
  const wanted = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) {
    if (k.toLowerCase() === wanted) return typeof v === 'string' ? [v] : v;
  }
  return undefined;
}

function evaluateCondition(
  condition: unknown,
  context: ScpRequest['context'],
  where: string,
  missingKeys: Set<string>,
): Applies {
  if (condition === undefined) return { applies: 'yes', unsupported: [] };
  if (typeof condition !== 'object' || condition === null) {
    return { applies: 'unknown', unsupported: [`${where}: Condition is not an object`] };
  }
  const unsupported: string[] = [];
  let result: Tri = 'yes';
  const and = (t: Tri) => {
    if (t === 'no') result = 'no';
    else if (t === 'unknown' && result === 'yes') result = 'unknown';
  };
  for (const [rawOperator, block] of Object.entries(condition as Record<string, unknown>)) {
    let operator = rawOperator;
    let set: 'any' | 'all' | undefined;
    const prefix = /^(ForAnyValue|ForAllValues):/i.exec(operator);
    if (prefix) {
      set = prefix[1]?.toLowerCase() === 'foranyvalue' ? 'any' : 'all';
      operator = operator.slice(prefix[0].length);
    }
    const ifExists = /IfExists$/i.test(operator);
    if (ifExists) operator = operator.slice(0, -'IfExists'.length);
    const op = operator.toLowerCase();
    const isNull = op === 'null';
    const negatedOf = NEGATED[op];
    const matcher = isNull ? undefined : MATCHERS[negatedOf ?? op];
    if ((!isNull && !matcher) || typeof block !== 'object' || block === null) {
      unsupported.push(`${where}: condition operator ${rawOperator}`);
      and('unknown');
      continue;
    }
    for (const [key, rawExpected] of Object.entries(block as Record<string, unknown>)) {
      // Policies may write booleans and numbers unquoted (`"Bool": {"aws:SecureTransport": false}`).
      const expected = (Array.isArray(rawExpected) ? rawExpected : [rawExpected]).map(String);
      if (expected.some((e) => e.includes('${'))) {
        unsupported.push(`${where}: policy variable in ${rawOperator} ${key}`);
        and('unknown');
        continue;
      }
      const actual = lookup(context, key);
      if (isNull) {
        const wantsAbsent = (expected[0] ?? '').toLowerCase() === 'true';
        and((actual === undefined) === wantsAbsent ? 'yes' : 'no');
        continue;
      }
      if (actual === undefined) {
        missingKeys.add(key);
        and(ifExists || set === 'all' || (negatedOf !== undefined && set !== 'any') ? 'yes' : 'no');
        continue;
      }
      const positive = (value: string) => expected.some((e) => matcher?.(value, e) === true);
      const holds = (value: string) => (negatedOf ? !positive(value) : positive(value));
      if (set === 'any') and(actual.some(holds) ? 'yes' : 'no');
      else if (set === 'all') and(actual.every(holds) ? 'yes' : 'no');
      else if (actual.length !== 1) {
        unsupported.push(
          `${where}: ${key} has several values; ${rawOperator} needs ForAnyValue: or ForAllValues:`,
        );
        and('unknown');
      } else and(holds(actual[0] as string) ? 'yes' : 'no');
    }
  }
  return { applies: result, unsupported };
}

function statementApplies(
  s: Statement,
  request: ScpRequest,
  where: string,
  missingKeys: Set<string>,
): Applies {
  const actionOk =
    s.NotAction !== undefined
      ? !matchesAny(request.action, asList(s.NotAction), true)
      : matchesAny(request.action, asList(s.Action), true);
  if (!actionOk) return { applies: 'no', unsupported: [] };
  const resourceOk =
    s.NotResource !== undefined
      ? !matchesAny(request.resource, asList(s.NotResource), false)
      : s.Resource === undefined || matchesAny(request.resource, asList(s.Resource), false);
  if (!resourceOk) return { applies: 'no', unsupported: [] };
  return evaluateCondition(s.Condition, request.context, where, missingKeys);
}

/** The statement objects of an SCP's (valid JSON) content, one statement written alone included. */
export function statementsOf(content: string): Statement[] {
  const doc = JSON.parse(content) as { Statement?: unknown };
  const list = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  return list.filter((s): s is Statement => typeof s === 'object' && s !== null);
}

/** Adds FullAWSAccess to every level, as AWS keeps it attached everywhere, but the `detached` ones. */
export function withFullAwsAccess(
  levels: readonly PolicyLevel[],
  detached: (level: PolicyLevel, index: number) => boolean = () => false,
): PolicyLevel[] {
  return levels.map((l, i) => ({
    target: l.target,
    policies: detached(l, i)
      ? [...l.policies]
      : [{ name: FULL_AWS_ACCESS, content: FULL_AWS_ACCESS_CONTENT }, ...l.policies],
  }));
}

export function evaluateScps(levels: readonly PolicyLevel[], request: ScpRequest): ScpDecision {
  const missing = new Set<string>();
  const unsupported: string[] = [];
  const parsed = levels.map((level) => ({
    target: level.target,
    statements: level.policies.flatMap((p) =>
      statementsOf(p.content).map((s, i) => {
        const sid = typeof s.Sid === 'string' ? s.Sid : undefined;
        const where = `${level.target}/${p.name}#${sid ?? i + 1}`;
        return { s, ref: { target: level.target, policy: p.name, sid }, where };
      }),
    ),
  }));
  const missingKeys = () => [...missing].sort();

  let denyUnknown = false;
  for (const level of parsed) {
    for (const { s, ref, where } of level.statements) {
      if (s.Effect !== 'Deny') continue;
      const result = statementApplies(s, request, where, missing);
      if (result.applies === 'yes') {
        return {
          decision: 'deny',
          reason: `explicitly denied by ${ref.policy}${ref.sid ? ` (${ref.sid})` : ''} on ${ref.target}`,
          deniedBy: ref,
          missingKeys: missingKeys(),
        };
      }
      if (result.applies === 'unknown') {
        denyUnknown = true;
        unsupported.push(...result.unsupported);
      }
    }
  }
  if (denyUnknown) {
    return {
      decision: 'unsupported',
      reason: 'a Deny that matches the action has conditions this evaluator does not support',
      unsupported,
      missingKeys: missingKeys(),
    };
  }
  for (const level of parsed) {
    let allowed: Tri = 'no';
    for (const { s, where } of level.statements) {
      if (s.Effect !== 'Allow') continue;
      const result = statementApplies(s, request, where, missing);
      if (result.applies === 'yes') {
        allowed = 'yes';
        break;
      }
      if (result.applies === 'unknown') {
        allowed = 'unknown';
        unsupported.push(...result.unsupported);
      }
    }
    if (allowed === 'unknown') {
      return {
        decision: 'unsupported',
        reason: `whether an SCP on ${level.target} allows ${request.action} depends on conditions this evaluator does not support`,
        unsupported,
        missingKeys: missingKeys(),
      };
    }
    if (allowed === 'no') {
      return {
        decision: 'deny',
        reason: `no SCP on ${level.target} allows ${request.action} (implicit deny)`,
        deniedBy: undefined,
        missingKeys: missingKeys(),
      };
    }
  }
  return {
    decision: 'allow',
    reason: 'allowed at every level and denied nowhere',
    missingKeys: missingKeys(),
  };
}
