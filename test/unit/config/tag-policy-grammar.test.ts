import { describe, expect, it } from 'vitest';
import { tagPolicyGrammarProblems } from '../../../src/config/tag-policy-grammar.js';
import { errorsOf, lineOf, withAccounts } from './support.js';

const messages = (policy: Record<string, unknown>) => tagPolicyGrammarProblems(policy).map((p) => p.message);

/** "Tag policy syntax": what Organizations refuses in a tag policy, caught before it does. */
describe('tag policy grammar', () => {
  it('accepts the documented forms: any case of the policy key, operators, report_required_tag_for', () => {
    expect(
      messages({
        tags: {
          costcenter: {
            tag_key: { '@@assign': 'CostCenter', '@@operators_allowed_for_child_policies': ['@@none'] },
            tag_value: { '@@assign': ['100', '200'] },
            enforced_for: { '@@assign': ['secretsmanager:*'] },
            report_required_tag_for: { '@@assign': ['ec2:instance'] },
          },
          Project: { tag_value: { '@@append': ['C'] } },
        },
      }),
    ).toEqual([]);
  });

  it('refuses what AWS refuses: no tags, unknown rules, a rule that is not operators, a tag_key of another name', () => {
    expect(messages({ tag: {} })).toEqual([
      "unknown element 'tag' in a tag policy; did you mean 'tags'?",
      'a tag policy needs "tags"',
    ]);
    expect(messages({ tags: { owner: { tag_values: { '@@assign': ['x'] } } } })).toEqual([
      "tag 'owner': unknown rule 'tag_values'; did you mean 'tag_value'?",
    ]);
    expect(messages({ tags: { owner: { tag_key: 'Owner' } } })).toEqual([
      `tag 'owner': tag_key must be a map of operators, not "Owner"`,
    ]);
    expect(messages({ tags: { 'cost-centre': { tag_key: { '@@assign': 'CostCentre' } } } })).toEqual([
      `tag 'cost-centre': tag_key assigns "CostCentre", which is not the tag's name in another case`,
    ]);
    expect(messages({ tags: ['owner'] })).toEqual(['"tags" must be a map']);
  });

  it('validate reports it at the line of the rule in the policy file', () => {
    const text = JSON.stringify(
      { tags: { owner: { tag_key: { '@@assign': 'Owner' }, tag_vaule: {} } } },
      null,
      2,
    );
    const errors = errorsOf(withAccounts(''), [{ path: 'policies/tag/Internal/owner.json', text }]);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_POLICY_INVALID', 'policies/tag/Internal/owner.json', lineOf(text, 'tag_vaule')],
    ]);
  });
});
