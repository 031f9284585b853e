import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeConfig } from '../../../src/config/parse.js';
import { planAccountChanges } from '../../../src/plan/accounts.js';
import { importOrganization, keyFromText } from '../../../src/plan/import.js';
import type { ObservedAccount, ObservedOrganization } from '../../../src/plan/observed.js';
import {
  accountTarget,
  type ObservedPolicies,
  type ObservedPolicy,
  planPolicies,
} from '../../../src/plan/policies.js';
import { accountAttachmentsOf, policyScopeOf } from '../../../src/plan/policy-scope.js';

const MANAGEMENT = '100000000000';
const NOW = new Date('2026-12-01T00:00:00Z');

const account = (
  id: string,
  name: string,
  ou: string,
  tags: Record<string, string> = {},
): ObservedAccount => ({
  id,
  name,
  email: `${name.toLowerCase().replace(/\W+/g, '.')}.${id}@example.com`,
  status: 'ACTIVE',
  ou,
  tags,
  joined: '2020-01-01T00:00:00.000Z',
});

const organization = (ous: string[], accounts: ObservedAccount[]): ObservedOrganization => ({
  rootId: 'r-root',
  managementAccountId: MANAGEMENT,
  ous: Object.fromEntries([
    ['', 'r-root'],
    ...ous.map((p, i) => [p, `ou-root-${String(i).padStart(8, '0')}`]),
  ]),
  accounts: [account(MANAGEMENT, 'Management', ''), ...accounts].sort((a, b) => (a.id < b.id ? -1 : 1)),
});

const policy = (
  type: ObservedPolicy['type'],
  name: string,
  content: object | string,
  targets: string[],
  awsManaged = false,
): ObservedPolicy => ({
  id: `p-${`${type}${name.replace(/\W/g, '')}`.padEnd(8, '0')}`,
  name,
  type,
  awsManaged,
  managed: false,
  content: typeof content === 'string' ? content : JSON.stringify(content),
  targets: [...targets].sort(),
});

const policiesOf = (org: ObservedOrganization, list: ObservedPolicy[], full = true): ObservedPolicies => {
  const all = [...list];
  if (full) {
    const targets = [...Object.keys(org.ous), ...org.accounts.map((a) => accountTarget(a.id))];
    all.push(
      policy(
        'scp',
        'FullAWSAccess',
        { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        targets,
        true,
      ),
    );
  }
  const attached: Record<string, string[]> = {};
  for (const p of all) for (const t of p.targets) attached[t] = [...(attached[t] ?? []), p.id];
  return { rootId: 'r-root', enabledTypes: ['scp', 'tag', 'backup'], policies: all, ous: org.ous, attached };
};

/** Import, parse back, and plan both the accounts and the policies against the same organization. */
function roundTrip(org: ObservedOrganization, policies: ObservedPolicies) {
  const result = importOrganization({
    observed: org,
    policies,
    region: 'eu-west-1',
    organizationId: 'o-test',
  });
  const analysis = analyzeConfig(
    result.files.filter((f) => f.path !== 'README.md' && f.path !== 'accounts.schema.json'),
  );
  if (!analysis.ok) throw new Error(analysis.errors.map((e) => e.format()).join('\n'));
  const config = analysis.config;
  const accountPlan = planAccountChanges({ config, observed: org, now: NOW });
  const policyPlan = planPolicies({
    desired: config.policies,
    accountDesired: accountAttachmentsOf(config),
    observed: policies,
    limits: config.organization.limits,
    types: ['scp', 'tag', 'backup'],
    scope: policyScopeOf(config),
  });
  return { result, config, accountPlan, policyPlan };
}

const BACKUP = {
  plans: {
    Daily: {
      rules: { Daily: { target_backup_vault_name: { '@@assign': 'Default' } } },
      selections: {
        tags: {
          Everything: {
            iam_role_arn: { '@@assign': 'arn:aws:iam::$account:role/orgbridge-backup' },
            tag_key: { '@@assign': 'backup' },
            tag_value: { '@@assign': ['daily'] },
          },
        },
      },
    },
  },
};

describe('importOrganization', () => {
  it('leaves out the tags AWS applied itself (aws:): they are not configuration, and the plan stays empty', () => {
    const awsTags = { 'aws:cloudformation:stack-name': 'accounts', 'aws:cloudformation:logical-id': 'Api' };
    const org = organization(
      ['Workloads'],
      [
        account('200000000001', 'Api', 'Workloads', { team: 'pay', ...awsTags }),
        account('200000000002', 'Web', 'Workloads', { team: 'web' }),
      ],
    );
    const { result, config, accountPlan } = roundTrip(org, policiesOf(org, []));
    expect(config.accounts.find((a) => a.name === 'Api')?.tags).toEqual({ team: 'pay' });
    expect(result.files.find((f) => f.path === 'accounts.yml')?.text).not.toContain('aws:cloudformation');
    expect(accountPlan.actions).toEqual([]);
    expect(accountPlan.blocked).toEqual([]);
  });

  it('describes the organization so that nothing is left to do, backup policies included', () => {
    const org = organization(
      ['Workloads', 'Workloads/Prod', 'Workloads/Dev', 'Sandbox', 'Empty'],
      [
        account('200000000001', 'Payments API', 'Workloads/Prod', { team: 'pay', cost: '1' }),
        account('200000000002', 'Payments Web', 'Workloads/Prod', { team: 'pay', cost: '2' }),
        account('200000000003', 'Dev Box', 'Workloads/Dev', { team: 'dev' }),
        account('200000000004', 'At The Root', '', {}),
        { ...account('200000000005', 'Closed One', 'Sandbox'), status: 'SUSPENDED' },
      ],
    );
    const deny = policy(
      'scp',
      'DenyLeave',
      {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
      },
      ['', 'Workloads', accountTarget('200000000004')],
    );
    const backup = policy('backup', 'daily backups', BACKUP, [
      'Workloads/Prod',
      accountTarget('200000000003'),
    ]);
    const tag = policy('tag', 'cost', { tags: { cost: { tag_key: { '@@assign': 'cost' } } } }, ['Workloads']);
    const unattached = policy('scp', 'Unused', { Statement: [] }, []);
    const { result, config, accountPlan, policyPlan } = roundTrip(
      org,
      policiesOf(org, [deny, backup, tag, unattached]),
    );

    expect(accountPlan.actions).toEqual([]);
    expect(accountPlan.blocked).toEqual([]);
    expect(policyPlan.actions).toEqual([]);
    expect(policyPlan.problems).toEqual([]);
    expect(result.summary).toMatchObject({ accounts: 5, policies: { scp: 1, tag: 1, backup: 1 } });
    expect(result.summary.closedAccounts).toEqual(['Closed One (200000000005, SUSPENDED)']);
    expect(result.files.map((f) => f.path).sort()).toEqual([
      'README.md',
      'accounts.schema.json',
      'accounts.yml',
      'policies/backup/daily backups.json',
      'policies/scp/DenyLeave.json',
      'policies/tag/cost.json',
    ]);
    // The team both Prod accounts share is on their scope; the rest stays on each account.
    expect(config.scopes.prod?.settings.tags).toEqual({ team: 'pay' });
    expect(config.accounts.find((a) => a.name === 'Payments API')?.tags).toEqual({ team: 'pay', cost: '1' });
    expect(config.accounts.find((a) => a.name === 'At The Root')?.organization_unit).toBe('');
    expect(
      Object.values(config.scopes)
        .map((s) => s.organization_unit)
        .sort(),
    ).toEqual(['', 'Empty', 'Sandbox', 'Workloads/Dev', 'Workloads/Prod']);
    expect(config.organization).toMatchObject({
      authoritative: true,
      standard_tags: false,
      accounts: { management: 'management' },
    });
    expect(config.organization.morgue_ou).toBeUndefined();
    // One document per policy, attached where AWS has it, the root and accounts included.
    expect(config.policies.filter((p) => p.name === 'DenyLeave').map((p) => p.organization_unit)).toEqual([
      '',
      'Workloads',
    ]);
    expect(config.account_policies.map((p) => `${p.type} ${p.name} ${p.account}`).sort()).toEqual([
      'backup daily backups dev-box',
      'scp DenyLeave at-the-root',
    ]);
    expect(result.files.find((f) => f.path === 'README.md')?.text).toContain(
      'Closed One (200000000005, SUSPENDED)',
    );
  });

  it('writes where FullAWSAccess is detached, and nothing when it is attached everywhere', () => {
    const org = organization(['Allow'], [account('200000000001', 'Strict', 'Allow')]);
    const guard = policy(
      'scp',
      'allow-list',
      { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
      ['Allow', accountTarget('200000000001')],
    );
    const base = policiesOf(org, [guard]);
    const full = base.policies.find((p) => p.name === 'FullAWSAccess') as ObservedPolicy;
    const detached = {
      ...base,
      policies: base.policies.map((p) =>
        p === full
          ? { ...p, targets: p.targets.filter((t) => t !== 'Allow' && t !== accountTarget('200000000001')) }
          : p,
      ),
      attached: { ...base.attached, Allow: [guard.id], [accountTarget('200000000001')]: [guard.id] },
    };
    const { result, config, policyPlan } = roundTrip(org, detached);
    expect(config.full_aws_access).toEqual({
      detached_from_organization_units: ['Allow'],
      detached_from_accounts: ['strict'],
    });
    expect(policyPlan.actions).toEqual([]);
    expect(result.files.find((f) => f.path === 'accounts.yml')?.text).toContain('detached_from:');
    expect(roundTrip(org, base).config.full_aws_access).toEqual({
      detached_from_organization_units: [],
      detached_from_accounts: [],
    });
  });

  it('keys and scope names from names: unique, valid, the orgbridge:key marker first', () => {
    expect(keyFromText('Payments API (prod)')).toBe('payments-api-prod');
    expect(keyFromText('***')).toBeUndefined();
    const org = organization(
      ['Team A/Dev', 'Team B/Dev', 'Team A'],
      [
        account('200000000001', 'Shared', 'Team A/Dev'),
        account('200000000002', 'Shared', 'Team B/Dev'),
        account('200000000003', 'Other', 'Team A', { 'orgbridge:key': 'kept-key', 'orgbridge:ou': 'x' }),
        account('200000000004', 'Log Archive', 'Team A'),
        account('200000000005', '!!!', 'Team A'),
      ],
    );
    const { config } = roundTrip(org, policiesOf(org, []));
    expect(config.accounts.map((a) => a.key).sort()).toEqual([
      'account',
      'kept-key',
      'log-archive',
      'management',
      'shared',
      'shared-0002',
    ]);
    expect(Object.keys(config.scopes).sort()).toEqual(['root', 'team-a', 'team-a-dev', 'team-b-dev']);
    // Markers are orgbridge's state, not configuration; Control Tower's log archive is the logs account.
    expect(config.accounts.find((a) => a.key === 'kept-key')?.tags).toEqual({});
    expect(config.organization.accounts.logs).toBe('log-archive');
    expect(config.organization.accounts.cicd).toBeUndefined();
  });

  it('leaves alone what it cannot write, and says so', () => {
    const org = organization(
      ['Fine', 'Bad Name ', 'Bad Name /Below'],
      [
        account('200000000001', 'A', 'Fine'),
        account('200000000002', 'B', 'Bad Name '),
        account('200000000003', 'C', 'Bad Name /Below'),
      ],
    );
    const slash = policy('scp', 'a/b', { Statement: [] }, ['Fine']);
    const onBad = policy('tag', 'on-bad', { tags: {} }, ['Bad Name ', 'Fine']);
    const { result, config, accountPlan, policyPlan } = roundTrip(org, policiesOf(org, [slash, onBad]));
    expect(config.unmanaged.accounts).toEqual(['200000000002', '200000000003']);
    // Authoritative, yet a policy it could not write is never detached: it is unmanaged.
    expect(config.unmanaged.policies).toEqual([slash.id]);
    expect(accountPlan.actions).toEqual([]);
    expect(accountPlan.unmanaged).toEqual(['200000000002', '200000000003']);
    expect(policyPlan.actions).toEqual([]);
    expect(result.summary.skipped.join('\n')).toMatch(/OU 'Bad Name ' and everything below it/);
    expect(result.summary.skipped.join('\n')).toMatch(/scp policy 'a\/b'.*holds \//);
    expect(result.summary.skipped.join('\n')).toMatch(/tag policy 'on-bad' on OU 'Bad Name '/);
  });

  it('writes a policy orgbridge created under its config name, so the sync finds it again', () => {
    const org = organization(['Workloads'], [account('200000000001', 'A', 'Workloads')]);
    const deny = {
      Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
    };
    const own = { ...policy('scp', 'orgbridge-scp-deny-leave', deny, ['Workloads']), managed: true };
    // A policy someone else named as orgbridge's would be written: left alone, and said so.
    const clash = policy('scp', 'deny-leave', deny, ['']);
    const { result, config, policyPlan } = roundTrip(org, policiesOf(org, [own, clash]));
    expect(result.files.filter((f) => f.path.startsWith('policies/')).map((f) => f.path)).toEqual([
      'policies/scp/deny-leave.json',
    ]);
    expect(config.policies.map((p) => `${p.name} ${p.organization_unit}`)).toEqual(['deny-leave Workloads']);
    expect(config.unmanaged.policies).toEqual([clash.id]);
    expect(result.summary.skipped.join('\n')).toMatch(
      /scp policy 'deny-leave'.*would be written as deny-leave/,
    );
    expect(policyPlan.actions).toEqual([]);
    expect(policyPlan.problems).toEqual([]);
  });

  it('raises the limits the organization already exceeds', () => {
    const org = organization(['Big'], [account('200000000001', 'A', 'Big')]);
    const large = policy(
      'scp',
      'large',
      { Statement: [{ Effect: 'Deny', Action: 'x:Y', Resource: 'a'.repeat(6000) }] },
      ['Big'],
    );
    const many = ['s1', 's2', 's3', 's4', 's5'].map((n) => policy('scp', n, { Statement: [] }, ['Big']));
    const { config, policyPlan } = roundTrip(org, policiesOf(org, [large, ...many]));
    expect(config.organization.limits.scp_max_chars).toBeGreaterThan(6000);
    expect(config.organization.limits.scp_per_target).toBe(7);
    expect(policyPlan.problems).toEqual([]);
  });

  it('round trip: any organization imports to a config that plans nothing', () => {
    const names = ['Dev', 'Prod', 'Team A', 'Shared', 'x'];
    const arb = fc
      .record({
        ous: fc.uniqueArray(
          fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 }).map((p) => p.join('/')),
          { maxLength: 6 },
        ),
        accounts: fc.array(
          fc.record({
            name: fc.constantFrom('A', 'B', 'Log Archive', 'Shared Tools', 'A'),
            ou: fc.nat(),
            tags: fc.dictionary(
              fc.constantFrom('team', 'cost', 'x y', 'true'),
              fc.constantFrom('a', '1', '', 'no'),
              { maxKeys: 3 },
            ),
          }),
          { maxLength: 8 },
        ),
        policies: fc.array(
          fc.record({
            type: fc.constantFrom('scp', 'tag', 'backup' as const),
            targets: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3 }),
          }),
          { maxLength: 4 },
        ),
      })
      .map(({ ous, accounts, policies }) => {
        // Every prefix of an OU path exists.
        const tree = [
          ...new Set(ous.flatMap((p) => p.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')))),
        ].sort();
        const paths = ['', ...tree];
        const list = accounts.map((a, i) =>
          account(String(300000000000 + i), a.name, paths[a.ou % paths.length] as string, a.tags),
        );
        const org = organization(tree, list);
        const targets = [...paths, ...list.map((a) => accountTarget(a.id))];
        const observed = policies.map((p, i) =>
          policy(
            p.type as ObservedPolicy['type'],
            `${p.type}-${i}`,
            p.type === 'scp'
              ? { Statement: [{ Effect: 'Deny', Action: `s${i}:X`, Resource: '*' }] }
              : p.type === 'tag'
                ? { tags: { [`t${i}`]: { tag_key: { '@@assign': `t${i}` } } } }
                : BACKUP,
            [...new Set(p.targets.map((t) => targets[t % targets.length] as string))],
          ),
        );
        return { org, policies: policiesOf(org, observed) };
      });
    fc.assert(
      fc.property(arb, ({ org, policies }) => {
        const { accountPlan, policyPlan, config } = roundTrip(org, policies);
        expect(accountPlan.actions).toEqual([]);
        expect(accountPlan.blocked).toEqual([]);
        expect(policyPlan.actions).toEqual([]);
        expect(policyPlan.problems.filter((p) => p.blocking)).toEqual([]);
        expect(config.accounts).toHaveLength(org.accounts.length);
        for (const a of config.accounts) {
          const observed = org.accounts.find((o) => o.id === a.id) as ObservedAccount;
          expect([a.name, a.email, a.organization_unit, a.tags]).toEqual([
            observed.name,
            observed.email,
            observed.ou,
            observed.tags,
          ]);
        }
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
