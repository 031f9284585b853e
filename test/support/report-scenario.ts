import type { ResolvedConfig } from '../../src/config/model.js';
import { planAccountChanges } from '../../src/plan/accounts.js';
import { MARKERS } from '../../src/plan/markers.js';
import type { AccountPlan } from '../../src/plan/model.js';
import type { ObservedOrganization } from '../../src/plan/observed.js';
import { simulatePlan } from '../../src/plan/simulate.js';
import {
  desired,
  observed as emptyOrganization,
  idGenerators,
  NOW,
  observedAccount,
  config as planConfig,
  STANDARD_OUS,
} from '../unit/plan/fixtures.js';

export interface ReportScenario {
  readonly config: ResolvedConfig;
  readonly observed: ObservedOrganization;
  readonly plan: AccountPlan;
}

/** AWS accepts any printable ASCII in an account name, `<` and quotes included (never in a tag). */
export const SANDBOX_NAME = 'sandbox-by-hand <script>alert("x")</script>';

/**
 * An organization worth a report: `api` and `web` live (web moved out of its OU by hand: drift),
 * `vault` protected in scope standard, `batch` not created yet, `legacy` retired into the morgue,
 * `old` still active but gone from the config, and one account orgbridge never managed, whose
 * name checks the escaping.
 */
export function reportScenario(): ReportScenario {
  const before = planConfig([
    desired('api', { tags: { scope: 'dev', owner: 'platform' } }),
    desired('web'),
    desired('vault', { scope: 'standard', organization_unit: 'Internal/Standard', protect: true }),
    desired('legacy'),
    desired('old'),
  ]);
  const start = emptyOrganization(
    [observedAccount('555555555555', { name: SANDBOX_NAME, email: 'sandbox@example.com' })],
    STANDARD_OUS,
  );
  let org = simulatePlan(
    start,
    planAccountChanges({ config: before, observed: start, now: NOW }),
    idGenerators(),
  );
  // `legacy` leaves the config and is retired.
  const withoutLegacy = planConfig(before.accounts.filter((a) => a.key !== 'legacy'));
  org = simulatePlan(
    org,
    planAccountChanges({ config: withoutLegacy, observed: org, now: NOW }),
    idGenerators(),
  );
  // Someone moves `web` to Internal/Standard by hand.
  const web = org.accounts.find((a) => a.tags[MARKERS.key] === 'web');
  if (web) web.ou = 'Internal/Standard';
  const accounts = [
    ...withoutLegacy.accounts.filter((a) => a.key !== 'old'),
    desired('batch', {
      settings: { create_vpc: true },
      provenance: { create_vpc: { layer: 'builtin', file: '<builtin>', line: 0, column: 0 } },
    }),
  ];
  const config = {
    ...planConfig(accounts),
    directory: '/cfg',
    defaults: {},
    ecr: [],
    policies: [],
  } as unknown as ResolvedConfig;
  return { config, observed: org, plan: planAccountChanges({ config, observed: org, now: NOW }) };
}
