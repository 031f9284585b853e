import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedAccount } from '../../../src/config/model.js';
import { closureBudget, planAccountChanges } from '../../../src/plan/accounts.js';
import { hashTags, MARKERS, managedMarkers } from '../../../src/plan/markers.js';
import { AccountPlanSchema } from '../../../src/plan/model.js';
import type { ObservedOrganization } from '../../../src/plan/observed.js';
import { simulatePlan } from '../../../src/plan/simulate.js';
import { runs } from '../../support/property.js';
import {
  config,
  desired,
  idGenerators,
  MANAGEMENT_ID,
  NOW,
  observed,
  observedAccount,
  STANDARD_OUS,
} from './fixtures.js';

type Config = ReturnType<typeof config>;

function plan(cfg: Config, obs: ObservedOrganization, now = NOW) {
  return planAccountChanges({ config: cfg, observed: obs, now });
}

/** The organization after a full sync of `cfg` from an empty one. */
function synced(cfg: Config, now = NOW): ObservedOrganization {
  const empty = observed();
  return simulatePlan(empty, plan(cfg, empty, now), idGenerators());
}

function kinds(p: ReturnType<typeof plan>): string[] {
  return p.actions.map((a) => a.action);
}

describe('planAccountChanges: from an empty organization', () => {
  const cfg = config([desired('foo'), desired('bar', { scope: 'standard' })]);
  const p = plan(cfg, observed());

  it('creates the OUs parents first, then the accounts, sorted and explained', () => {
    expect(p.actions.filter((a) => a.action === 'create-ou').map((a) => a.path)).toEqual([
      'Internal',
      'Morgue',
      'Internal/Dev',
      'Internal/Standard',
    ]);
    expect(kinds(p)).toEqual([
      'create-ou',
      'create-ou',
      'create-ou',
      'create-ou',
      'create-account',
      'create-account',
    ]);
    const created = p.actions.filter((a) => a.action === 'create-account');
    expect(created.map((a) => a.key)).toEqual(['bar', 'foo']);
    const foo = created.find((a) => a.key === 'foo');
    expect(foo).toMatchObject({
      name: 'foo-nonprod-us-east-1',
      email: 'aws+foo@example.com',
      ou: 'Internal/Dev',
    });
    expect(foo?.tags).toMatchObject({ scope: 'dev', 'service-name': 'foo', [MARKERS.key]: 'foo' });
    expect(foo?.tags[MARKERS.managedTags]).toBe('environment region scope service-name');
    for (const a of p.actions) expect(a.reason.length).toBeGreaterThan(5);
    expect(p.summary.actions).toEqual({ 'create-ou': 4, 'create-account': 2 });
  });

  it('produces a plan that validates against the documented schema', () => {
    expect(AccountPlanSchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('plans nothing once applied', () => {
    const after = synced(cfg);
    const again = plan(cfg, after);
    expect(again.actions).toEqual([]);
    expect(again.drift).toEqual([]);
    expect(again.summary.unchanged).toBe(2);
  });
});

describe('planAccountChanges: adoption', () => {
  it('adopts by id, email and name, and never by a name shared by two accounts', () => {
    const byId = observedAccount('200000000001', { ou: 'Internal/Dev' });
    const byEmail = observedAccount('200000000002', { email: 'AWS+mail@example.com', ou: 'Internal/Dev' });
    const byName = observedAccount('200000000003', { name: 'named-nonprod-us-east-1', ou: 'Internal/Dev' });
    const twinA = observedAccount('200000000004', { name: 'twin-nonprod-us-east-1' });
    const twinB = observedAccount('200000000005', { name: 'twin-nonprod-us-east-1' });
    const cfg = config([
      desired('ided', { id: '200000000001' }),
      desired('mail'),
      desired('named'),
      desired('twin'),
    ]);
    const p = plan(cfg, observed([byId, byEmail, byName, twinA, twinB], STANDARD_OUS));
    const adopts = p.actions.filter((a) => a.action === 'adopt-account');
    expect(adopts.map((a) => [a.key, a.accountId, a.matchedBy])).toEqual([
      ['ided', '200000000001', 'id'],
      ['mail', '200000000002', 'email'],
      ['named', '200000000003', 'name'],
    ]);
    expect(p.blocked.map((b) => [b.code, b.key])).toEqual([['PLAN_AMBIGUOUS_NAME', 'twin']]);
    // Adopted accounts are tagged (markers included) in place; none is created.
    expect(p.actions.filter((a) => a.action === 'create-account')).toEqual([]);
    const tag = p.actions.find((a) => a.action === 'tag-account' && a.key === 'mail');
    expect(tag?.action === 'tag-account' && tag.set[MARKERS.ou]).toBe('ou-dev');
    expect(tag?.action === 'tag-account' && tag.set[MARKERS.key]).toBe('mail');
    // Different name/email than the DSL is reported, never "fixed".
    expect(p.warnings.map((w) => w.code)).toContain('PLAN_NAME_DIFFERS');
  });

  it('blocks an unknown explicit id instead of creating an account', () => {
    const p = plan(config([desired('foo', { id: '999999999999' })]), observed([], STANDARD_OUS));
    expect(p.blocked[0]?.code).toBe('PLAN_ACCOUNT_ID_NOT_FOUND');
    expect(p.actions).toEqual([]);
  });

  it('blocks two DSL accounts with one email and the management account used as a member', () => {
    const p = plan(
      config([
        desired('a', { email: 'same@example.com' }),
        desired('b', { email: 'SAME@example.com' }),
        desired('m', { id: MANAGEMENT_ID }),
      ]),
      observed([], STANDARD_OUS),
    );
    expect(p.blocked.map((b) => b.code).sort()).toEqual([
      'PLAN_DUPLICATE_EMAIL',
      'PLAN_MANAGEMENT_AS_MEMBER',
    ]);
  });
});

describe('planAccountChanges: placement and drift', () => {
  const cfg = config([desired('foo'), desired('bar')]);

  it('moves an account whose scope changed, without calling it drift', () => {
    const state = synced(cfg);
    const changed = config([desired('foo', { scope: 'standard' }), desired('bar')]);
    const p = plan(changed, state);
    expect(p.drift).toEqual([]);
    const moves = p.actions.filter((a) => a.action === 'move-account');
    expect(moves).toHaveLength(1);
    expect(moves[0]).toMatchObject({
      key: 'foo',
      from: 'Internal/Dev',
      to: 'Internal/Standard',
      drift: false,
    });
    expect(moves[0]?.reason).toContain("scope 'standard'");
  });

  it('reports an out-of-band move as drift and moves the account back', () => {
    const state = synced(cfg);
    const foo = state.accounts.find((a) => a.tags[MARKERS.key] === 'foo');
    if (!foo) throw new Error('foo missing');
    foo.ou = 'Internal/Standard';
    const p = plan(cfg, state);
    expect(p.drift).toEqual([
      expect.objectContaining({
        kind: 'moved',
        key: 'foo',
        expected: 'Internal/Dev',
        actual: 'Internal/Standard',
      }),
    ]);
    expect(p.actions).toEqual([
      expect.objectContaining({ action: 'move-account', key: 'foo', to: 'Internal/Dev', drift: true }),
    ]);
  });

  it('reports managed tags edited out of band as drift, and leaves unmanaged tags alone', () => {
    const state = synced(cfg);
    const foo = state.accounts.find((a) => a.tags[MARKERS.key] === 'foo');
    if (!foo) throw new Error('foo missing');
    foo.tags.environment = 'prod';
    foo.tags['cost-center'] = 'set-by-finance';
    const p = plan(cfg, state);
    expect(p.drift).toEqual([
      expect.objectContaining({
        kind: 'retagged',
        key: 'foo',
        expected: 'environment=nonprod',
        actual: 'environment=prod',
      }),
    ]);
    expect(p.actions).toEqual([
      expect.objectContaining({
        action: 'tag-account',
        set: { environment: 'nonprod' },
        remove: [],
        drift: true,
      }),
    ]);
  });

  it('adds, changes and removes managed tags when the DSL changes', () => {
    const state = synced(cfg);
    const next = desired('foo');
    const tags: Record<string, string> = { ...next.tags, team: 'blue', environment: 'sandbox' };
    delete tags.region;
    const p = plan(config([{ ...next, tags }, desired('bar')]), state);
    expect(p.drift).toEqual([]);
    expect(p.actions).toHaveLength(1);
    const t = p.actions[0];
    if (t?.action !== 'tag-account') throw new Error('expected a tag action');
    expect(t.set).toEqual({
      environment: 'sandbox',
      team: 'blue',
      [MARKERS.managedTags]: 'environment scope service-name team',
      [MARKERS.tagsHash]: hashTags(tags),
    });
    expect(t.remove).toEqual(['region']);
    expect(t.reason).toBe(
      'adds team; changes environment; removes region (no longer in the DSL); updates orgbridge markers',
    );
  });
});

describe('planAccountChanges: retirement, protection and the morgue', () => {
  it('retires a managed account that left the DSL into the morgue; leaves unmanaged ones alone', () => {
    const state = synced(config([desired('foo'), desired('bar')]));
    state.accounts.push(observedAccount('300000000001', { ou: 'Internal/Dev' }));
    const p = plan(config([desired('bar')]), state);
    expect(p.actions).toEqual([
      expect.objectContaining({
        action: 'retire-account',
        key: 'foo',
        from: 'Internal/Dev',
        to: 'Morgue',
        set: { [MARKERS.retired]: '2026-06-01' },
      }),
    ]);
    expect(p.unmanaged).toEqual(['300000000001']);
    // Retired stays retired: the next plan does nothing more (closing is off by default).
    const after = simulatePlan(state, p, idGenerators());
    expect(plan(config([desired('bar')]), after).actions).toEqual([]);
  });

  it('never retires a protected account, even after it left the DSL', () => {
    const state = synced(config([desired('foo', { protect: true })]));
    expect(state.accounts.find((a) => a.tags[MARKERS.key] === 'foo')?.tags[MARKERS.protect]).toBe('true');
    const p = plan(config([]), state);
    expect(p.actions).toEqual([]);
    expect(p.warnings.map((w) => w.code)).toEqual(['PLAN_PROTECTED_NOT_RETIRED']);
  });

  it('unprotecting removes the marker', () => {
    const state = synced(config([desired('foo', { protect: true })]));
    const p = plan(config([desired('foo')]), state);
    expect(p.actions).toEqual([
      expect.objectContaining({ action: 'tag-account', remove: [MARKERS.protect] }),
    ]);
  });

  it('retires an unprotected account only an hour after the unprotect, on a later run', () => {
    const state = synced(config([desired('foo', { protect: true }), desired('bar')]));
    const unprotected = simulatePlan(
      state,
      plan(config([desired('foo'), desired('bar')]), state),
      idGenerators(),
    );
    const foo = unprotected.accounts.find((a) => a.tags[MARKERS.key] === 'foo');
    expect(foo?.tags[MARKERS.unprotected]).toBe(NOW.toISOString());
    // The same run (or one minutes later) does not retire it; it says when a run will.
    const soon = plan(config([desired('bar')]), unprotected, new Date(NOW.getTime() + 10 * 60_000));
    expect(soon.actions).toEqual([]);
    expect(soon.warnings).toEqual([
      expect.objectContaining({
        code: 'PLAN_RETIRE_COOLING_OFF',
        key: 'foo',
        message: expect.stringContaining('2026-06-01T13:00:00.000Z'),
      }),
    ]);
    const later = plan(config([desired('bar')]), unprotected, new Date(NOW.getTime() + 61 * 60_000));
    expect(kinds(later)).toEqual(['retire-account']);
    // Protected again, the record is gone: nothing left to wait for.
    const again = simulatePlan(
      unprotected,
      plan(config([desired('foo', { protect: true }), desired('bar')]), unprotected),
      idGenerators(),
    );
    expect(
      again.accounts.find((a) => a.tags[MARKERS.key] === 'foo')?.tags[MARKERS.unprotected],
    ).toBeUndefined();
  });

  it('never re-creates an account that sits in the morgue; restores it only with an explicit id', () => {
    const state = synced(config([desired('foo'), desired('bar')]));
    const retired = simulatePlan(state, plan(config([desired('bar')]), state), idGenerators());
    const fooId = retired.accounts.find((a) => a.tags[MARKERS.key] === 'foo')?.id as string;
    const back = plan(config([desired('foo'), desired('bar')]), retired);
    expect(back.actions).toEqual([]);
    expect(back.blocked).toEqual([
      expect.objectContaining({ code: 'PLAN_ACCOUNT_IN_MORGUE', key: 'foo', accountId: fooId }),
    ]);
    expect(back.blocked[0]?.message).toContain(`id: ${fooId}`);

    const restored = plan(config([desired('foo', { id: fooId }), desired('bar')]), retired);
    expect(restored.drift).toEqual([]);
    expect(kinds(restored)).toEqual(['move-account', 'tag-account']);
    expect(restored.actions[1]).toMatchObject({ remove: [MARKERS.retired] });
    const after = simulatePlan(retired, restored, idGenerators());
    expect(plan(config([desired('foo', { id: fooId }), desired('bar')]), after).actions).toEqual([]);
  });

  it('blocks a DSL account whose email belongs to a closed account', () => {
    const closed = observedAccount('300000000002', {
      email: 'aws+foo@example.com',
      status: 'SUSPENDED',
      ou: 'Morgue',
    });
    const p = plan(config([desired('foo')]), observed([closed], STANDARD_OUS));
    expect(p.blocked.map((b) => b.code)).toEqual(['PLAN_ACCOUNT_CLOSED']);
    expect(p.actions).toEqual([]);
  });

  it('does not retire an account whose DSL entry is blocked', () => {
    const state = synced(config([desired('foo')]));
    const bad = desired('foo', { tags: { 'orgbridge:key': 'x' } });
    const p = plan(config([bad]), state);
    expect(p.blocked.map((b) => b.code)).toEqual(['PLAN_RESERVED_TAG']);
    expect(p.actions).toEqual([]);
  });

  it('blocks tags AWS would refuse (an aws: prefix, a character outside its set) before any call', () => {
    const state = synced(config([desired('foo')]));
    for (const [tags, code] of [
      [{ 'aws:team': 'x' }, 'PLAN_AWS_RESERVED_TAG'],
      [{ team: 'Aws:x' }, 'PLAN_AWS_RESERVED_TAG'],
      [{ 'team!': 'x' }, 'PLAN_TAG_INVALID_CHARACTER'],
      [{ team: 'a;b' }, 'PLAN_TAG_INVALID_CHARACTER'],
    ] as const) {
      const p = plan(config([desired('foo', { tags })]), state);
      expect(p.blocked.map((b) => b.code)).toEqual([code]);
      expect(p.actions).toEqual([]);
    }
  });
});

describe('planAccountChanges: special accounts', () => {
  it('creates missing special accounts, but never moves or retires existing ones', () => {
    const cicd = observedAccount('400000000001', {
      name: 'cicd',
      email: 'aws+cicd@example.com',
      ou: 'Internal',
    });
    const special = (key: string, kind: ResolvedAccount['kind'], extra: Partial<ResolvedAccount> = {}) =>
      desired(key, { kind, name: key, email: `aws+${key}@example.com`, ...extra });
    const cfg = config([
      special('management', 'management'),
      special('cicd', 'cicd'),
      special('logs', 'logs'),
    ]);
    const p = plan(cfg, observed([cicd], STANDARD_OUS));
    expect(p.actions.map((a) => [a.action, 'key' in a ? a.key : a.path])).toEqual([
      ['create-account', 'logs'],
      ['tag-account', 'cicd'],
    ]);
    expect(p.actions[0]?.reason).toBe("special account 'logs' (logs) does not exist yet");
    // The management account is never changed; its tags differ from the DSL's, and the plan says so.
    expect(p.warnings.map((w) => [w.code, w.key])).toEqual([
      ['PLAN_SPECIAL_ACCOUNT_ELSEWHERE', 'cicd'],
      ['PLAN_MANAGEMENT_TAGS_NOT_MANAGED', 'management'],
    ]);
    expect(p.unmanaged).toEqual([]);
    // Once it exists and carries the DSL's tags, a special account outside its OU stays there.
    const after = simulatePlan(observed([cicd], STANDARD_OUS), p, idGenerators());
    const logs = after.accounts.find((a) => a.name === 'logs');
    if (!logs) throw new Error('logs missing');
    logs.ou = 'Internal';
    expect(plan(cfg, after).actions).toEqual([]);
    // ...and never retired when it leaves the DSL's special list: it is still matched as special.
    expect(
      plan(config([special('logs', 'logs')]), after).actions.filter((a) => a.action === 'retire-account'),
    ).toEqual([]);
  });

  it('brings the tags of special accounts to the DSL, but never removes their markers', () => {
    const special = (key: string, kind: ResolvedAccount['kind'], extra: Partial<ResolvedAccount> = {}) =>
      desired(key, { kind, name: key, email: `aws+${key}@example.com`, ...extra });
    const cfg = config([special('cicd', 'cicd', { protect: true }), special('audit', 'audit')]);
    const state = synced(cfg);
    expect(plan(cfg, state).actions).toEqual([]);
    // defaults.tags changed: every special account follows, as `explain` says it will.
    const withTeam = (d: ResolvedAccount) => ({ ...d, tags: { ...d.tags, team: 'platform' } });
    const retagged = config([withTeam(special('cicd', 'cicd')), withTeam(special('audit', 'audit'))]);
    const p = plan(retagged, state);
    const tags = p.actions.filter((a) => a.action === 'tag-account');
    expect(tags.map((a) => [a.key, a.set.team, a.remove])).toEqual([
      ['audit', 'platform', []],
      ['cicd', 'platform', []],
    ]);
    // cicd was protected; the DSL no longer says so, but the marker stays: no event removes a
    // special account's markers, so the plan never asks for it.
    expect(tags.every((a) => !a.remove.includes(MARKERS.protect))).toBe(true);
    const after = simulatePlan(state, p, idGenerators());
    expect(plan(retagged, after).actions).toEqual([]);
  });

  it('warns, and leaves alone, a management account whose tags differ from the DSL', () => {
    const mgmt = observedAccount('400000000009', { name: 'management', email: 'aws+management@example.com' });
    const cfg = config([
      desired('management', {
        kind: 'management',
        name: 'management',
        email: 'aws+management@example.com',
        tags: { team: 'platform' },
      }),
    ]);
    const p = plan(cfg, observed([mgmt], STANDARD_OUS));
    expect(p.actions).toEqual([]);
    expect(p.warnings).toEqual([
      expect.objectContaining({
        code: 'PLAN_MANAGEMENT_TAGS_NOT_MANAGED',
        message: expect.stringContaining('team=platform'),
      }),
    ]);
  });
});

describe('planAccountChanges: closing retired accounts', () => {
  const old = '2026-01-01T00:00:00.000Z';
  function retiredOrg(n: number, extra: Partial<Parameters<typeof observedAccount>[1]> = {}) {
    const accounts = Array.from({ length: n }, (_, i) =>
      observedAccount(String(500000000000 + i), {
        ou: 'Morgue',
        joined: old,
        tags: { [MARKERS.key]: `gone${i}`, [MARKERS.retired]: '2026-05-01', [MARKERS.ou]: 'ou-morgue' },
        ...extra,
      }),
    );
    return observed(accounts, STANDARD_OUS);
  }

  it('closes nothing unless organization.close_retired_accounts is on', () => {
    expect(plan(config([]), retiredOrg(2)).actions).toEqual([]);
  });

  it('closes at most 3 at once and defers the rest', () => {
    const p = plan(config([], { close_retired_accounts: true }), retiredOrg(5));
    expect(p.actions.map((a) => a.action)).toEqual(['close-account', 'close-account', 'close-account']);
    expect(p.warnings.map((w) => w.code)).toEqual(Array(2).fill('PLAN_CLOSE_DEFERRED'));
  });

  it('never closes an account younger than 7 days', () => {
    const p = plan(
      config([], { close_retired_accounts: true }),
      retiredOrg(1, { joined: '2026-05-28T00:00:00.000Z' }),
    );
    expect(p.actions).toEqual([]);
    expect(p.warnings[0]?.code).toBe('PLAN_CLOSE_TOO_YOUNG');
    expect(p.warnings[0]?.message).toContain('2026-06-04');
  });

  it('retires and closes in one plan when allowed; the next plan is empty', () => {
    const state = synced(config([desired('foo')]), new Date('2026-01-01T00:00:00.000Z'));
    const p = plan(config([], { close_retired_accounts: true }), state);
    expect(kinds(p)).toEqual(['retire-account', 'close-account']);
    const after = simulatePlan(state, p, idGenerators());
    expect(after.accounts.find((a) => a.tags[MARKERS.key] === 'foo')?.status).toBe('SUSPENDED');
    expect(plan(config([], { close_retired_accounts: true }), after).actions).toEqual([]);
  });

  it('counts the quota as 10 % of members per 30 days, min 10, max 1000, minus recent closures', () => {
    const members = (n: number, closedRecently = 0, pending = 0): ObservedOrganization => {
      const accounts = Array.from({ length: n }, (_, i) => observedAccount(String(600000000000 + i)));
      for (let i = 0; i < closedRecently; i++) {
        accounts.push(
          observedAccount(String(700000000000 + i), {
            status: 'SUSPENDED',
            tags: { [MARKERS.closed]: '2026-05-20T00:00:00.000Z' },
          }),
        );
      }
      // Closed long ago: outside the rolling window.
      accounts.push(
        observedAccount('799999999999', {
          status: 'SUSPENDED',
          tags: { [MARKERS.closed]: '2026-01-01T00:00:00.000Z' },
        }),
      );
      for (let i = 0; i < pending; i++)
        accounts.push(observedAccount(String(710000000000 + i), { status: 'PENDING_CLOSURE' }));
      return observed(accounts);
    };
    expect(closureBudget(members(50), NOW)).toMatchObject({ windowLimit: 10, allowed: 3 });
    expect(closureBudget(members(300), NOW)).toMatchObject({ windowLimit: 30 });
    expect(closureBudget(members(20_000), NOW)).toMatchObject({ windowLimit: 1000 });
    expect(closureBudget(members(50, 8), NOW)).toMatchObject({ usedInWindow: 8, allowed: 2 });
    expect(closureBudget(members(50, 10), NOW)).toMatchObject({ allowed: 0 });
    expect(closureBudget(members(50, 0, 2), NOW)).toMatchObject({ pending: 2, allowed: 1 });
  });
});

describe('planAccountChanges: determinism and validation', () => {
  it('gives the same plan whatever the order of the observed and the desired accounts', () => {
    const state = synced(config([desired('a'), desired('b'), desired('c'), desired('d')]));
    const cfg = config([desired('c', { scope: 'standard' }), desired('e'), desired('a')]);
    const expected = JSON.stringify(plan(cfg, state));
    const all = <T>(items: readonly T[]) =>
      fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
    fc.assert(
      fc.property(all(state.accounts), all(cfg.accounts), (observedOrder, desiredOrder) => {
        expect(JSON.stringify(plan(config(desiredOrder), { ...state, accounts: observedOrder }))).toBe(
          expected,
        );
      }),
      { numRuns: runs(100) },
    );
  });

  it('rejects OUs deeper than the configured limit and tags beyond the account limit', () => {
    const deep = desired('deep', { organization_unit: 'A/B/C/D/E/F' });
    const many = desired('many', {
      tags: Object.fromEntries(Array.from({ length: 46 }, (_, i) => [`t${i}`, 'v'])),
    });
    const p = plan(config([deep, many]), observed([], STANDARD_OUS));
    expect(p.blocked.map((b) => b.code)).toEqual(['PLAN_OU_TOO_DEEP', 'PLAN_TOO_MANY_TAGS']);
  });

  it('writes the markers the simulator and handlers rely on', () => {
    const d = desired('foo', { protect: true });
    expect(managedMarkers('foo', d.tags, true)).toEqual({
      [MARKERS.key]: 'foo',
      [MARKERS.managedTags]: 'environment region scope service-name',
      [MARKERS.tagsHash]: hashTags(d.tags),
      [MARKERS.protect]: 'true',
    });
    expect(hashTags({ b: '1', a: '2' })).toBe(hashTags({ a: '2', b: '1' }));
  });
});
