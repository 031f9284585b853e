import { didYouMean } from './did-you-mean.js';
import { isJsonObject, type JsonPath, type PolicyGrammarProblem, rootProblems } from './policy-grammar.js';
import { CHILD_CONTROL } from './policy-inheritance.js';

/**
 * The part of a tag policy's grammar that Organizations refuses when the policy is created or
 * updated, checked so `validate` says it first ("Tag policy syntax",
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html):
 * the policy is `{"tags": {...}}`; under `tags`, each tag takes `tag_key`, `tag_value`, `enforced_for` and
 * `report_required_tag_for`, each a map of inheritance operators (`{"@@assign": ...}`), and
 * `tag_key` assigns the tag's own name with the capitalization to enforce, so it matches the
 * policy key but for case. The operators themselves are checked in policies.ts.
 */

const TAG_SETTINGS = ['tag_key', 'tag_value', 'enforced_for', 'report_required_tag_for'];

export function tagPolicyGrammarProblems(policy: Readonly<Record<string, unknown>>): PolicyGrammarProblem[] {
  // "Tag policies always start with this fixed key name": `tags`, nothing beside it.
  const problems = rootProblems(
    policy,
    'tags',
    'a tag policy',
    '{"tags": {"costcenter": {"tag_key": {"@@assign": "CostCenter"}}}}',
  );
  const tags = policy.tags;
  if (!isJsonObject(tags)) return problems;
  for (const [name, rules] of Object.entries(tags)) {
    if (name === CHILD_CONTROL) continue;
    const path: JsonPath = ['tags', name];
    if (!isJsonObject(rules)) {
      problems.push({
        path,
        at: 'value',
        message: `tag '${name}': its rules must be a map of ${TAG_SETTINGS.join(', ')}`,
        hint: `"${name}": {"tag_key": {"@@assign": "${name}"}}`,
      });
      continue;
    }
    for (const [setting, value] of Object.entries(rules)) {
      if (setting === CHILD_CONTROL) continue;
      if (!TAG_SETTINGS.includes(setting)) {
        const suggestion = didYouMean(setting, TAG_SETTINGS);
        problems.push({
          path: [...path, setting],
          at: 'key',
          message: `tag '${name}': unknown rule '${setting}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
          hint: `a tag takes ${TAG_SETTINGS.join(', ')}`,
        });
        continue;
      }
      if (!isJsonObject(value)) {
        problems.push({
          path: [...path, setting],
          at: 'value',
          message: `tag '${name}': ${setting} must be a map of operators, not ${JSON.stringify(value)}`,
          hint: `"${setting}": {"@@assign": ${setting === 'tag_key' ? `"${name}"` : '[...]'}}`,
        });
        continue;
      }
      const assigned = value['@@assign'];
      if (setting === 'tag_key' && assigned !== undefined) {
        if (typeof assigned !== 'string' || assigned.toLowerCase() !== name.toLowerCase()) {
          problems.push({
            path: [...path, setting, '@@assign'],
            at: 'value',
            message: `tag '${name}': tag_key assigns ${JSON.stringify(assigned)}, which is not the tag's name in another case`,
            hint: `tag_key sets how '${name}' is capitalized, e.g. "@@assign": "${name}"`,
          });
        }
      }
    }
  }
  return problems;
}
