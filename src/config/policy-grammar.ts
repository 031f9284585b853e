import { didYouMean } from './did-you-mean.js';

/** A path into a policy document: object keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** A JSON object (not null, not an array): what each level of a policy document must be. */
export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** One way a policy document breaks its type's grammar, and where. */
export interface PolicyGrammarProblem {
  /** Where in the document: a key (`at: 'key'`) or the value under the path. */
  readonly path: JsonPath;
  readonly at: 'key' | 'value';
  readonly message: string;
  readonly hint: string;
}

/**
 * The top of a management policy (tag, backup): one fixed key (`tags`, `plans`) holding a map,
 * inheritance operators (`@@...`, checked in policies.ts) beside it, nothing else.
 */
export function rootProblems(
  policy: Readonly<Record<string, unknown>>,
  root: string,
  what: string,
  example: string,
): PolicyGrammarProblem[] {
  const problems: PolicyGrammarProblem[] = [];
  for (const key of Object.keys(policy)) {
    if (key === root || key.startsWith('@@')) continue;
    const suggestion = didYouMean(key, [root]);
    problems.push({
      path: [key],
      at: 'key',
      message: `unknown element '${key}' in ${what}${suggestion ? `; did you mean '${root}'?` : ''}`,
      hint: `${what} is {"${root}": {...}}`,
    });
  }
  const value = policy[root];
  if (value === undefined) {
    problems.push({ path: [], at: 'value', message: `${what} needs "${root}"`, hint: example });
  } else if (!isJsonObject(value)) {
    problems.push({ path: [root], at: 'value', message: `"${root}" must be a map`, hint: example });
  }
  return problems;
}
