import { describe, expect, it } from 'vitest';
import { explainAccount } from '../../../src/config/explain.js';
import { accountAlias, passwordPolicyRequest } from '../../../src/config/iam-settings.js';
import { BASE, errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

const POLICY_BASE = BASE.replace(
  'defaults:\n',
  'defaults:\n  password_policy:\n    minimum_length: 14\n    require_symbols: true\n',
);

describe('alias and password_policy', () => {
  it('alias defaults to the account name made valid; an alias on a layer wins', () => {
    const config = resolveOk(
      withAccounts(`  foo_bar:\n    scope: dev\n  baz:\n    scope: dev\n    alias: acme-baz\n`, POLICY_BASE),
    );
    const byKey = new Map(config.accounts.map((a) => [a.key, a]));
    expect(byKey.get('foo_bar')?.name).toBe('foo_bar-nonprod-ap-southeast-2');
    expect(accountAlias(byKey.get('foo_bar') as never)).toBe('foo-bar-nonprod-ap-southeast-2');
    expect(accountAlias(byKey.get('baz') as never)).toBe('acme-baz');
  });

  it('password_policy inherits defaults -> scope -> account (a layer replaces it) with provenance', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n  bar:\n    scope: dev\n    password_policy:\n      minimum_length: 20\n`,
      POLICY_BASE,
    );
    const config = resolveOk(text);
    const byKey = new Map(config.accounts.map((a) => [a.key, a]));
    expect(passwordPolicyRequest(byKey.get('foo') as never)).toEqual({
      MinimumPasswordLength: 14,
      RequireSymbols: true,
    });
    expect(passwordPolicyRequest(byKey.get('bar') as never)).toEqual({ MinimumPasswordLength: 20 });
    expect(byKey.get('bar')?.provenance.password_policy).toMatchObject({
      layer: 'account',
      line: lineOf(text, 'password_policy', 2),
    });
    expect(byKey.get('foo')?.provenance.password_policy).toMatchObject({ layer: 'defaults' });
    expect(
      passwordPolicyRequest(resolveOk(withAccounts('  x:\n    scope: dev\n')).accounts[0] as never),
    ).toBeUndefined();
    expect(
      explainAccount(byKey.get('bar') as never).find((r) => r.setting === 'password_policy'),
    ).toMatchObject({
      provenance: { layer: 'account' },
    });
  });

  it('rejects invalid and duplicate aliases and out-of-range policies, positioned', () => {
    const text = withAccounts(
      `  foo:\n    scope: dev\n    alias: same\n  bar:\n    scope: dev\n    alias: same\n  baz:\n    scope: dev\n    alias: Bad--Alias\n    password_policy:\n      minimum_length: 3\n`,
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      // Accounts are in key order: bar comes first, foo repeats its alias.
      ['DSL_DUPLICATE_ALIAS', lineOf(text, 'alias: same', 1)],
      ['DSL_INVALID_VALUE', lineOf(text, 'alias: Bad')],
      [expect.stringMatching(/^DSL_INVALID/), lineOf(text, 'minimum_length')],
    ]);
  });
});
