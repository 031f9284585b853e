import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedAccount } from '../../../src/config/model.js';
import { managedAccountIds, matchAccounts, planAccountChanges } from '../../../src/plan/accounts.js';
import { MARKERS } from '../../../src/plan/markers.js';
import { runs } from '../../support/property.js';
import { config, desired, MANAGEMENT_ID, NOW, observed, observedAccount, STANDARD_OUS } from './fixtures.js';

const management: ResolvedAccount = {
  ...desired('management'),
  kind: 'management',
  name: 'Main',
  email: 'root@example.org',
};

describe('matchAccounts / managedAccountIds: the planner’s matching, shared with templates', () => {
  it('recognises the management account without `id:` (the organization says which it is)', () => {
    const ids = managedAccountIds(config([management]), observed());
    expect(ids).toEqual({ management: MANAGEMENT_ID });
    expect(matchAccounts(config([management]), observed()).get('management')?.by).toBe('id');
  });

  it('prefers the orgbridge:key tag over an email match', () => {
    const tagged = observedAccount('200000000001', { tags: { [MARKERS.key]: 'web' } });
    const sameEmail = observedAccount('200000000002', { email: 'aws+web@example.com' });
    const ids = managedAccountIds(config([desired('web')]), observed([tagged, sameEmail]));
    expect(ids).toEqual({ web: '200000000001' });
  });

  it('gives no id to a closed account, the management account as a member, or a retired one', () => {
    const closed = observedAccount('200000000001', { email: 'aws+web@example.com', status: 'SUSPENDED' });
    const retired = observedAccount('200000000002', { email: 'aws+old@example.com', ou: 'Morgue' });
    const asMember = desired('boss', { email: 'aws+management@example.com' });
    const ids = managedAccountIds(
      config([desired('web'), desired('old'), asMember]),
      observed([closed, retired], STANDARD_OUS),
    );
    expect(ids).toEqual({});
    // ... but a retired account whose `id:` is back in the DSL is restored, hence managed.
    const restored = managedAccountIds(
      config([desired('old', { id: '200000000002' })]),
      observed([retired], STANDARD_OUS),
    );
    expect(restored).toEqual({ old: '200000000002' });
  });

  it('matches an observed account at most once and never by an ambiguous name', () => {
    const a = observedAccount('200000000001', { name: 'web-nonprod-us-east-1' });
    const b = observedAccount('200000000002', { name: 'web-nonprod-us-east-1' });
    expect(managedAccountIds(config([desired('web')]), observed([a, b]))).toEqual({});
    const one = observedAccount('200000000003', { email: 'aws+x@example.com' });
    const twice = [desired('x'), desired('y', { id: '200000000003' })];
    // Keys are visited sorted: x claims it by email, y's `id:` then finds it taken (the planner
    // blocks y with PLAN_DUPLICATE_MATCH).
    expect(managedAccountIds(config(twice), observed([one]))).toEqual({ x: '200000000003' });
  });

  it('agrees with planAccountChanges on every account the plan names (property)', () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const accountArb = fc.record({
      key: fc.constantFrom(...keys),
      by: fc.constantFrom('email', 'name', 'tag', 'id', 'none', 'closed'),
    });
    fc.assert(
      fc.property(fc.uniqueArray(accountArb, { selector: (r) => r.key, maxLength: 5 }), (specs) => {
        const wanted: ResolvedAccount[] = [management];
        const existing = specs.flatMap((s, i) => {
          const id = String(300000000000 + i);
          const mine = desired(s.key);
          wanted.push(s.by === 'id' ? { ...mine, id } : mine);
          if (s.by === 'none') return [];
          return [
            observedAccount(id, {
              ou: 'Internal/Dev',
              ...(s.by === 'email' || s.by === 'closed' ? { email: mine.email } : {}),
              ...(s.by === 'name' ? { name: mine.name } : {}),
              ...(s.by === 'tag' ? { tags: { [MARKERS.key]: s.key } } : {}),
              ...(s.by === 'closed' ? { status: 'SUSPENDED' as const } : {}),
            }),
          ];
        });
        const cfg = config(wanted);
        const org = observed(existing, STANDARD_OUS);
        const ids = managedAccountIds(cfg, org);
        const plan = planAccountChanges({ config: cfg, observed: org, now: NOW });
        expect(ids.management).toBe(MANAGEMENT_ID);
        for (const action of plan.actions) {
          if (action.action === 'create-account') expect(ids[action.key]).toBeUndefined();
          else if ('accountId' in action && 'key' in action) expect(ids[action.key]).toBe(action.accountId);
        }
        for (const notice of plan.blocked) {
          if (notice.code === 'PLAN_ACCOUNT_CLOSED' && notice.key) expect(ids[notice.key]).toBeUndefined();
        }
      }),
      { numRuns: runs(200) },
    );
  });
});
