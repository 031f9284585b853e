import { describe, expect, it } from 'vitest';
import { effectivePolicyForAccount } from '../../../src/config/policy-inheritance.js';
import { parseScpTests, runScpTests } from '../../../src/config/scp-tests.js';
import { requirePlacementOus, requireSpecialAccounts } from '../../../src/config/special-accounts.js';
import { BASE, errorsOf, expectOne, lineOf, resolveOk, warningsOf } from './support.js';

/** What an imported organization needs the DSL to say (docs/dsl.md, docs/import.md). */
const IMPORTED = `organization:
  management: mgmt
  event_bus: orgbridge-bus
  standard_tags: false
  authoritative: true
defaults:
  region: us-east-1
scopes:
  root:
    organization_unit: ''
  dev:
    organization_unit: Workloads/Dev
  empty:
    organization_unit: Empty
accounts:
  mgmt:
    scope: root
    id: '100000000000'
    name: Management
    email: management@example.com
  app:
    scope: dev
    id: '200000000001'
    name: App
    email: app@example.com
    tags:
      scope: kept as it is
  tools:
    scope: root
    id: '200000000002'
    name: App
    email: tools@example.com
`;
const policy = (path: string, text: string) => ({ path, text });
const SCP = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"x:Y","Resource":"*"}]}';

describe('a DSL that can describe any organization', () => {
  it('accounts at the root, no root_ou, morgue_ou, email_template or special accounts but management', () => {
    const config = resolveOk(IMPORTED);
    expect(config.accounts.find((a) => a.key === 'tools')?.organization_unit).toBe('');
    expect(config.accounts.find((a) => a.key === 'mgmt')?.kind).toBe('management');
    expect(config.organization.accounts).toEqual({ management: 'mgmt' });
    expect(config.organization.root_ou).toBeUndefined();
    expect(config.organization.morgue_ou).toBeUndefined();
    expect(config.organization).toMatchObject({ authoritative: true, standard_tags: false });
    // standard_tags: false adds none of scope/service-name/environment/region, so `scope` is a tag like any.
    expect(config.accounts.find((a) => a.key === 'app')?.tags).toEqual({ scope: 'kept as it is' });
    // Two accounts may share a name in AWS; with both ids given orgbridge never matches by name.
    expect(config.accounts.filter((a) => a.name === 'App')).toHaveLength(2);
  });

  it('without root_ou a bare OU name is an OU under the root, and no scope is outside it', () => {
    const config = resolveOk(IMPORTED.replace('organization_unit: Empty', 'organization_unit: Legacy'));
    expect(config.scopes.empty?.organization_unit).toBe('Legacy');
  });

  it('an account without email needs email_template', () => {
    const text = IMPORTED.replace('    email: tools@example.com\n', '');
    const error = expectOne(errorsOf(text), 'DSL_MISSING_EMAIL', 'accounts.yml', lineOf(text, '  tools:'));
    expect(error.hint).toContain('email_template');
    const withTemplate = text.replace(
      '  event_bus:',
      "  email_template: 'aws+{key}@example.com'\n  event_bus:",
    );
    expect(resolveOk(withTemplate).accounts.find((a) => a.key === 'tools')?.email).toBe(
      'aws+tools@example.com',
    );
  });

  it('duplicate names without ids are still an error', () => {
    const text = IMPORTED.replace("    id: '200000000002'\n", '');
    expectOne(errorsOf(text), 'DSL_DUPLICATE_NAME', 'accounts.yml', lineOf(text, 'name: App', 2));
  });

  it('commands that need the other special accounts, root_ou or morgue_ou say so', () => {
    const config = resolveOk(IMPORTED);
    expect(() => requireSpecialAccounts(config, 'bootstrap')).toThrow(
      /bootstrap needs the cicd, identity, dns, logs, audit accounts/,
    );
    expect(() => requirePlacementOus(config, 'bootstrap')).toThrow(
      /organization\.root_ou and organization\.morgue_ou/,
    );
    const complete = resolveOk(BASE);
    expect(requireSpecialAccounts(complete, 'bootstrap').cicd).toBe('cicd');
  });

  it('unmanaged: accounts by id, OUs by path, policies by id; nothing described may be inside', () => {
    const text = `${IMPORTED}unmanaged:\n  accounts: ['200000000001', '300000000000']\n  organization_units: [Workloads]\n  policies: [p-abcdefgh]\n`;
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code).sort()).toEqual(['DSL_SCOPE_UNMANAGED', 'DSL_UNMANAGED_CONFLICT']);
    const ok = resolveOk(
      `${IMPORTED}unmanaged:\n  accounts: ['300000000000']\n  organization_units: [Legacy/Old]\n`,
    );
    expect(ok.unmanaged).toEqual({
      accounts: ['300000000000'],
      organization_units: ['Legacy/Old'],
      policies: [],
    });
    const bad = `${IMPORTED}unmanaged:\n  organization_units: ['']\n`;
    expectOne(errorsOf(bad), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(bad, "organization_units: ['']"));
  });

  it('policies: one document on the root, OUs and accounts, and FullAWSAccess detached', () => {
    const text = `${IMPORTED}policies:
  scp:
    deny-x:
      organization_units: ['', Workloads]
      accounts: [app]
    FullAWSAccess:
      detached_from:
        organization_units: [Workloads]
        accounts: [app]
`;
    const config = resolveOk(text, [policy('policies/scp/deny-x.json', SCP)]);
    expect(config.policies.map((p) => [p.name, p.organization_unit])).toEqual([
      ['deny-x', ''],
      ['deny-x', 'Workloads'],
    ]);
    expect(config.account_policies).toEqual([
      { type: 'scp', account: 'app', name: 'deny-x', file: 'policies/scp/deny-x.json', content: SCP },
    ]);
    expect(config.full_aws_access).toEqual({
      detached_from_organization_units: ['Workloads'],
      detached_from_accounts: ['app'],
    });
    // A file under an OU folder keeps its OU, and the section may add targets to it.
    const located = resolveOk(
      `${IMPORTED}policies:\n  scp:\n    deny-x:\n      organization_units: [Empty]\n`,
      [policy('policies/scp/Workloads/Dev/deny-x.json', SCP)],
    );
    expect(located.policies.map((p) => p.organization_unit)).toEqual(['Workloads/Dev', 'Empty']);
  });

  it('policies: what cannot be attached is reported where it is written', () => {
    const text = `${IMPORTED}policies:
  scp:
    missing:
      organization_units: [Workloads]
    deny-x:
      accounts: [nobody]
      detached_from: {}
    FullAWSAccess:
      organization_units: [Empty]
  tag:
    FullAWSAccess: {}
`;
    const errors = errorsOf(text, [
      policy('policies/scp/deny-x.json', SCP),
      policy('policies/scp/FullAWSAccess.json', SCP),
    ]);
    expect(errors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['DSL_POLICY_MISSING_FILE', 'accounts.yml', lineOf(text, '    missing:')],
      ['DSL_POLICY_UNKNOWN_ACCOUNT', 'accounts.yml', lineOf(text, '[nobody]')],
      ['DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, 'detached_from: {}')],
      ['DSL_POLICY_AWS_MANAGED', 'accounts.yml', lineOf(text, '    FullAWSAccess:')],
      ['DSL_POLICY_AWS_MANAGED', 'accounts.yml', lineOf(text, '    FullAWSAccess: {}')],
      ['DSL_POLICY_AWS_MANAGED', 'policies/scp/FullAWSAccess.json', 1],
    ]);
  });

  it('policies: an account target needs the account id, an unmanaged OU is no target', () => {
    const text = `${IMPORTED.replace("    id: '200000000001'\n    name: App", '    name: App 1')}policies:\n  scp:\n    deny-x:\n      accounts: [app]\n      organization_units: [Legacy]\nunmanaged:\n  organization_units: [Legacy]\n`;
    const errors = errorsOf(text, [policy('policies/scp/deny-x.json', SCP)]);
    // (Legacy is also no OU of a scope: the one error says so, the other why it cannot be one.)
    expect(errors.map((e) => e.code).sort()).toEqual([
      'DSL_POLICY_ACCOUNT_WITHOUT_ID',
      'DSL_POLICY_UNKNOWN_OU',
      'DSL_POLICY_UNMANAGED_TARGET',
    ]);
    // An OU named in accounts.yml is reported there, not at the policy's file.
    const unknownOu = errors.find((e) => e.code === 'DSL_POLICY_UNKNOWN_OU');
    expect([unknownOu?.location?.file, unknownOu?.location?.line]).toEqual([
      'accounts.yml',
      lineOf(text, 'organization_units: [Legacy]'),
    ]);
  });

  it('counts FullAWSAccess on a target only where it is not detached', () => {
    const five = ['a', 'b', 'c', 'd', 'e'];
    const section = five.map((n) => `    ${n}:\n      organization_units: [Empty]\n`).join('');
    const files = five.map((n) => policy(`policies/scp/${n}.json`, SCP));
    const text = `${IMPORTED}policies:\n  scp:\n${section}`;
    expect(errorsOf(text, files).map((e) => e.code)).toEqual(['DSL_TOO_MANY_POLICIES']);
    const detached = `${text}    FullAWSAccess:\n      detached_from:\n        organization_units: [Empty]\n`;
    expect(resolveOk(detached, files).policies).toHaveLength(5);
  });

  it('effective policies and SCP tests see the root, the account level and where FullAWSAccess is detached', () => {
    const tag = (key: string) => JSON.stringify({ tags: { [key]: { tag_key: { '@@assign': key } } } });
    const allowS3 = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    const text = `${IMPORTED}policies:
  tag:
    on-root:
      organization_units: ['']
    on-app:
      accounts: [app]
  scp:
    s3-only:
      accounts: [app]
    FullAWSAccess:
      detached_from:
        accounts: [app]
`;
    const config = resolveOk(text, [
      policy('policies/tag/on-root.json', tag('root')),
      policy('policies/tag/on-app.json', tag('app')),
      policy('policies/scp/s3-only.json', allowS3),
    ]);
    const app = config.accounts.find((a) => a.key === 'app');
    const tools = config.accounts.find((a) => a.key === 'tools');
    expect(Object.keys(effectivePolicyForAccount(config, app as never, 'tag').policy.tags as object)).toEqual(
      ['root', 'app'],
    );
    expect(
      Object.keys(effectivePolicyForAccount(config, tools as never, 'tag').policy.tags as object),
    ).toEqual(['root']);
    const tests = parseScpTests({
      path: 'policies/scp-tests.yml',
      text: `- name: app is limited to S3
  account: app
  action: [s3:GetObject, ec2:RunInstances]
  expect: allow
- name: tools keeps FullAWSAccess
  account: tools
  action: ec2:RunInstances
  expect: allow
`,
    });
    expect(runScpTests(config, tests).map((r) => [r.action, r.outcome.decision])).toEqual([
      ['s3:GetObject', 'allow'],
      ['ec2:RunInstances', 'deny'],
      ['ec2:RunInstances', 'allow'],
    ]);
  });
});

describe('FullAWSAccess detached: the target keeps an SCP that allows something', () => {
  const ALLOW = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}';
  const detach = (sections: string, detachedFrom: string) =>
    `${IMPORTED}policies:\n  scp:\n${sections}    FullAWSAccess:\n      detached_from:\n${detachedFrom}`;

  it('a target with no other SCP of the config is DSL_SCP_DETACH_LAST at its entry: AWS refuses that detach', () => {
    const text = detach(
      '    deny-x:\n      organization_units: [Workloads]\n',
      '        organization_units: [Workloads, Empty]\n        accounts: [tools]\n',
    );
    const errors = errorsOf(text, [policy('policies/scp/deny-x.json', SCP)]);
    const line = lineOf(text, '[Workloads, Empty]');
    expect(errors.map((e) => [e.code, e.location?.line, e.location?.column])).toEqual([
      ['DSL_SCP_DETACH_LAST', line, 41],
      ['DSL_SCP_DETACH_LAST', lineOf(text, '[tools]'), 20],
    ]);
    expect(errors[0]?.message).toContain(
      "FullAWSAccess is detached from OU 'Empty', where this config attaches no other SCP",
    );
    expect(errors[1]?.message).toContain("account 'tools'");
    expect(errors[0]?.hint).toContain('"Effect":"Allow","Action":"*"');
  });

  it('only Deny statements left is a warning (a quarantine OU), an Allow SCP is neither', () => {
    const text = detach(
      "    deny-x:\n      organization_units: ['']\n    allow-all:\n      accounts: [tools]\n",
      "        organization_units: ['']\n        accounts: [tools]\n",
    );
    const files = [policy('policies/scp/deny-x.json', SCP), policy('policies/scp/allow-all.json', ALLOW)];
    const warnings = warningsOf(text, files);
    expect(warnings.map((w) => [w.code, w.location?.line])).toEqual([
      ['DSL_SCP_NO_ALLOW', lineOf(text, "        organization_units: ['']")],
    ]);
    expect(warnings[0]?.message).toContain('every account at or below the root is denied everything');
  });

  it('with unmanaged policies, a target without a config SCP may hold one of those: left to the plan', () => {
    const text = `${detach('', '        accounts: [tools]\n')}unmanaged:\n  policies: [p-abcd1234]\n`;
    expect(resolveOk(text).full_aws_access?.detached_from_accounts).toEqual(['tools']);
    expect(errorsOf(detach('', '        accounts: [tools]\n')).map((e) => e.code)).toEqual([
      'DSL_SCP_DETACH_LAST',
    ]);
  });
});
