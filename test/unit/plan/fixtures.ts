import type {
  OrganizationSettings,
  PolicyLimits,
  ResolvedAccount,
  ResolvedScope,
} from '../../../src/config/model.js';
import { DEFAULT_LIMITS } from '../../../src/config/resolve.js';
import type { AccountPlanConfig } from '../../../src/plan/accounts.js';
import type { ObservedAccount, ObservedOrganization } from '../../../src/plan/observed.js';

export const MANAGEMENT_ID = '100000000000';
export const ROOT_ID = 'r-root';
export const NOW = new Date('2026-06-01T12:00:00.000Z');

export const SCOPES: Record<string, ResolvedScope> = {
  dev: { name: 'dev', organization_unit: 'Internal/Dev', access: {}, settings: {} },
  standard: { name: 'standard', organization_unit: 'Internal/Standard', access: {}, settings: {} },
};

const LIMITS: PolicyLimits = DEFAULT_LIMITS;

export function organization(overrides: Partial<OrganizationSettings> = {}): OrganizationSettings {
  return {
    accounts: {
      management: 'management',
      cicd: 'cicd',
      identity: 'identity',
      dns: 'dns',
      logs: 'logs',
      audit: 'audit',
    },
    root_ou: 'Internal',
    morgue_ou: 'Morgue',
    event_bus: 'orgbridge',
    event_source: 'app.infra',
    name_template: '{service}-{environment}-{region}',
    email_template: 'aws+{name}@example.com',
    access_role_name: 'OrganizationAccountAccessRole',
    close_retired_accounts: false,
    standard_tags: true,
    authoritative: false,
    limits: LIMITS,
    ...overrides,
  };
}

/** A member account `key` in scope dev, named and mailed after its key. */
export function desired(key: string, overrides: Partial<ResolvedAccount> = {}): ResolvedAccount {
  const scope = overrides.scope ?? 'dev';
  return {
    key,
    name: `${key}-nonprod-us-east-1`,
    email: `aws+${key}@example.com`,
    kind: 'member',
    scope,
    organization_unit: SCOPES[scope]?.organization_unit ?? 'Internal/Dev',
    region: 'us-east-1',
    environment: 'nonprod',
    service: key,
    tags: { scope, 'service-name': key, environment: 'nonprod', region: 'us-east-1' },
    protect: false,
    allowed_dns_domains: [],
    access: {},
    settings: {},
    provenance: {},
    ...overrides,
  };
}

export function config(
  accounts: readonly ResolvedAccount[],
  overrides: Partial<OrganizationSettings> = {},
): AccountPlanConfig {
  return { organization: organization(overrides), scopes: SCOPES, accounts };
}

export function observedAccount(id: string, overrides: Partial<ObservedAccount> = {}): ObservedAccount {
  return {
    id,
    name: `acct-${id}`,
    email: `acct-${id}@example.com`,
    status: 'ACTIVE',
    ou: '',
    tags: {},
    joined: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export const MANAGEMENT: ObservedAccount = observedAccount(MANAGEMENT_ID, {
  name: 'management',
  email: 'aws+management@example.com',
});

export function observed(
  accounts: readonly ObservedAccount[] = [],
  ous: Record<string, string> = {},
): ObservedOrganization {
  return {
    rootId: ROOT_ID,
    managementAccountId: MANAGEMENT_ID,
    ous: { '': ROOT_ID, ...ous },
    accounts: [MANAGEMENT, ...accounts],
  };
}

/** The OUs of SCOPES plus the morgue, as an organization that was already set up. */
export const STANDARD_OUS: Record<string, string> = {
  Internal: 'ou-internal',
  'Internal/Dev': 'ou-dev',
  'Internal/Standard': 'ou-standard',
  Morgue: 'ou-morgue',
};

let accountSerial = 0;
/** Ids for simulatePlan: OU ids derived from the path, account ids never reused in a test run. */
export function idGenerators(): { newOuId: (p: string) => string; newAccountId: (k: string) => string } {
  return {
    newOuId: (p) => `ou-sim-${p.replace(/\W/g, '-').toLowerCase()}`,
    newAccountId: () => String(900000000000 + ++accountSerial),
  };
}
