import { describe, expect, it } from 'vitest';
import type { ResolvedAccount, ResolvedScope } from '../../../src/config/model.js';
import { managedAccountIds, planAccountChanges } from '../../../src/plan/accounts.js';
import { MARKERS } from '../../../src/plan/markers.js';
import { config, desired, NOW, observed, observedAccount, STANDARD_OUS } from './fixtures.js';

/**
 * An imported organization: `organization.authoritative`, no standard tags, no morgue, accounts at
 * the root and in OUs outside any root_ou, `unmanaged:` (docs/plan.md, "Authoritative").
 */
const SCOPES: Record<string, ResolvedScope> = {
  root: { name: 'root', organization_unit: '', access: {}, settings: {} },
  dev: { name: 'dev', organization_unit: 'Internal/Dev', access: {}, settings: {} },
};
const member = (key: string, id: string, overrides: Partial<ResolvedAccount> = {}): ResolvedAccount =>
  desired(key, { id, name: key, email: `${key}@example.com`, tags: {}, ...overrides });
const imported = (accounts: ResolvedAccount[], extra: Partial<Parameters<typeof config>[1]> = {}) => ({
  ...config(accounts, {
    authoritative: true,
    standard_tags: false,
    morgue_ou: undefined,
    root_ou: undefined,
    ...extra,
  }),
  scopes: SCOPES,
});
const live = (id: string, key: string, ou: string, tags: Record<string, string> = {}) =>
  observedAccount(id, { name: key, email: `${key}@example.com`, ou, tags });
const plan = (cfg: ReturnType<typeof imported>, accounts: ReturnType<typeof live>[]) =>
  planAccountChanges({ config: cfg, observed: observed(accounts, STANDARD_OUS), now: NOW });

describe('planAccountChanges with an authoritative config', () => {
  it('has nothing to do for the organization as it is: no adoption, no markers of its own', () => {
    const p = plan(
      imported([
        member('api', '200000000001', { tags: { team: 'a' } }),
        member('tools', '200000000002', { scope: 'root', organization_unit: '' }),
      ]),
      [live('200000000001', 'api', 'Internal/Dev', { team: 'a' }), live('200000000002', 'tools', '')],
    );
    expect(p.actions).toEqual([]);
    expect(p.blocked).toEqual([]);
    expect(p.summary.unchanged).toBe(2);
  });

  it('the first change carries the markers with it, and every tag of the account is managed', () => {
    const p = plan(imported([member('api', '200000000001', { tags: { team: 'b' } })]), [
      live('200000000001', 'api', 'Internal/Dev', { team: 'a', 'set by hand': 'x' }),
    ]);
    expect(p.actions).toEqual([
      expect.objectContaining({
        action: 'tag-account',
        set: expect.objectContaining({ team: 'b', [MARKERS.key]: 'api' }),
        remove: ['set by hand'],
      }),
    ]);
    // No managed-tags list: every tag is managed, and keys with blanks are fine.
    expect((p.actions[0] as { set: Record<string, string> }).set[MARKERS.managedTags]).toBeUndefined();
  });

  it('leaves the tags AWS applied itself (aws:) alone: never removed, never drift', () => {
    const awsTags = { 'aws:cloudformation:stack-name': 'accounts', 'aws:cloudformation:logical-id': 'Api' };
    const same = plan(imported([member('api', '200000000001', { tags: { team: 'a' } })]), [
      live('200000000001', 'api', 'Internal/Dev', { team: 'a', ...awsTags }),
    ]);
    expect(same.actions).toEqual([]);
    expect(same.drift).toEqual([]);
    const changed = plan(imported([member('api', '200000000001', { tags: { team: 'b' } })]), [
      live('200000000001', 'api', 'Internal/Dev', { team: 'a', 'by hand': 'x', ...awsTags }),
    ]);
    expect(changed.actions).toEqual([
      expect.objectContaining({ action: 'tag-account', remove: ['by hand'] }),
    ]);
  });

  it('moves an account to the root and back, and writes no marker for it', () => {
    const p = plan(imported([member('api', '200000000001', { scope: 'root', organization_unit: '' })]), [
      live('200000000001', 'api', 'Internal/Dev'),
    ]);
    expect(p.actions).toEqual([
      expect.objectContaining({ action: 'move-account', from: 'Internal/Dev', to: '', drift: false }),
    ]);
  });

  it('retires an account the file no longer lists, once a morgue is set', () => {
    const accounts = [
      live('200000000001', 'api', 'Internal/Dev'),
      live('200000000009', 'gone', 'Internal/Dev'),
    ];
    const blocked = plan(imported([member('api', '200000000001')]), accounts);
    expect(blocked.blocked).toEqual([
      expect.objectContaining({ code: 'PLAN_NO_MORGUE', accountId: '200000000009' }),
    ]);
    const p = plan(imported([member('api', '200000000001')], { morgue_ou: 'Morgue' }), accounts);
    expect(p.actions).toEqual([
      expect.objectContaining({
        action: 'retire-account',
        accountId: '200000000009',
        to: 'Morgue',
        key: 'gone',
      }),
    ]);
    // Without authoritative, an account orgbridge never marked is only counted as unmanaged.
    const legacy = plan(
      {
        ...imported([member('api', '200000000001')]),
        organization: { ...imported([]).organization, authoritative: false },
      },
      accounts,
    );
    expect(legacy.actions.filter((a) => a.action === 'retire-account')).toEqual([]);
    expect(legacy.unmanaged).toEqual(['200000000009']);
  });

  it('never touches unmanaged accounts and OUs, and refuses to match them', () => {
    const accounts = [
      live('200000000001', 'api', 'Internal/Dev'),
      live('200000000002', 'legacy', 'Legacy/Old'),
      live('200000000003', 'hands-off', 'Internal/Dev'),
    ];
    const unmanaged = { accounts: ['200000000003'], organization_units: ['Legacy'], policies: [] };
    const cfg = { ...imported([member('api', '200000000001')], { morgue_ou: 'Morgue' }), unmanaged };
    const p = plan(cfg, accounts);
    expect(p.actions).toEqual([]);
    expect(p.unmanaged).toEqual(['200000000002', '200000000003']);
    // A DSL account that would be one of them (by email) is blocked, not adopted.
    const clash = {
      ...cfg,
      accounts: [...cfg.accounts, member('legacy', '200000000002', { id: undefined })],
    };
    expect(plan(clash, accounts).blocked).toEqual([
      expect.objectContaining({ code: 'PLAN_ACCOUNT_UNMANAGED', accountId: '200000000002' }),
    ]);
    expect(managedAccountIds(clash, observed(accounts, STANDARD_OUS))).not.toHaveProperty('legacy');
  });

  it('writes markers only as far as they fit beside the tags', () => {
    const tags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, 'v']));
    const p = plan(imported([member('api', '200000000001', { tags: { ...tags, t0: 'changed' } })]), [
      live('200000000001', 'api', 'Internal/Dev', tags),
    ]);
    expect(p.blocked).toEqual([]);
    const set = (p.actions[0] as { set: Record<string, string> }).set;
    expect(Object.keys(set).filter((k) => k.startsWith('orgbridge:'))).toEqual([MARKERS.key, MARKERS.ou]);
  });
});
