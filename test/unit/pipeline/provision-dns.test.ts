import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/model.js';
import {
  type AccountZoneRequest,
  type ProvisioningGateway,
  type ProvisionStep,
  planProvisioning,
} from '../../../src/pipeline/provision.js';
import { MARKERS } from '../../../src/plan/markers.js';
import type { ObservedAccount, ObservedOrganization } from '../../../src/plan/observed.js';
import { syntheticConfig } from '../templates/fixtures.js';
import { observedOf } from './fixtures.js';

const PARENT = 'aws.example.com';

function withParent(config: ResolvedConfig): ResolvedConfig {
  return { ...config, organization: { ...config.organization, dns_parent_domain: PARENT } };
}

function recordingGateway(
  zones: [string, AccountZoneRequest][],
  released: [string, string][] = [],
): ProvisioningGateway {
  const done = async () => ({ changed: true, summary: {} });
  return {
    stackInstanceStatus: async (r) => ({ ...r, status: 'CURRENT' }),
    ensureForwardRule: async () => {},
    uploadTemplate: async () => {},
    templateUrl: (name) => `https://bucket.s3.amazonaws.com/templates/${name}.template.json`,
    putSsmParameters: done,
    updateIamSettings: done,
    updateBaseline: done,
    updateIamMapping: done,
    createVpc: done,
    updateLogBuckets: done,
    async ensureAccountZone(dnsId, request) {
      zones.push([dnsId, request]);
      return { changed: true, summary: {} };
    },
    async releaseAccountDns(dnsId, request) {
      released.push([dnsId, request.account_id]);
      return { changed: true, summary: {} };
    },
  };
}

const plan = (config: ResolvedConfig, zones: [string, AccountZoneRequest][] = []) =>
  planProvisioning(
    { config, observed: observedOf(config), organizationId: 'o-abcdefghij' },
    recordingGateway(zones),
  );
const dnsSteps = (steps: readonly ProvisionStep[]) => steps.filter((s) => s.kind === 'dns-zone');

describe('the dns-zone steps of the provisioning plan', () => {
  const base = syntheticConfig(2);
  const dnsId = base.accounts.find((a) => a.kind === 'dns')?.id as string;

  it('are absent without dns_parent_domain, one per account with it, after the dns forward rule', () => {
    expect(base.organization.dns_parent_domain).toBeUndefined();
    expect(dnsSteps(plan(base).steps)).toEqual([]);
    const { steps } = plan(withParent(base));
    const zones = dnsSteps(steps);
    expect(zones.map((s) => s.accountId).sort()).toEqual(base.accounts.map((a) => a.id).sort());
    const forward = steps.find((s) => s.kind === 'forward-rule' && s.accountId === dnsId);
    for (const s of zones) expect(s.deps).toEqual([forward?.id]);
  });

  it('send the zone request to the DNS account, and change id only when that account changes', async () => {
    const zones: [string, AccountZoneRequest][] = [];
    const config = withParent(base);
    const member = config.accounts.find((a) => a.kind === 'member');
    const step = dnsSteps(plan(config, zones).steps).find((s) => s.accountId === member?.id);
    await step?.run();
    expect(zones).toEqual([
      [
        dnsId,
        {
          account_id: member?.id,
          account_name: member?.name,
          parent_domain: PARENT,
          allowed_dns_domains: [],
        },
      ],
    ]);

    const withDomains = (domains: string[]): ResolvedConfig => ({
      ...config,
      accounts: config.accounts.map((a) =>
        a.key === member?.key ? { ...a, allowed_dns_domains: domains } : a,
      ),
    });
    const ids = (c: ResolvedConfig) => dnsSteps(plan(c).steps).map((s) => s.id);
    const before = ids(config);
    const after = ids(withDomains(['b.example.com', 'A.example.com']));
    expect(after.filter((id) => !before.includes(id))).toHaveLength(1);
    expect(after.find((id) => !before.includes(id))).toContain(`dns-zone:${member?.id}:`);
    // Order, case and a trailing dot do not make a new step.
    expect(ids(withDomains(['a.example.com.', 'B.example.com']))).toEqual(after);
  });

  it('fail a step, without sending, when an account name cannot be a DNS label', async () => {
    const zones: [string, AccountZoneRequest][] = [];
    const config = withParent(base);
    const bad: ResolvedConfig = {
      ...config,
      accounts: config.accounts.map((a) => (a.kind === 'member' ? { ...a, name: `${a.name} (old)` } : a)),
    };
    const memberId = bad.accounts.find((a) => a.kind === 'member')?.id;
    const step = dnsSteps(plan(bad, zones).steps).find((s) => s.accountId === memberId);
    expect(step).toBeDefined();
    await expect(step?.run()).rejects.toMatchObject({ code: 'PROVISION_DNS_ZONE_NAME_INVALID' });
    expect(zones).toEqual([]);
  });
});

describe('the dns-release steps of the provisioning plan', () => {
  const config = withParent(syntheticConfig(2));
  const dnsId = config.accounts.find((a) => a.kind === 'dns')?.id as string;
  const inMorgue = (
    id: string,
    key: string | undefined,
    status: 'ACTIVE' | 'SUSPENDED',
    ou = 'Morgue',
  ): ObservedAccount => ({
    id,
    name: `old-${id}`,
    email: `old-${id}@example.com`,
    status,
    ou,
    tags: key === undefined ? {} : ({ [MARKERS.key]: key } as Record<string, string>),
    joined: '2025-01-01T00:00:00.000Z',
  });
  const observed = (...extra: ObservedAccount[]): ObservedOrganization => {
    const base = observedOf(config);
    return {
      ...base,
      ous: { ...base.ous, Morgue: 'ou-root-morgue' },
      accounts: [...base.accounts, ...extra],
    };
  };
  const releases = (o: ObservedOrganization, only?: string[]) =>
    planProvisioning(
      { config, observed: o, organizationId: 'o-abcdefghij', ...(only ? { only } : {}) },
      recordingGateway([]),
    ).steps.filter((s) => s.kind === 'dns-release');

  it('release every account orgbridge retired, active or closed, after the dns forward rule', async () => {
    const o = observed(
      inMorgue('900000000001', 'payments-old', 'ACTIVE'),
      inMorgue('900000000002', 'billing-old', 'SUSPENDED'),
      // In the morgue by hand (no orgbridge:key), elsewhere, or still in the DSL: not orgbridge's.
      inMorgue('900000000003', undefined, 'ACTIVE'),
      inMorgue('900000000004', 'gone', 'ACTIVE', 'Internal/Dev'),
      inMorgue('900000000005', config.accounts[0]?.key, 'ACTIVE'),
    );
    const steps = releases(o);
    expect(steps.map((s) => s.id)).toEqual(['dns-release:900000000001', 'dns-release:900000000002']);
    const forward = planProvisioning(
      { config, observed: o, organizationId: 'o-abcdefghij' },
      recordingGateway([]),
    ).steps.find((s) => s.kind === 'forward-rule' && s.accountId === dnsId);
    for (const s of steps) expect(s.deps).toEqual([forward?.id]);
    const released: [string, string][] = [];
    const sent = planProvisioning(
      { config, observed: o, organizationId: 'o-abcdefghij' },
      recordingGateway([], released),
    );
    for (const s of sent.steps.filter((x) => x.kind === 'dns-release')) await s.run();
    expect(released).toEqual([
      [dnsId, '900000000001'],
      [dnsId, '900000000002'],
    ]);
  });

  it('are absent without dns_parent_domain, and in a run for some accounts only', () => {
    const o = observed(inMorgue('900000000001', 'payments-old', 'ACTIVE'));
    expect(releases(o, [config.accounts[0]?.key as string])).toEqual([]);
    const withoutDns = { ...config, organization: { ...config.organization, dns_parent_domain: undefined } };
    const steps = planProvisioning(
      { config: withoutDns, observed: o, organizationId: 'o-abcdefghij' },
      recordingGateway([]),
    ).steps;
    expect(steps.filter((s) => s.kind === 'dns-release')).toEqual([]);
  });
});
