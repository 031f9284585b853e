import type { ResolvedConfig } from '../../../src/config/model.js';
import type { ObservedOrganization } from '../../../src/plan/observed.js';

/** The organization a synthetic config describes, as observed once every account exists. */
export function observedOf(config: ResolvedConfig): ObservedOrganization {
  const ous = {
    '': 'r-root',
    Internal: 'ou-root-internal',
    'Internal/Dev': 'ou-root-dev',
    'Internal/Infra': 'ou-root-infra',
  };
  return {
    rootId: 'r-root',
    managementAccountId: config.accounts.find((a) => a.kind === 'management')?.id as string,
    ous,
    accounts: config.accounts.map((a) => ({
      id: a.id as string,
      name: a.name,
      email: a.email,
      status: 'ACTIVE' as const,
      ou: a.organization_unit,
      tags: {},
      joined: '2026-01-01T00:00:00.000Z',
    })),
  };
}
