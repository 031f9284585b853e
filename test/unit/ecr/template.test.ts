import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import type { EcrRepository, ResolvedAccount, ResolvedConfig } from '../../../src/config/model.js';
import {
  ECR_ACCOUNT_LIST_MAX,
  ECR_POLICY_MAX_CHARS,
  type EcrTemplateInputs,
  lifecyclePolicyText,
  renderEcrTemplate,
  repositoryPolicy,
} from '../../../src/templates/ecr.js';

const ORG = 'o-abc123def4';
const orgPath = (ou: string) =>
  `${ORG}/r-ab12/${ou
    .split('/')
    .map((p) => `ou-ab12-${p.toLowerCase().padEnd(8, 'x')}`)
    .join('/')}/`;

let config: ResolvedConfig;
const inputsFor = (
  accounts: readonly ResolvedAccount[],
  repositories: readonly EcrRepository[] = config.ecr,
): EcrTemplateInputs => ({
  repositories,
  accounts,
  accountIds: Object.fromEntries(accounts.map((a, i) => [a.key, String(100000000000 + i)])),
  organizationId: ORG,
  orgPaths: Object.fromEntries(
    [...new Set(accounts.map((a) => a.organization_unit))].map((ou) => [ou, orgPath(ou)]),
  ),
});
type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (template: Record<string, unknown>) =>
  Object.values(template.Resources as Record<string, Resource>);
const byName = (template: Record<string, unknown>, name: string) =>
  resources(template).find((r) => r.Properties.RepositoryName === name)?.Properties;

beforeAll(async () => {
  config = await loadConfig('examples');
});

describe('ECR template', () => {
  it('has one repository per ecr.yml entry, scanned on push', () => {
    const { template } = renderEcrTemplate(inputsFor(config.accounts));
    expect(resources(template).map((r) => [r.Type, r.Properties.RepositoryName])).toEqual(
      config.ecr.map((r) => ['AWS::ECR::Repository', r.name]),
    );
    expect(byName(template, 'risk/engine')?.ImageScanningConfiguration).toEqual({ ScanOnPush: true });
  });

  it('writes lifecycle rules ECR accepts: tag prefixes and untagged, by days since push', () => {
    const text = lifecyclePolicyText([
      { tag_prefix: 'dev-', untagged: false, days: 7 },
      { untagged: true, days: 3 },
    ]);
    expect(JSON.parse(text as string)).toEqual({
      rules: [
        {
          rulePriority: 1,
          description: 'expire images tagged dev-* after 7 days',
          selection: {
            tagStatus: 'tagged',
            tagPrefixList: ['dev-'],
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 7,
          },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'expire untagged images after 3 days',
          selection: {
            tagStatus: 'untagged',
            countType: 'sinceImagePushed',
            countUnit: 'days',
            countNumber: 3,
          },
          action: { type: 'expire' },
        },
      ],
    });
    expect(lifecyclePolicyText([])).toBeUndefined();
    const { template } = renderEcrTemplate(inputsFor(config.accounts));
    expect(byName(template, 'orgbridge-handlers')?.LifecyclePolicy).toBeUndefined();
    expect(byName(template, 'payments-api')?.LifecyclePolicy).toEqual({
      LifecyclePolicyText: expect.stringContaining('"dev-"'),
    });
  });

  it('grants pull to exactly the accounts running the services in the environment', () => {
    const inputs = inputsFor(config.accounts);
    const payments = config.ecr.find((r) => r.name === 'payments-api') as EcrRepository;
    const policy = repositoryPolicy(payments, inputs) as {
      Statement: { Sid: string; Principal: { AWS: string[] } }[];
    };
    const expected = (env: string) =>
      config.accounts
        .filter((a) => a.service === 'payments-api' && a.environment === env)
        .map((a) => `arn:aws:iam::${inputs.accountIds[a.key]}:root`)
        .sort();
    expect(policy.Statement.map((s) => s.Sid)).toEqual(
      ['Pull1', 'Pull2', 'Pull3'].slice(0, policy.Statement.length),
    );
    expect(policy.Statement[0]?.Principal.AWS).toEqual(expected('nonprod'));
    expect(expected('nonprod').length).toBeGreaterThan(0);
  });

  it('names root principals in the accounts’ partition (arn:aws-cn: in China)', () => {
    const china = config.accounts.map((a) => ({ ...a, region: 'cn-north-1' }));
    const payments = config.ecr.find((r) => r.name === 'payments-api') as EcrRepository;
    const policy = repositoryPolicy(payments, inputsFor(china)) as {
      Statement: { Principal: { AWS: string[] } }[];
    };
    const principals = policy.Statement.flatMap((s) => s.Principal.AWS);
    expect(principals.length).toBeGreaterThan(0);
    for (const arn of principals) expect(arn).toMatch(/^arn:aws-cn:iam::\d{12}:root$/);
  });

  it('adding an account for a service changes that repository’s policy on the next render', () => {
    const template = config.accounts.find((a) => a.service === 'ledger') as ResolvedAccount;
    const before = renderEcrTemplate(inputsFor(config.accounts));
    const added = [...config.accounts, { ...template, key: 'ledger-new', name: 'ledger-new' }];
    const after = renderEcrTemplate(inputsFor(added));
    expect(after.sha256).not.toBe(before.sha256);
    expect(JSON.stringify(byName(after.template, 'ledger')?.RepositoryPolicyText)).toContain(
      `arn:aws:iam::${inputsFor(added).accountIds['ledger-new']}:root`,
    );
    expect(byName(after.template, 'payments-api')).toEqual(byName(before.template, 'payments-api'));
  });

  it('stays under 10,240 characters per policy at 5,000 accounts by granting through conditions', () => {
    const base = config.accounts.find(
      (a) => a.service === 'payments-api' && a.environment === 'nonprod',
    ) as ResolvedAccount;
    const services = [
      'payments-api',
      'ledger',
      'checkout-web',
      'merchant-portal',
      'notifications',
      'webhooks',
      'partner-api',
    ];
    const many: ResolvedAccount[] = Array.from({ length: 5000 }, (_, i) => ({
      ...base,
      key: `acct-${i}`,
      name: `acct-${i}`,
      service: services[i % services.length] as string,
      environment: ['nonprod', 'staging', 'prod'][i % 3] as string,
      organization_unit: ['Internal/Dev', 'Internal/Standard', 'Internal/Cde'][i % 3] as string,
    }));
    const started = Date.now();
    const { template } = renderEcrTemplate(inputsFor([...config.accounts, ...many]));
    expect(Date.now() - started).toBeLessThan(5000);
    for (const r of resources(template)) {
      const text = JSON.stringify(r.Properties.RepositoryPolicyText ?? {});
      expect(text.length, String(r.Properties.RepositoryName)).toBeLessThanOrEqual(ECR_POLICY_MAX_CHARS);
    }
    const base_ = byName(template, 'base/node')?.RepositoryPolicyText as {
      Statement: Record<string, unknown>[];
    };
    expect(base_.Statement[0]).toEqual({
      Sid: 'Pull1',
      Effect: 'Allow',
      Principal: '*',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Condition: {
        StringEquals: { 'aws:PrincipalOrgID': ORG, 'aws:PrincipalTag/service-name': [...services].sort() },
        'ForAnyValue:StringLike': {
          'aws:PrincipalOrgPaths': expect.arrayContaining([`${orgPath('Internal/Dev')}*`]),
        },
      },
    });
  });

  it('keeps short grants as account lists and switches at the threshold', () => {
    const base = config.accounts.find((a) => a.service === 'ledger') as ResolvedAccount;
    const repo: EcrRepository = { name: 'x', lifecycle: [], pull: [{ services: ['ledger'] }] };
    const accounts = (n: number) => Array.from({ length: n }, (_, i) => ({ ...base, key: `l${i}` }));
    const small = repositoryPolicy(repo, inputsFor(accounts(ECR_ACCOUNT_LIST_MAX))) as {
      Statement: { Principal: unknown }[];
    };
    expect(small.Statement[0]?.Principal).toEqual({ AWS: expect.any(Array) });
    const large = repositoryPolicy(repo, inputsFor(accounts(ECR_ACCOUNT_LIST_MAX + 1))) as {
      Statement: { Principal: unknown; Condition?: { StringEquals: Record<string, unknown> } }[];
    };
    expect(large.Statement[0]?.Principal).toBe('*');
    // Past the list, the grant still names exactly its accounts (aws:PrincipalAccount), not
    // principal tags, which any account of the OUs could set on its own roles.
    const named = large.Statement[0]?.Condition?.StringEquals ?? {};
    expect(named['aws:PrincipalAccount']).toHaveLength(ECR_ACCOUNT_LIST_MAX + 1);
    expect(Object.keys(named).some((k) => k.startsWith('aws:PrincipalTag/'))).toBe(false);
    const five = repositoryPolicy(repo, inputsFor(accounts(500))) as typeof large;
    expect(five.Statement[0]?.Condition?.StringEquals['aws:PrincipalAccount']).toHaveLength(500);
    expect(JSON.stringify(five).length).toBeLessThanOrEqual(ECR_POLICY_MAX_CHARS);
    expect(
      repositoryPolicy({ ...repo, pull: [{ services: ['nobody'] }] }, inputsFor(accounts(3))),
    ).toBeUndefined();
  });
});
