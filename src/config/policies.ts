import { type Document, isMap, isNode, isScalar, isSeq, parseDocument } from 'yaml';
import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { checkBackupPolicies } from './backup-policy.js';
import { backupPolicyGrammarProblems } from './backup-policy-grammar.js';
import { didYouMeanSuffix } from './did-you-mean.js';
import type { PolicyDocument, PolicyLimits, PolicyType } from './model.js';
import type { JsonPath, PolicyGrammarProblem } from './policy-grammar.js';
import { CHILD_CONTROL, CHILD_CONTROL_VALUES, VALUE_OPERATORS } from './policy-inheritance.js';
import { POLICY_TYPES } from './schema.js';
import { scpGrammarProblems } from './scp-grammar.js';
import { LineIndex, type SourceFile } from './source.js';
import { tagPolicyGrammarProblems } from './tag-policy-grammar.js';

/**
 * Organization policies kept as files: `policies/<type>/<OU path>/<name>.json`, attached to
 * that OU. Checked here against the quotas Organizations only enforces at apply time.
 */

const KEY_OPERATORS: readonly string[] = [...VALUE_OPERATORS, CHILD_CONTROL];

/** Policies AWS attaches itself and that count against the per-target quota. */
export const FULL_AWS_ACCESS = 'FullAWSAccess';

export interface PolicyFileResult {
  /** Files under an OU folder: attached to that OU by where they are. */
  readonly policies: PolicyDocument[];
  /**
   * Files directly under `policies/<type>/`: documents attached where `policies:` in
   * accounts.yml says (src/config/policy-attachments.ts). `organization_unit` is unused ('').
   */
  readonly documents: PolicyDocument[];
  readonly errors: OrgbridgeError[];
}

/** Files under `policies/` this module owns: `<type>/<...>.json`. Other files are left alone. */
export function isPolicyFile(path: string): boolean {
  return path.startsWith('policies/') && path.endsWith('.json');
}

/**
 * The name orgbridge gives a policy in AWS. Organizations takes names of 1 to 128 characters of the
 * ASCII range (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html):
 * a longer name is refused at the file (policyNameProblem), never cut, since two names cut to the
 * same 128 characters would be one policy in AWS.
 */
export function awsPolicyName(type: PolicyType, name: string): string {
  return `orgbridge-${type}-${name}`;
}

const AWS_POLICY_NAME_MAX = 128;

/** Why `name` (a policy file's name without .json) cannot name a policy in AWS, if it cannot. */
export function policyNameProblem(type: PolicyType, name: string): string | undefined {
  if (name === '') return 'the file has no name before .json';
  if (!/^[\x20-\x7e]+$/.test(name)) return 'AWS takes policy names of printable ASCII characters only';
  const room = AWS_POLICY_NAME_MAX - awsPolicyName(type, '').length;
  if (name.length > room) {
    return `the name is ${name.length} characters; in AWS it is ${awsPolicyName(type, '…')}, at most ${AWS_POLICY_NAME_MAX} characters, so at most ${room} here`;
  }
  return undefined;
}

export function parsePolicyFiles(files: readonly SourceFile[]): PolicyFileResult {
  const policies: PolicyDocument[] = [];
  const documents: PolicyDocument[] = [];
  const errors: OrgbridgeError[] = [];
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const start = { file: file.path, line: 1, column: 1 };
    const parts = file.path.split('/');
    const type = parts[1] as string;
    if (!(POLICY_TYPES as readonly string[]).includes(type)) {
      errors.push(
        new OrgbridgeError(
          'DSL_POLICY_UNKNOWN_TYPE',
          `policy folder '${type}' is not a policy type${didYouMeanSuffix(type, POLICY_TYPES)}`,
          {
            location: start,
            hint: `put policies under policies/{${POLICY_TYPES.join(',')}}/<OU path>/<name>.json`,
          },
        ),
      );
      continue;
    }
    const organization_unit = parts.slice(2, -1).join('/');
    const name = (parts.at(-1) as string).slice(0, -'.json'.length);
    const nameProblem = policyNameProblem(type as PolicyType, name);
    if (nameProblem) {
      errors.push(
        new OrgbridgeError('DSL_POLICY_NAME_INVALID', `policy file name '${name}.json': ${nameProblem}`, {
          location: start,
          hint: 'rename the file: its name (without .json) names the policy in AWS',
        }),
      );
      continue;
    }
    if (name === FULL_AWS_ACCESS && type === 'scp') {
      errors.push(
        new OrgbridgeError(
          'DSL_POLICY_AWS_MANAGED',
          `${FULL_AWS_ACCESS} is managed by AWS: orgbridge cannot create or change it`,
          {
            location: start,
            hint: `remove the file; to detach ${FULL_AWS_ACCESS} somewhere, list it under policies.scp.${FULL_AWS_ACCESS}.detached_from in accounts.yml`,
          },
        ),
      );
      continue;
    }
    let content: string | undefined;
    try {
      content = parsePolicyJson(file, type as PolicyType, errors);
    } catch (e) {
      // Absurdly nested JSON exhausts the stack while checking or minifying it.
      if (!(e instanceof RangeError)) throw e;
      errors.push(
        new OrgbridgeError('DSL_POLICY_INVALID', 'the policy is nested too deeply to read', {
          location: start,
          hint: 'AWS policies nest a few levels; check the document',
        }),
      );
    }
    if (content === undefined) continue;
    const document = { type: type as PolicyType, organization_unit, name, file: file.path, content };
    // A file directly under policies/<type>/ is a document attached where accounts.yml says.
    (parts.length === 3 ? documents : policies).push(document);
  }
  return { policies, documents, errors };
}

/**
 * The backup checks of docs/policies.md over the policies as attached (every attachment, the
 * ones accounts.yml adds included). Each file's references are checked once.
 */
export function checkBackupAttachments(
  policies: readonly PolicyDocument[],
  files: readonly SourceFile[],
): OrgbridgeError[] {
  const textOf = new Map(files.map((f) => [f.path, f.text]));
  try {
    return checkBackupPolicies(policies, (path) => textOf.get(path));
  } catch (e) {
    // Nesting that passed the checks above can still exhaust the stack while merging the OU chain.
    if (!(e instanceof RangeError)) throw e;
    return [
      new OrgbridgeError('DSL_POLICY_INVALID', 'the backup policies are nested too deeply to read', {
        hint: 'AWS policies nest a few levels; check the backup policy documents',
      }),
    ];
  }
}

/** What Organizations refuses in each type's document when it is created or updated. */
const GRAMMAR: Readonly<
  Record<PolicyType, (policy: Readonly<Record<string, unknown>>) => readonly PolicyGrammarProblem[]>
> = {
  scp: scpGrammarProblems,
  tag: tagPolicyGrammarProblems,
  backup: backupPolicyGrammarProblems,
};

/** Minified content, or undefined after pushing the errors that make the file unusable. */
function parsePolicyJson(file: SourceFile, type: PolicyType, errors: OrgbridgeError[]): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(file.text);
  } catch (e) {
    const offset = jsonErrorOffset(file.text);
    errors.push(
      new OrgbridgeError(
        'DSL_POLICY_INVALID_JSON',
        `policy is not valid JSON: ${(e as Error).message.split('\n')[0]}`,
        {
          location: { file: file.path, ...LineIndex.of(file.text).position(offset) },
          hint: 'policies are JSON documents (no comments, no trailing commas)',
          cause: e,
        },
      ),
    );
    return undefined;
  }
  const lines = LineIndex.of(file.text);
  const duplicate = jsonDuplicateKey(file.text);
  if (duplicate) {
    const first = lines.position(duplicate.firstOffset);
    errors.push(
      new OrgbridgeError(
        'DSL_POLICY_DUPLICATE_KEY',
        `key "${duplicate.key}" is written twice in one object (first at line ${first.line}): JSON keeps only the last`,
        {
          location: { file: file.path, ...lines.position(duplicate.offset) },
          hint: 'keep one of them; to list several values, give the key one array',
        },
      ),
    );
    return undefined;
  }
  const at = (needle: string) => ({
    file: file.path,
    ...lines.position(Math.max(0, file.text.indexOf(needle))),
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(
      new OrgbridgeError('DSL_POLICY_INVALID', 'a policy must be a JSON object', {
        location: at(''),
        hint: 'see docs/dsl.md',
      }),
    );
    return undefined;
  }
  const locate = jsonLocator(file);
  for (const problem of GRAMMAR[type](value as Record<string, unknown>)) {
    errors.push(
      new OrgbridgeError('DSL_POLICY_INVALID', problem.message, {
        location: locate(problem.path, problem.at),
        hint: problem.hint,
      }),
    );
  }
  if (type !== 'scp') {
    for (const problem of unknownOperators(value)) {
      errors.push(
        new OrgbridgeError(
          'DSL_POLICY_UNKNOWN_OPERATOR',
          `unknown inheritance operator '${problem}'${didYouMeanSuffix(problem, [...KEY_OPERATORS, ...CHILD_CONTROL_VALUES])}`,
          {
            location: at(`"${problem}"`),
            hint: `operators: ${KEY_OPERATORS.join(', ')}; ${CHILD_CONTROL} takes ${CHILD_CONTROL_VALUES.join(', ')}`,
          },
        ),
      );
    }
  }
  return JSON.stringify(value);
}

/**
 * Positions in a JSON policy file by path (JSON is YAML, so the YAML parser gives each node's
 * offset): the key itself, or the value under it.
 */
function jsonLocator(file: SourceFile): (path: JsonPath, at: 'key' | 'value') => SourceLocation {
  const lines = LineIndex.of(file.text);
  let doc: Document | undefined;
  return (path, at) => {
    doc ??= parseDocument(file.text, { uniqueKeys: false, prettyErrors: false });
    let node: unknown = doc.contents;
    let offset = 0;
    for (const [i, step] of path.entries()) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => isScalar(item.key) && item.key.value === step);
        if (at === 'key' && i === path.length - 1 && isScalar(pair?.key)) {
          offset = pair.key.range?.[0] ?? offset;
          break;
        }
        next = pair?.value;
      } else if (isSeq(node) && typeof step === 'number') {
        next = node.items[step];
      }
      if (!isNode(next)) break;
      node = next;
      offset = next.range?.[0] ?? offset;
    }
    return { file: file.path, ...lines.position(offset) };
  };
}

function unknownOperators(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) unknownOperators(item, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith('@@') && !KEY_OPERATORS.includes(key)) found.push(key);
      if (key === CHILD_CONTROL) {
        const values = Array.isArray(child) ? child : [child];
        for (const v of values)
          if (typeof v !== 'string' || !CHILD_CONTROL_VALUES.includes(v)) found.push(String(v));
      } else {
        unknownOperators(child, found);
      }
    }
  }
  return found;
}

export function policyMaxChars(type: PolicyType, limits: PolicyLimits): number {
  return type === 'scp'
    ? limits.scp_max_chars
    : type === 'tag'
      ? limits.tag_policy_max_chars
      : limits.backup_policy_max_chars;
}

/** Policies of one type one target may have, counting FullAWSAccess for SCPs (AWS keeps one attached). */
export function policiesPerTarget(type: PolicyType, limits: PolicyLimits): number {
  return type === 'scp'
    ? limits.scp_per_target
    : type === 'tag'
      ? limits.tag_policies_per_target
      : limits.backup_policies_per_target;
}

/**
 * Offset of the first JSON syntax error. Node's JSON.parse messages give a position only for
 * some errors, so this small scanner finds it for all of them.
 */
export function jsonErrorOffset(text: string): number {
  return scanJson(text).errorOffset ?? 0;
}

/** A key written twice in one JSON object: where each was written. */
export interface DuplicateJsonKey {
  readonly key: string;
  readonly firstOffset: number;
  readonly offset: number;
}

/**
 * The first key written twice in one object of a valid JSON document. JSON.parse keeps the last
 * value silently, so `{"Effect": "Deny", ..., "Effect": "Allow"}` would become an Allow that no
 * reviewer of the file reads; IAM Access Analyzer's policy validation reports such keys as an
 * error (https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html).
 */
export function jsonDuplicateKey(text: string): DuplicateJsonKey | undefined {
  return scanJson(text).duplicate;
}

function scanJson(text: string): { errorOffset?: number; duplicate?: DuplicateJsonKey } {
  let duplicate: DuplicateJsonKey | undefined;
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const literal = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail();
  };
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail();
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail();
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? 'x')) fail();
      }
      i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i, i + 400));
    if (!match) fail();
    i += (match as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      const keys = new Map<string, number>();
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const keyAt = i;
        string();
        if (!duplicate) {
          const key = JSON.parse(text.slice(keyAt, i)) as string;
          const first = keys.get(key);
          if (first === undefined) keys.set(key, keyAt);
          else duplicate = { key, firstOffset: first, offset: keyAt };
        }
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') string();
    else if (c === 't') literal('true');
    else if (c === 'f') literal('false');
    else if (c === 'n') literal('null');
    else number();
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return duplicate ? { duplicate } : {};
  } catch (offset) {
    // A RangeError (absurd nesting) has no better answer than the start of the file.
    return { errorOffset: typeof offset === 'number' ? Math.min(offset, text.length) : 0 };
  }
}
