import { describe, expect, it } from 'vitest';
import type { ResolvedConfig } from '../../../src/config/model.js';
import { needsLogDelivery } from '../../../src/plan/access.js';
import { vpcRequest } from '../../../src/plan/provisioning.js';
import { BASE, errorsOf, expectOne, lineOf, resolveOk, withAccounts } from './support.js';

/** The keys provisioning reads: organization.access, and the vpc_cidr and logging settings. */
const account = (config: ResolvedConfig, key: string) => {
  const found = config.accounts.find((a) => a.key === key);
  if (!found) throw new Error(`no account ${key}`);
  return found;
};

const ACCESS = `  access:
    saml_provider_arn: arn:aws:iam::123456789012:saml-provider/sso
    automation_oidc:
      provider_arn: arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com
      audience: sts.amazonaws.com
      subjects: ["repo:acme/infra:ref:refs/heads/main"]
`;
const withOrganization = (snippet: string, base = BASE) =>
  base.replace(
    "  email_template: 'aws+{name}@example.com'\n",
    `  email_template: 'aws+{name}@example.com'\n${snippet}`,
  );

describe('settings vpc_cidr and logging', () => {
  it('default to 10.0.0.0/16 and false, inherit like any setting and reach the provisioning plan', () => {
    const text = withAccounts(
      `  web:\n    scope: dev\n    vpc_cidr: 10.20.0.0/20\n    logging: true\n  api:\n    scope: dev\n`,
    );
    const config = resolveOk(text);
    const web = account(config, 'web');
    const api = account(config, 'api');
    expect(api.settings).toMatchObject({ vpc_cidr: '10.0.0.0/16', logging: false });
    expect(api.provenance.vpc_cidr?.layer).toBe('builtin');
    expect(web.provenance.vpc_cidr).toMatchObject({ layer: 'account', line: lineOf(text, 'vpc_cidr') });
    expect(vpcRequest(web)).toEqual({ region: 'ap-southeast-2', cidr: '10.20.0.0/20', nat_gateway_count: 1 });
    expect(vpcRequest(api)?.cidr).toBe('10.0.0.0/16');
    expect(needsLogDelivery(web)).toBe(true);
    expect(needsLogDelivery(api)).toBe(false);
  });

  it.each([
    ['10.0.0.0/8', 'from /16 to /24'],
    ['10.0.0.0/25', 'from /16 to /24'],
    ['10.0.300.0/16', 'from /16 to /24'],
    ['10.0.1.0/16', 'starts at 10.0.0.0/16'],
    ['fd00::/64', 'from /16 to /24'],
  ])('rejects vpc_cidr %s at its line', (cidr, says) => {
    const text = withAccounts(`  web:\n    scope: dev\n    vpc_cidr: ${cidr}\n`);
    const error = expectOne(errorsOf(text), 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, 'vpc_cidr'));
    expect(error.message).toContain(says);
  });

  it('rejects a non-boolean logging', () => {
    const text = withAccounts(`  web:\n    scope: dev\n    logging: yes\n`);
    expectOne(errorsOf(text), 'DSL_INVALID_TYPE', 'accounts.yml', lineOf(text, 'logging'));
  });
});

describe('organization.access', () => {
  it('is absent by default and resolves into AccessSettings when set', () => {
    expect(resolveOk(BASE).organization.access).toBeUndefined();
    expect(resolveOk(withOrganization(ACCESS)).organization.access).toEqual({
      saml_provider_arn: 'arn:aws:iam::123456789012:saml-provider/sso',
      automation_oidc: {
        provider_arn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        audience: 'sts.amazonaws.com',
        subjects: ['repo:acme/infra:ref:refs/heads/main'],
      },
    });
    const users = resolveOk(
      withOrganization('  access:\n    iam_users:\n      developers_access_group: rw\n'),
    ).organization.access;
    expect(users).toEqual({ iam_users: { developers_access_group: 'rw' } });
  });

  it('rejects a malformed provider ARN and unknown keys', () => {
    const text = withOrganization(
      ACCESS.replace('saml-provider/sso', 'role/sso').replace('audience:', 'audeince:'),
    );
    const errors = errorsOf(text);
    expectOne(errors, 'DSL_INVALID_VALUE', 'accounts.yml', lineOf(text, 'saml_provider_arn'));
    expect(expectOne(errors, 'DSL_UNKNOWN_KEY', 'accounts.yml', lineOf(text, 'audeince')).message).toContain(
      "did you mean 'audience'?",
    );
  });

  it('needs developers_access_group to be a group of some access pattern (did-you-mean)', () => {
    const text = withOrganization('  access:\n    iam_users:\n      developers_access_group: rws\n');
    const error = expectOne(
      errorsOf(text),
      'DSL_UNKNOWN_ACCESS_GROUP',
      'accounts.yml',
      lineOf(text, 'developers_access_group'),
    );
    expect(error.message).toContain("did you mean 'rw'?");
  });

  it('refuses iam_users beside saml_provider_arn', () => {
    const text = withOrganization(`${ACCESS}    iam_users:\n      developers_access_group: rw\n`);
    expectOne(errorsOf(text), 'DSL_ACCESS_CONFLICT', 'accounts.yml', lineOf(text, 'iam_users'));
  });
});
