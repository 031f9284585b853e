import { describe, expect, it } from 'vitest';
import type { ResolvedAccount, ResolvedConfig } from '../../../src/config/model.js';
import {
  type AccessContext,
  automationTrustPolicy,
  checkIdentityMappingLimits,
  groupRolePolicy,
  IAM_LIMITS,
  identityMapping,
  memberAccess,
  memberRoleTrustPolicy,
  orgPathResolver,
  planLogDelivery,
  policyChars,
} from '../../../src/plan/access.js';
import { accountParameters, fingerprint, vpcRequest } from '../../../src/plan/provisioning.js';
import { config, desired } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: generated template/policy JSON, read only in assertions
type Json = any;

const IDENTITY = '200000000002';
const CICD = '200000000001';
const OUS = {
  '': 'r-ab12',
  Internal: 'ou-ab12-00000001',
  'Internal/Dev': 'ou-ab12-00000002',
  'Internal/Prod': 'ou-ab12-00000003',
};
const orgPathOf = orgPathResolver('o-abcdefghij', OUS);
const context: AccessContext = {
  partition: 'aws',
  identityAccountId: IDENTITY,
  cicdAccountId: CICD,
  organizationId: 'o-abcdefghij',
  orgPathOf,
};

const DEV_ACCESS = { all: ['Admin'], rw: ['PowerUser', 'Developer'] };
const PROD_ACCESS = { sre: ['Admin'], all: ['ReadOnly'] };
const dev = (key: string, over: Partial<ResolvedAccount> = {}) =>
  desired(key, { organization_unit: 'Internal/Dev', access: DEV_ACCESS, ...over });
const prod = (key: string, over: Partial<ResolvedAccount> = {}) =>
  desired(key, { scope: 'standard', organization_unit: 'Internal/Prod', access: PROD_ACCESS, ...over });
const resolved = (accounts: ResolvedAccount[]) =>
  ({
    ...config(accounts),
    directory: '/c',
    defaults: {},
    ecr: [],
    policies: [],
  }) as unknown as ResolvedConfig;

describe('orgPathResolver', () => {
  it('builds the aws:ResourceOrgPaths value from the OU ids of every level', () => {
    expect(orgPathOf('Internal/Dev')).toBe('o-abcdefghij/r-ab12/ou-ab12-00000001/ou-ab12-00000002/');
    expect(orgPathOf('')).toBe('o-abcdefghij/r-ab12/');
    expect(orgPathOf('Internal/Missing')).toBeUndefined();
  });
});

describe('memberAccess', () => {
  it('creates one role per role name, each trusting exactly the group roles that grant it here', () => {
    const access = memberAccess(dev('app'), context);
    expect(access.roles.map((r) => [r.name, r.groups])).toEqual([
      ['Admin', ['all']],
      ['Developer', ['rw']],
      ['PowerUser', ['rw']],
    ]);
    const trust = memberRoleTrustPolicy(access.roles[0] as never, IDENTITY, 'aws') as {
      Statement: Record<string, Json>[];
    };
    expect(trust.Statement[0]?.Principal).toEqual({ AWS: `arn:aws:iam::${IDENTITY}:root` });
    expect(trust.Statement[0]?.Condition).toEqual({
      ArnEquals: { 'aws:PrincipalArn': [`arn:aws:iam::${IDENTITY}:role/orgbridge-group-all`] },
    });
    expect(access.roles[0]?.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
  });

  it('an account-level access override changes only that account', () => {
    const special = memberAccess(
      dev('special', { access: { ...DEV_ACCESS, auditors: ['ReadOnly'] } }),
      context,
    );
    expect(special.roles.map((r) => r.name)).toContain('ReadOnly');
    expect(memberAccess(dev('app'), context).roles.map((r) => r.name)).not.toContain('ReadOnly');
  });

  it('AutomationRole trusts only the cicd account by default, and only the OIDC provider when configured', () => {
    const byAccount = automationTrustPolicy(memberAccess(dev('app'), context)) as {
      Statement: Record<string, Json>[];
    };
    expect(byAccount.Statement).toEqual([
      expect.objectContaining({ Principal: { AWS: `arn:aws:iam::${CICD}:root` } }),
    ]);
    const oidc = automationTrustPolicy(
      memberAccess(dev('app'), {
        ...context,
        settings: {
          automation_oidc: {
            provider_arn: `arn:aws:iam::${CICD}:oidc-provider/token.actions.githubusercontent.com`,
            audience: 'sts.amazonaws.com',
            subjects: ['repo:acme/infra:ref:refs/heads/main'],
          },
        },
      }),
    ) as { Statement: Record<string, Json>[] };
    expect(oidc.Statement).toHaveLength(1);
    expect(oidc.Statement[0]?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(oidc.Statement[0]?.Condition.StringLike['token.actions.githubusercontent.com:sub']).toEqual([
      'repo:acme/infra:ref:refs/heads/main',
    ]);
    expect(JSON.stringify(oidc)).not.toContain(`${CICD}:root`);
  });

  it.each([
    'AutomationRole',
    'orgbridge-backup',
    'OrganizationAccountAccessRole',
  ])('refuses the access role name %s, a role orgbridge or Organizations already has in the account', (name) => {
    expect(() => memberAccess(dev('x', { access: { all: [name] } }), context)).toThrow(
      expect.objectContaining({
        code: 'ACCESS_RESERVED_ROLE',
        message: expect.stringContaining(`name ${name} is reserved`),
      }),
    );
  });
});

describe('identityMapping', () => {
  it('grants each group exactly its roles, per OU, by org path and never by account id', () => {
    const accounts = [dev('alpha-svc'), dev('beta-svc'), prod('gamma-svc')];
    const mapping = identityMapping(resolved(accounts), context);
    const view = Object.fromEntries(
      mapping.groups.map((g) => [g.group, g.grants.map((x) => [x.roles, x.ous])]),
    );
    expect(view).toEqual({
      all: [
        [['Admin'], ['Internal/Dev']],
        [['ReadOnly'], ['Internal/Prod']],
      ],
      rw: [[['Developer', 'PowerUser'], ['Internal/Dev']]],
      sre: [[['Admin'], ['Internal/Prod']]],
    });
    const policy = JSON.stringify(mapping.groups.map((g) => groupRolePolicy(g, 'aws')));
    for (const account of accounts) expect(policy).not.toContain(account.key);
    expect(policy).not.toMatch(/\d{12}/);
  });

  it('roles granted in the same OUs share one statement', () => {
    const mapping = identityMapping(resolved([dev('a'), prod('p', { access: { all: ['Admin'] } })]), context);
    const all = mapping.groups.find((g) => g.group === 'all');
    expect(all?.grants).toEqual([
      {
        roles: ['Admin'],
        ous: ['Internal/Dev', 'Internal/Prod'],
        orgPaths: [orgPathOf('Internal/Dev'), orgPathOf('Internal/Prod')],
      },
    ]);
  });

  it('leaves out accounts whose OU does not exist yet and says so', () => {
    const mapping = identityMapping(
      resolved([dev('a'), dev('n', { organization_unit: 'Internal/New' })]),
      context,
    );
    expect(mapping.pendingOus).toEqual(['Internal/New']);
    expect(JSON.stringify(mapping.groups)).not.toContain('Internal/New');
  });

  it('stays the same size from 10 to 5,000 accounts, far below the IAM inline limit', () => {
    const many = (n: number) =>
      resolved(Array.from({ length: n }, (_, i) => (i % 2 ? dev(`d${i}`) : prod(`p${i}`))));
    const size = (n: number) =>
      Math.max(
        ...identityMapping(many(n), context).groups.map((g) => policyChars(groupRolePolicy(g, 'aws'))),
      );
    expect(size(5000)).toBe(size(10));
    expect(size(5000)).toBeLessThan(IAM_LIMITS.roleInlinePolicyChars);
    expect(() => checkIdentityMappingLimits(identityMapping(many(5000), context))).not.toThrow();
  });

  it('fails before CloudFormation when a policy would exceed the IAM limit', () => {
    const ous: Record<string, string> = { '': 'r-ab12' };
    const accounts: ResolvedAccount[] = [];
    for (let i = 0; i < 400; i++) {
      ous[`Ou${i}`] = `ou-ab12-${String(i).padStart(8, '0')}`;
      // A distinct role per OU: one statement each.
      accounts.push(dev(`a${i}`, { organization_unit: `Ou${i}`, access: { all: [`Role${i}`] } }));
    }
    const ctx = { ...context, orgPathOf: orgPathResolver('o-abcdefghij', ous) };
    expect(() => checkIdentityMappingLimits(identityMapping(resolved(accounts), ctx))).toThrow(
      expect.objectContaining({ code: 'ACCESS_POLICY_TOO_LARGE' }),
    );
  });
});

describe('planLogDelivery', () => {
  const ids = (accounts: ResolvedAccount[]) =>
    Object.fromEntries(accounts.map((a, i) => [a.key, String(300000000000 + i)]));

  it('grants single accounts by id when their OU also holds accounts without logging', () => {
    const accounts = [dev('web', { settings: { use_cfr: true } }), dev('api')];
    const grant = planLogDelivery(resolved(accounts), ids(accounts), orgPathOf);
    expect(grant).toEqual({
      orgPaths: [],
      accountIds: ['300000000000'],
      accountKeys: ['web'],
      deliveringAccountIds: ['300000000000'],
      organizationWide: false,
    });
  });

  it('grants a whole OU by path when every account in it needs log delivery', () => {
    const accounts = [prod('a', { settings: { use_cfr: true } }), prod('b', { settings: { logging: true } })];
    const grant = planLogDelivery(resolved(accounts), ids(accounts), orgPathOf);
    expect(grant.orgPaths).toEqual([orgPathOf('Internal/Prod')]);
    expect(grant.accountIds).toEqual([]);
  });

  it('falls back to the organization past the size budget instead of breaking the 20 KB bucket policy', () => {
    const accounts = Array.from({ length: 5000 }, (_, i) =>
      dev(`w${i}`, { settings: { use_cfr: i % 2 === 0 } }),
    );
    const grant = planLogDelivery(resolved(accounts), ids(accounts), orgPathOf);
    expect(grant.organizationWide).toBe(true);
    expect(grant.accountKeys).toHaveLength(2500);
  });
});

describe('account parameters and VPC request', () => {
  const special = {
    management: '1'.repeat(12),
    cicd: CICD,
    identity: IDENTITY,
    dns: '3'.repeat(12),
    logs: '4'.repeat(12),
    audit: '5'.repeat(12),
  };
  const inputs = { config: resolved([]), accountId: '123456789012', specialIds: special };

  it('writes tags (markers excluded, keys made SSM-safe), special ids and regions under /orgbridge/account/', () => {
    const params = accountParameters(
      dev('app', {
        tags: { 'cost centre': 'x', 'orgbridge:key': 'app' },
        allowed_dns_domains: ['a.example.com'],
      }),
      inputs,
    );
    const byName = Object.fromEntries(params.map((p) => [p.name, p.value]));
    expect(byName['/orgbridge/account/tags/cost_centre']).toBe('x');
    expect(Object.keys(byName).some((n) => n.includes('orgbridge:'))).toBe(false);
    expect(byName['/orgbridge/account/accounts/identity']).toBe(IDENTITY);
    expect(byName['/orgbridge/account/allowed-dns-domains']).toBe('a.example.com');
    expect(params.every((p) => /^\/orgbridge\/account\/[\w.\-/]+$/.test(p.name))).toBe(true);
  });

  it('refuses two tags that map to the same parameter', () => {
    expect(() => accountParameters(dev('app', { tags: { 'a b': '1', 'a:b': '2' } }), inputs)).toThrow(
      expect.objectContaining({ code: 'PROVISION_TAG_PARAMETER_CLASH' }),
    );
  });

  it('asks for a VPC only where create_vpc resolves true, with its NAT gateway count', () => {
    expect(vpcRequest(dev('a', { settings: { create_vpc: false } }))).toBeUndefined();
    expect(vpcRequest(dev('a', { settings: { create_vpc: true, nat_gateway_count: 3 } }))).toEqual({
      region: 'us-east-1',
      cidr: '10.0.0.0/16',
      nat_gateway_count: 3,
    });
    expect(() => vpcRequest(dev('a', { settings: { create_vpc: true, nat_gateway_count: 9 } }))).toThrow(
      expect.objectContaining({ code: 'PROVISION_TOO_MANY_NAT_GATEWAYS' }),
    );
  });

  it('fingerprints ignore key order', () => {
    expect(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: 2 }));
  });
});
