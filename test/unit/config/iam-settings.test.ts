import { describe, expect, it } from 'vitest';
import { explainAccount } from '../../../src/config/explain.js';
import { accountAlias, iamSettingsRequest, passwordPolicyRequest } from '../../../src/config/iam-settings.js';
import { BASE, errorsOf, lineOf, resolveOk, withAccounts } from './support.js';

const POLICY_BASE = BASE.replace(
  'defaults:\n',
  'defaults:\n  password_policy:\n    minimum_length: 14\n    require_symbols: true\n',
);

describe('alias and password_policy', () => {
  it('alias: unset is not managed; a template fills in each account and is made valid', () => {
    const config = resolveOk(
      withAccounts(
        `  foo_bar:\n    scope: dev\n    alias: 'Acme-{key}'\n  baz:\n    scope: dev\n    alias: acme-baz\n  qux:\n    scope: dev\n`,
        POLICY_BASE,
      ),
    );
    const byKey = new Map(config.accounts.map((a) => [a.key, a]));
    expect(accountAlias(byKey.get('foo_bar') as never)).toBe('acme-foo-bar');
    expect(accountAlias(byKey.get('baz') as never)).toBe('acme-baz');
    expect(accountAlias(byKey.get('qux') as never)).toBeUndefined();
    expect(iamSettingsRequest(byKey.get('qux') as never)).toEqual({
      password_policy: { MinimumPasswordLength: 14, RequireSymbols: true },
    });
  });

  it('an alias template in defaults that gives two accounts one alias, or an unknown placeholder, is an error there', () => {
    const shared = BASE.replace('defaults:\n', "defaults:\n  alias: 'acme-{environment}'\n");
    const text = withAccounts('  foo:\n    scope: dev\n  bar:\n    scope: dev\n', shared);
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toContain('DSL_DUPLICATE_ALIAS');
    expect(errors.find((e) => e.code === 'DSL_DUPLICATE_ALIAS')?.location?.line).toBe(lineOf(text, 'alias:'));
    const unknown = errorsOf(withAccounts('  foo:\n    scope: dev\n    alias: acme-{team}\n')).filter(
      (e) => e.code === 'DSL_UNKNOWN_PLACEHOLDER',
    );
    expect(unknown.map((e) => e.message)).toEqual(['alias: unknown placeholder {team}']);
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
