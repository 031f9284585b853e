import { didYouMean } from './did-you-mean.js';
import { isJsonObject, type JsonPath, type PolicyGrammarProblem } from './policy-grammar.js';

/**
 * The grammar of a service control policy, as "SCP syntax" documents it
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html)
 * on top of the IAM policy grammar it shares
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html). Organizations
 * refuses a document that breaks it (MalformedPolicyDocumentException) when `sync-policies`
 * creates or updates the policy, after other policies of the same run may have changed; checked
 * here, `validate` reports it in the pull request instead. moto stores any JSON.
 *
 * Checked: the elements of the policy and of each statement (`Principal` and `NotPrincipal` are
 * not supported in SCPs), `Version` "2012-10-17", `Effect` exactly `Allow` or `Deny`, exactly one
 * of `Action`/`NotAction` and of `Resource`/`NotResource`, each action `*` or `service:action`,
 * `Condition` as a map of IAM condition operators to maps, and each `Sid` letters and digits,
 * once per policy. Not checked: whether a service, action or condition key exists.
 */

const POLICY_ELEMENTS = ['Version', 'Id', 'Statement'];
const STATEMENT_ELEMENTS = ['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
const UNSUPPORTED = ['Principal', 'NotPrincipal'];
const VERSION = '2012-10-17';
/** `*`, or a service prefix, a colon and an action name with `*`/`?` wildcards. */
const ACTION = /^(\*|[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?_-]+)$/i;
const SID = /^[A-Za-z0-9]*$/;

export function scpGrammarProblems(policy: Readonly<Record<string, unknown>>): PolicyGrammarProblem[] {
  const problems: PolicyGrammarProblem[] = [];
  unknownElements(policy, [], POLICY_ELEMENTS, problems);
  if ('Version' in policy && policy.Version !== VERSION) {
    problems.push({
      path: ['Version'],
      at: 'value',
      message: `an SCP's Version must be "${VERSION}", not ${JSON.stringify(policy.Version)}`,
      hint: `write "Version": "${VERSION}"`,
    });
  }
  const statement = policy.Statement;
  if (statement === undefined) {
    problems.push({
      path: [],
      at: 'value',
      message: 'a service control policy needs a "Statement"',
      hint: 'write an IAM-style policy: {"Version": "2012-10-17", "Statement": [...]}',
    });
    return problems;
  }
  const statements = Array.isArray(statement) ? statement : [statement];
  statements.forEach((s, i) => {
    const path: JsonPath = Array.isArray(statement) ? ['Statement', i] : ['Statement'];
    if (!isJsonObject(s)) {
      problems.push({
        path,
        at: 'value',
        message: 'each statement must be a JSON object',
        hint: '{"Effect": "Deny", "Action": [...], "Resource": "*"}',
      });
      return;
    }
    statementProblems(s, path, problems);
  });
  if (Array.isArray(statement)) duplicateSids(statement, problems);
  return problems;
}

function statementProblems(
  s: Record<string, unknown>,
  path: JsonPath,
  problems: PolicyGrammarProblem[],
): void {
  const name = typeof s.Sid === 'string' ? `statement '${s.Sid}'` : 'a statement';
  unknownElements(s, path, STATEMENT_ELEMENTS, problems);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
    const close = typeof s.Effect === 'string' && /^(allow|deny)$/i.test(s.Effect);
    problems.push({
      path: 'Effect' in s ? [...path, 'Effect'] : path,
      at: 'value',
      message:
        'Effect' in s
          ? `${name}: Effect must be "Allow" or "Deny", not ${JSON.stringify(s.Effect)}`
          : `${name} has no Effect`,
      hint: close
        ? `write "${(s.Effect as string).charAt(0).toUpperCase()}${(s.Effect as string).slice(1).toLowerCase()}": the value is case-sensitive`
        : 'add "Effect": "Deny" (or "Allow")',
    });
  }
  exactlyOne(s, path, name, ['Action', 'NotAction'], problems);
  exactlyOne(s, path, name, ['Resource', 'NotResource'], problems);
  for (const key of ['Action', 'NotAction'] as const) {
    if (!(key in s)) continue;
    const value = s[key];
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) {
      problems.push({
        path: [...path, key],
        at: 'value',
        message: `${name}: ${key} is empty`,
        hint: 'list at least one action',
      });
    }
    list.forEach((action, i) => {
      if (typeof action === 'string' && ACTION.test(action)) return;
      problems.push({
        path: Array.isArray(value) ? [...path, key, i] : [...path, key],
        at: 'value',
        message: `${name}: ${JSON.stringify(action)} in ${key} is not an action`,
        hint: 'write "service:Action" (e.g. "s3:PutObject", "ec2:Describe*") or "*"',
      });
    });
  }
  // IAM's grammar: a resource list holds strings, at least one; a Sid is a string
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
  for (const key of ['Resource', 'NotResource'] as const) {
    if (!(key in s)) continue;
    const value = s[key];
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 || list.some((r) => typeof r !== 'string' || r === '')) {
      problems.push({
        path: [...path, key],
        at: 'value',
        message: `${name}: ${key} must be an ARN pattern or "*", or a non-empty list of them, not ${JSON.stringify(value)}`,
        hint: `"${key}": "*" or "${key}": ["arn:aws:s3:::my-bucket/*"]`,
      });
    }
  }
  if ('Sid' in s && (typeof s.Sid !== 'string' || !SID.test(s.Sid))) {
    const cleaned = typeof s.Sid === 'string' ? s.Sid.replace(/[^A-Za-z0-9]/g, '') : '';
    problems.push({
      path: [...path, 'Sid'],
      at: 'value',
      message:
        typeof s.Sid === 'string'
          ? `Sid ${JSON.stringify(s.Sid)} holds characters other than ASCII letters and digits`
          : `a statement's Sid must be text, not ${JSON.stringify(s.Sid)}`,
      hint: `"Sid": "${cleaned || 'DenyLeave'}" (letters and digits only)`,
    });
  }
  if ('Condition' in s && !(isJsonObject(s.Condition) && Object.values(s.Condition).every(isJsonObject))) {
    problems.push({
      path: [...path, 'Condition'],
      at: 'value',
      message: `${name}: Condition must map each operator to a map of condition keys`,
      hint: '"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}',
    });
  } else if (isJsonObject(s.Condition)) {
    for (const operator of Object.keys(s.Condition)) {
      if (isConditionOperator(operator)) continue;
      const suggestion = didYouMean(operator, OPERATOR_NAMES);
      problems.push({
        path: [...path, 'Condition', operator],
        at: 'key',
        message: `${name}: '${operator}' is not a condition operator${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
        hint: 'see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html',
      });
    }
  }
}

/**
 * IAM's condition operators
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html),
 * each but `Null` also with `IfExists`, and each under `ForAnyValue:` or `ForAllValues:`. Compared
 * without case: a misspelt operator is what this catches, not a policy's capitalisation.
 */
const OPERATOR_NAMES = [
  ...['Equals', 'NotEquals', 'EqualsIgnoreCase', 'NotEqualsIgnoreCase', 'Like', 'NotLike'].map(
    (o) => `String${o}`,
  ),
  ...['Equals', 'NotEquals', 'LessThan', 'LessThanEquals', 'GreaterThan', 'GreaterThanEquals'].flatMap(
    (o) => [`Numeric${o}`, `Date${o}`],
  ),
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  ...['Equals', 'Like', 'NotEquals', 'NotLike'].map((o) => `Arn${o}`),
  'Null',
];
const OPERATORS = new Set(OPERATOR_NAMES.map((o) => o.toLowerCase()));

function isConditionOperator(written: string): boolean {
  const operator = written.replace(/^(ForAnyValue|ForAllValues):/i, '').toLowerCase();
  const base = operator.endsWith('ifexists') ? operator.slice(0, -'ifexists'.length) : operator;
  return OPERATORS.has(base) && !(base === 'null' && base !== operator);
}

/**
 * The Sids of a policy's statements: ASCII letters and digits (IAM's Sid element,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html, which
 * IAM Access Analyzer's `validate-policy --policy-type SERVICE_CONTROL_POLICY` applies to SCPs),
 * and unique within the policy ("The Statement Ids in the policy are not unique").
 */
function duplicateSids(statements: readonly unknown[], problems: PolicyGrammarProblem[]): void {
  const seen = new Set<string>();
  statements.forEach((s, i) => {
    const sid = isJsonObject(s) ? s.Sid : undefined;
    if (typeof sid !== 'string' || sid === '') return;
    if (seen.has(sid))
      problems.push({
        path: ['Statement', i, 'Sid'],
        at: 'value',
        message: `Sid ${JSON.stringify(sid)} is used by an earlier statement; the Sids of a policy are unique`,
        hint: 'rename one of them',
      });
    seen.add(sid);
  });
}

function exactlyOne(
  s: Record<string, unknown>,
  path: JsonPath,
  name: string,
  pair: readonly [string, string],
  problems: PolicyGrammarProblem[],
): void {
  const [a, b] = pair;
  if (a in s && b in s) {
    problems.push({
      path: [...path, b],
      at: 'key',
      message: `${name} has both ${a} and ${b}`,
      hint: `keep one of ${a} and ${b}`,
    });
  } else if (!(a in s) && !(b in s)) {
    problems.push({
      path,
      at: 'value',
      message: `${name} has neither ${a} nor ${b}`,
      hint: a === 'Resource' ? 'add "Resource": "*"' : `add "${a}": [...]`,
    });
  }
}

function unknownElements(
  value: Readonly<Record<string, unknown>>,
  path: JsonPath,
  known: readonly string[],
  problems: PolicyGrammarProblem[],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const unsupported = UNSUPPORTED.includes(key);
    const suggestion = unsupported ? undefined : didYouMean(key, known);
    problems.push({
      path: [...path, key],
      at: 'key',
      message: unsupported
        ? `${key} is not supported in SCPs: an SCP applies to every principal of the accounts it is attached to`
        : `unknown element '${key}' in ${path.length ? 'a statement' : 'the policy'}${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
      hint: unsupported
        ? 'remove it; to exempt principals, use a Condition such as ArnNotLike on aws:PrincipalArn'
        : `${path.length ? 'a statement' : 'an SCP'} takes ${known.join(', ')}`,
    });
  }
}
