/**
 * Plan 10,000 desired vs 10,000 observed accounts in memory (goal: well under 1 s).
 * The observed organization is the desired one after a sync, then changed the way a busy month
 * changes it: scope changes, edited tags, out-of-band moves, removed and added accounts.
 * Run alone with `npx tsx bench/plan.ts`.
 */
import { pathToFileURL } from 'node:url';
import type { ResolvedAccount } from '../src/config/model.js';
import { type AccountPlanConfig, planAccountChanges } from '../src/plan/accounts.js';
import { MARKERS } from '../src/plan/markers.js';
import type { ObservedOrganization } from '../src/plan/observed.js';
import { simulatePlan } from '../src/plan/simulate.js';
import { organization as fixtureOrganization } from '../test/unit/plan/fixtures.js';
import { syntheticAccount, syntheticScopes } from './accounts.js';
import { type BenchResult, timeMedian } from './types.js';

const N = 10_000;
const SCOPE_NAMES = ['dev', 'standard', 'cde', 'infra', 'infra-ro', 'audit'];
const scopes = syntheticScopes(SCOPE_NAMES);

const organization = fixtureOrganization({ close_retired_accounts: true });

/** A synthetic account with a cost centre of 40, every 50th protected. */
function account(i: number, scope = SCOPE_NAMES[i % SCOPE_NAMES.length] as string): ResolvedAccount {
  const base = syntheticAccount(i, scope);
  return {
    ...base,
    tags: { ...base.tags, region: 'us-east-1', 'cost-centre': `cc${i % 40}` },
    protect: i % 50 === 0,
  };
}

export function buildScenario(n = N): { config: AccountPlanConfig; observed: ObservedOrganization } {
  const initial = Array.from({ length: n }, (_, i) => account(i));
  const empty: ObservedOrganization = {
    rootId: 'r-root',
    managementAccountId: '100000000000',
    ous: { '': 'r-root' },
    accounts: [
      {
        id: '100000000000',
        name: 'management',
        email: 'aws+management@example.com',
        status: 'ACTIVE',
        ou: '',
        tags: {},
        joined: '2020-01-01T00:00:00.000Z',
      },
    ],
  };
  let serial = 200_000_000_000;
  const past = new Date('2026-01-01T00:00:00.000Z');
  const synced = simulatePlan(
    empty,
    planAccountChanges({ config: { organization, scopes, accounts: initial }, observed: empty, now: past }),
    {
      newOuId: (p) => `ou-${p}`,
      newAccountId: () => String(serial++),
    },
  );
  // Out-of-band changes on 2 % of accounts: moves and edited tags.
  for (const [i, a] of synced.accounts.entries()) {
    if (i % 100 === 1) a.ou = 'Internal/dev';
    if (i % 100 === 2) a.tags['cost-centre'] = 'edited-by-hand';
  }
  // The DSL a month later: 5 % changed scope, 1 % removed, 1 % new.
  const desired: ResolvedAccount[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 100 === 3) continue;
    desired.push(i % 20 === 4 ? account(i, 'standard') : account(i));
  }
  for (let i = n; i < n + n / 100; i++) desired.push(account(i));
  return { config: { organization, scopes, accounts: desired }, observed: synced };
}

export async function benchPlan(): Promise<BenchResult[]> {
  const { config, observed } = buildScenario();
  const now = new Date('2026-06-01T00:00:00.000Z');
  let actions = 0;
  const changed = await timeMedian(3, () => {
    actions = planAccountChanges({ config, observed, now }).actions.length;
  });
  const applied = simulatePlan(observed, planAccountChanges({ config, observed, now }), {
    newOuId: (p) => `ou-new-${p}`,
    newAccountId: (k) => String(300_000_000_000 + Number(k.replace(/\D/g, ''))),
  });
  let remaining = -1;
  const inSync = await timeMedian(3, () => {
    remaining = planAccountChanges({ config, observed: applied, now }).actions.filter(
      (a) => a.action !== 'close-account',
    ).length;
  });
  if (remaining !== 0) throw new Error(`re-plan after apply left ${remaining} actions`);
  const markers = observed.accounts.filter((a) => a.tags[MARKERS.key]).length;
  return [
    {
      name: `plan ${N.toLocaleString('en')} vs ${markers.toLocaleString('en')} accounts, ${actions} actions (median of 3)`,
      value: changed,
      unit: 'ms',
      goal: '< 1000 ms',
    },
    {
      name: `re-plan ${N.toLocaleString('en')} in sync (median of 3)`,
      value: inSync,
      unit: 'ms',
      goal: '< 1000 ms',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchPlan())
    console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit} (goal ${r.goal})`);
}
