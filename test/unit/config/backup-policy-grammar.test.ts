import { describe, expect, it } from 'vitest';
import { backupPolicyGrammarProblems } from '../../../src/config/backup-policy-grammar.js';
import { errorsOf, lineOf, withAccounts } from './support.js';

describe('backup policy grammar (its top)', () => {
  it('takes {"plans": {...}}, with operators beside it, and nothing else', () => {
    expect(backupPolicyGrammarProblems({ plans: { Daily: {} } })).toEqual([]);
    expect(
      backupPolicyGrammarProblems({ plans: {}, '@@operators_allowed_for_child_policies': ['@@none'] }),
    ).toEqual([]);
    expect(backupPolicyGrammarProblems({ plan: { Daily: {} } }).map((p) => p.message)).toEqual([
      "unknown element 'plan' in a backup policy; did you mean 'plans'?",
      'a backup policy needs "plans"',
    ]);
    expect(backupPolicyGrammarProblems({ plans: ['Daily'] }).map((p) => p.message)).toEqual([
      '"plans" must be a map',
    ]);
  });

  it('validate reports a misspelled plans at its line', () => {
    const text = JSON.stringify(
      { plan: { Daily: { regions: { '@@assign': ['ap-southeast-2'] } } } },
      null,
      2,
    );
    const errors = errorsOf(withAccounts(''), [{ path: 'policies/backup/Internal/daily.json', text }]);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_POLICY_INVALID', 1],
      ['DSL_POLICY_INVALID', lineOf(text, '"plan"')],
    ]);
  });
});
