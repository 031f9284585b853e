import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedAccount } from '../../../src/config/model.js';
import { planAccountChanges } from '../../../src/plan/accounts.js';
import { MARKERS } from '../../../src/plan/markers.js';
import type { ObservedAccount, ObservedOrganization } from '../../../src/plan/observed.js';
import { simulatePlan } from '../../../src/plan/simulate.js';
import { runs } from '../../support/property.js';
import { config, desired, idGenerators, NOW, observed, observedAccount } from './fixtures.js';

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const TAG_KEYS = ['team', 'cost', 'tier', 'owner'];
const OUS = ['', 'Internal', 'Internal/Dev', 'Internal/Standard', 'Elsewhere'];

const desiredArb: fc.Arbitrary<ResolvedAccount[]> = fc
  .uniqueArray(
    fc.record({
      key: fc.constantFrom(...KEYS),
      scope: fc.constantFrom('dev', 'standard'),
      tags: fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.constantFrom('x', 'y')),
      protect: fc.boolean(),
    }),
    { selector: (r) => r.key, maxLength: KEYS.length },
  )
  .map((rs) =>
    rs.map((r) =>
      desired(r.key, { scope: r.scope, tags: { ...r.tags, scope: r.scope }, protect: r.protect }),
    ),
  );

/** Out-of-band changes a person (or another tool) may make to the organization. */
const tamperArb = fc.array(
  fc.record({
    index: fc.nat(),
    kind: fc.constantFrom('move', 'retag', 'untag-marker', 'add-unmanaged', 'add-namesake'),
    ou: fc.constantFrom(...OUS),
    value: fc.constantFrom('x', 'y', 'z'),
  }),
  { maxLength: 6 },
);

function tamper(
  state: ObservedOrganization,
  edits: ReadonlyArray<{ index: number; kind: string; ou: string; value: string }>,
): ObservedOrganization {
  const accounts: ObservedAccount[] = state.accounts.map((a) => ({ ...a, tags: { ...a.tags } }));
  const ous: Record<string, string> = { ...state.ous, Elsewhere: 'ou-elsewhere' };
  let n = 0;
  for (const e of edits) {
    const target = accounts[e.index % accounts.length];
    if (!target || target.id === state.managementAccountId) continue;
    switch (e.kind) {
      case 'move':
        if (ous[e.ou] !== undefined) target.ou = e.ou;
        break;
      case 'retag':
        target.tags.team = e.value;
        break;
      case 'untag-marker':
        delete target.tags[MARKERS.ou];
        break;
      case 'add-unmanaged':
        accounts.push(observedAccount(String(810000000000 + n++), { ou: e.ou in ous ? e.ou : '' }));
        break;
      case 'add-namesake':
        accounts.push(
          observedAccount(String(820000000000 + n++), {
            name: `${KEYS[e.index % KEYS.length]}-nonprod-us-east-1`,
          }),
        );
        break;
    }
  }
  return { ...state, ous, accounts };
}

function run(cfg: ReturnType<typeof config>, state: ObservedOrganization) {
  return planAccountChanges({ config: cfg, observed: state, now: NOW });
}

describe('planAccountChanges: properties', () => {
  it('applying the plan yields an organization whose re-plan is empty', () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, tamperArb, (before, after, edits) => {
        const ids = idGenerators();
        const empty = observed();
        const start = simulatePlan(empty, run(config(before), empty), ids);
        const state = tamper(start, edits);
        const cfg = config(after);
        const p = run(cfg, state);
        const applied = simulatePlan(state, p, ids);
        const again = run(cfg, applied);
        expect(again.actions).toEqual([]);
        expect(again.drift).toEqual([]);
      }),
      { numRuns: runs(300) },
    );
  });

  it('with closing on, repeated runs converge within the closure quota', () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, (before, after) => {
        const old = new Date('2026-01-01T00:00:00.000Z');
        const ids = idGenerators();
        const empty = observed();
        let state = simulatePlan(
          empty,
          planAccountChanges({ config: config(before), observed: empty, now: old }),
          ids,
        );
        const cfg = config(after, { close_retired_accounts: true });
        for (let round = 0; round < 5; round++) {
          const p = run(cfg, state);
          expect(p.actions.filter((a) => a.action === 'close-account').length).toBeLessThanOrEqual(3);
          if (!p.actions.length) return;
          state = simulatePlan(state, p, ids);
        }
        expect(run(cfg, state).actions).toEqual([]);
      }),
      { numRuns: runs(100) },
    );
  });

  it('is deterministic under any permutation of the observed accounts', () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, tamperArb, fc.gen(), (before, after, edits, g) => {
        const empty = observed();
        const state = tamper(simulatePlan(empty, run(config(before), empty), idGenerators()), edits);
        const n = state.accounts.length;
        const shuffled = g(fc.shuffledSubarray, state.accounts, { minLength: n, maxLength: n });
        expect(JSON.stringify(run(config(after), { ...state, accounts: shuffled }))).toBe(
          JSON.stringify(run(config(after), state)),
        );
      }),
      { numRuns: runs(100) },
    );
  });
});
