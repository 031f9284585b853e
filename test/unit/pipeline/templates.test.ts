import { describe, expect, it } from 'vitest';
import { identityMapping, memberAccess, planLogDelivery } from '../../../src/plan/access.js';
import {
  type ProvisioningTemplate,
  renderAccountBaseline,
  renderBackupVaults,
  renderIdentityMapping,
  renderLogBuckets,
  renderVpc,
} from '../../../src/templates/provisioning.js';
import { splitCidr } from '../../../src/templates/vpc.js';
import { cfnLint } from '../../support/cfn-lint.js';
import {
  ACCESS_IDENTITY,
  ACCESS_ORG,
  accessContext,
  accessOrgPathOf,
  api,
  twoDevAccounts,
  web,
} from '../plan/access-fixture.js';

// biome-ignore lint/suspicious/noExplicitAny: generated template/policy JSON, read only in assertions
type Json = any;

/** The provisioning templates (src/templates/{access,backup,vpc,logs-bucket}.ts) and cfn-lint over all of them. */
const LOGS = '200000000004';
const IDENTITY = ACCESS_IDENTITY;
const ORG = ACCESS_ORG;
const orgPathOf = accessOrgPathOf;
const context = accessContext;
const resolved = twoDevAccounts;

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;
const resources = (t: ProvisioningTemplate) => t.template.Resources as Resources;
const ofType = (t: ProvisioningTemplate, type: string) =>
  Object.values(resources(t)).filter((r) => r.Type === type);

const baseline = renderAccountBaseline(memberAccess(web, context), IDENTITY);
const POLICY_NAMES = {
  vaults: ['Default', 'Monthly'],
  roles: ['orgbridge-backup', 'MyMonthlyBackupIamRole', 'my.role-2'],
};
const withPolicyNames = renderAccountBaseline(memberAccess(web, context), IDENTITY, { backup: POLICY_NAMES });
const regionalVaults = renderBackupVaults(['Default', 'Monthly']);
const identity = renderIdentityMapping(identityMapping(resolved, context), IDENTITY);
// A config without `access:` (the `orgbridge init` scaffold), or whose OUs do not exist yet.
const identityEmpty = renderIdentityMapping({ partition: 'aws', groups: [], pendingOus: [] }, IDENTITY);
const identityWithUsers = renderIdentityMapping(
  { ...identityMapping(resolved, context), settings: { iam_users: { developers_access_group: 'rw' } } },
  IDENTITY,
);
const grant = planLogDelivery(resolved, { web: '300000000001', api: '300000000002' }, orgPathOf);
const logs = renderLogBuckets(LOGS, 'us-east-1', ORG, grant);
const vpc1 = renderVpc({ region: 'us-east-1', cidr: '10.0.0.0/16', nat_gateway_count: 1 });
const vpc0 = renderVpc({ region: 'eu-west-1', cidr: '10.8.0.0/20', nat_gateway_count: 0 });
const vpc3 = renderVpc({ region: 'us-east-1', cidr: '10.0.0.0/16', nat_gateway_count: 3 });

describe('account baseline', () => {
  it('has the access roles, AutomationRole and the backup role, and never creates the vault Default', () => {
    const roles = ofType(baseline, 'AWS::IAM::Role').map((r) => r.Properties.RoleName);
    expect(roles.sort()).toEqual(['Admin', 'AutomationRole', 'Developer', 'PowerUser', 'orgbridge-backup']);
    // AWS Backup's console creates Default in adopted accounts: a stack creating it would fail
    // there with AlreadyExists (create-a-vault.html). The handler makes sure of it instead.
    expect(ofType(baseline, 'AWS::Backup::BackupVault')).toEqual([]);
  });

  it('asks no session longer than role chaining allows of the roles people reach from a group role', () => {
    // Group role (identity account) -> access role is role chaining: one hour at most, whatever
    // the role allows (id_roles_terms-and-concepts.html#iam-term-role-chaining).
    for (const role of ofType(baseline, 'AWS::IAM::Role')) {
      expect(
        role.Properties.MaxSessionDuration ?? 3600,
        String(role.Properties.RoleName),
      ).toBeLessThanOrEqual(3600);
    }
  });

  it('is shared by accounts with the same access (one upload for many accounts)', () => {
    expect(renderAccountBaseline(memberAccess(api, context), IDENTITY).sha256).toBe(baseline.sha256);
  });

  it("adds the vaults and roles the account's backup policies name, like the fixed ones", () => {
    const roles = ofType(withPolicyNames, 'AWS::IAM::Role').filter(
      (r) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'backup.amazonaws.com',
    );
    expect(roles.map((r) => r.Properties.RoleName)).toEqual([
      'orgbridge-backup',
      'MyMonthlyBackupIamRole',
      'my.role-2',
    ]);
    for (const role of roles) {
      expect(role.Properties.ManagedPolicyArns).toEqual([
        'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
        'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
      ]);
    }
    const vaults = ofType(withPolicyNames, 'AWS::Backup::BackupVault');
    expect(vaults.map((v) => [v.Properties.BackupVaultName, v.DeletionPolicy])).toEqual([
      ['Monthly', 'Retain'],
    ]);
  });

  it('keeps the logical ids of what exists when names are added (a named role cannot be replaced)', () => {
    const ids = (t: ProvisioningTemplate) => Object.keys(resources(t));
    expect(ids(withPolicyNames)).toEqual(expect.arrayContaining(ids(baseline)));
    const fewer = renderAccountBaseline(memberAccess(web, context), IDENTITY, {
      backup: { vaults: ['Default'], roles: ['orgbridge-backup', 'my.role-2'] },
    });
    const idOf = (t: ProvisioningTemplate, name: string) =>
      Object.entries(resources(t)).find(([, r]) => r.Properties.RoleName === name)?.[0];
    expect(idOf(fewer, 'my.role-2')).toBe(idOf(withPolicyNames, 'my.role-2'));
    expect(idOf(withPolicyNames, 'orgbridge-backup')).toBe('BackupRole');
    // The baseline-only names render exactly the template accounts had before: no re-deploy.
    const baselineOnly = renderAccountBaseline(memberAccess(web, context), IDENTITY, {
      backup: { vaults: ['Default'], roles: ['orgbridge-backup'] },
    });
    expect(baselineOnly.sha256).toBe(baseline.sha256);
    expect(withPolicyNames.sha256).not.toBe(baseline.sha256);
    expect(renderAccountBaseline(memberAccess(api, context), IDENTITY, { backup: POLICY_NAMES }).sha256).toBe(
      withPolicyNames.sha256,
    );
  });
});

describe('backup vaults of another region', () => {
  it('holds only the vaults, retained, with the logical ids the baseline gives the same names', () => {
    expect(regionalVaults.stackName).toBe('orgbridge-backup-vaults');
    // Monthly only: Default is never a stack's (see the baseline).
    expect(Object.values(resources(regionalVaults)).map((r) => r.Properties.BackupVaultName)).toEqual([
      'Monthly',
    ]);
    const byId = (t: ProvisioningTemplate) =>
      Object.fromEntries(
        Object.entries(resources(t))
          .filter(([, r]) => r.Type === 'AWS::Backup::BackupVault')
          .map(([id, r]) => [id, [r.Properties.BackupVaultName, r.DeletionPolicy, r.UpdateReplacePolicy]]),
      );
    expect(byId(regionalVaults)).toEqual(byId(withPolicyNames));

    // No region in the template: accounts needing the same vaults share it in every region.
    expect(regionalVaults.body).not.toMatch(/us-|eu-|ap-/);
    expect(renderBackupVaults(['Copies']).sha256).not.toBe(regionalVaults.sha256);
  });
});

describe('identity mapping', () => {
  it('has one role per group and, with iam_users, seed 004 developers group and automation user', () => {
    expect(
      ofType(identity, 'AWS::IAM::Role')
        .map((r) => r.Properties.RoleName)
        .sort(),
    ).toEqual(['orgbridge-group-all', 'orgbridge-group-rw']);
    expect(ofType(identity, 'AWS::IAM::Group')).toHaveLength(0);
    const [group] = ofType(identityWithUsers, 'AWS::IAM::Group');
    expect(group?.Properties.Policies[0].PolicyDocument.Statement[0].Resource).toBe(
      `arn:aws:iam::${IDENTITY}:role/orgbridge-group-rw`,
    );
    const [user] = ofType(identityWithUsers, 'AWS::IAM::User');
    expect(user?.Properties.Policies[0].PolicyDocument.Statement[0].Resource).toBe(
      'arn:aws:iam::*:role/AutomationRole',
    );
    // Under orgbridge's IAM path: the stack deployer may manage no other user or group.
    expect([group?.Properties.Path, user?.Properties.Path]).toEqual(['/orgbridge/', '/orgbridge/']);
  });

  it('without any group still declares a resource (CloudFormation refuses a template without one), and only then', () => {
    expect(Object.values(resources(identityEmpty)).map((r) => r.Type)).toEqual([
      'AWS::CloudFormation::WaitConditionHandle',
    ]);
    expect(ofType(identity, 'AWS::CloudFormation::WaitConditionHandle')).toEqual([]);
    expect(identityEmpty.stackName).toBe(identity.stackName);
  });

  it('lets AutomationRole trust the automation user by its ARN under the orgbridge path', () => {
    const withUsers = {
      ...context,
      settings: { iam_users: { developers_access_group: 'rw', automation_user_name: 'ci-bot' } },
    };
    expect(memberAccess(web, withUsers).automationUserArn).toBe(
      `arn:aws:iam::${IDENTITY}:user/orgbridge/ci-bot`,
    );
  });
});

describe('logs bucket policy', () => {
  const [policy] = ofType(logs, 'AWS::S3::BucketPolicy');
  const statements = policy?.Properties.PolicyDocument.Statement as Record<string, Json>[];

  it('accepts log delivery from exactly the accounts that need it', () => {
    const write = statements.find((s) => s.Sid === 'LogDeliveryWrite');
    expect(write?.Condition.StringEquals).toEqual({ 'aws:SourceAccount': ['300000000001'] });
    expect(JSON.stringify(statements)).not.toContain('300000000002');
  });

  it("keeps the seed's deny-modification statement, exempting only the updater role, by aws:PrincipalArn (no NotPrincipal)", () => {
    const deny = statements.find((s) => s.Sid === 'deny-modification');
    expect(deny?.Effect).toBe('Deny');
    expect(deny?.Action).toEqual(['s3:Delete*', 's3:PutBucket*']);
    // NotPrincipal without the account's ARN may deny the updater role itself (IAM's
    // reference_policies_elements_notprincipal.html): everyone, except by aws:PrincipalArn.
    expect(JSON.stringify(statements)).not.toContain('NotPrincipal');
    expect(deny?.Principal).toBe('*');
    expect(deny?.Condition).toEqual({
      ArnNotLike: {
        'aws:PrincipalArn': {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/update-s3-stacks-role',
        },
      },
    });
    expect(deny?.Resource).toEqual([
      `arn:aws:s3:::orgbridge-logs-${LOGS}-us-east-1`,
      `arn:aws:s3:::orgbridge-logs-${LOGS}-us-east-1/*`,
    ]);
  });
});

describe('logs bucket policy and ELB access logs', () => {
  const elbStatement = (region: string) => {
    const [policy] = ofType(renderLogBuckets(LOGS, region, ORG, grant), 'AWS::S3::BucketPolicy');
    const all = policy?.Properties.PolicyDocument.Statement as Record<string, Json>[];
    return all.find((s) => s.Sid === 'ElbLogDeliveryWrite');
  };

  it('grants the Region’s ELB account where ELB still writes as one (Regions before August 2022), per delivering account', () => {
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
    for (const [region, elb] of [
      ['us-east-1', '127311923021'],
      ['us-west-1', '027434742980'],
      ['us-west-2', '797873946194'],
      ['ap-southeast-2', '783225319266'],
    ] as const) {
      const statement = elbStatement(region);
      expect(statement?.Principal, region).toEqual({ AWS: `arn:aws:iam::${elb}:root` });
      expect(statement?.Action).toBe('s3:PutObject');
      expect(statement?.Resource).toBe(
        `arn:aws:s3:::orgbridge-logs-${LOGS}-${region}/AWSLogs/300000000001/*`,
      );
    }
  });

  it('uses the service principal alone in Regions launched since August 2022', () => {
    expect(elbStatement('ap-southeast-5')).toBeUndefined();
    expect(elbStatement('eu-central-2')).toBeUndefined();
  });
});

describe('standard VPC', () => {
  it('has nat_gateway_count NAT gateways and private routes through them', () => {
    expect(ofType(vpc1, 'AWS::EC2::NatGateway')).toHaveLength(1);
    expect(ofType(vpc3, 'AWS::EC2::NatGateway')).toHaveLength(3);
    expect(ofType(vpc3, 'AWS::EC2::Subnet')).toHaveLength(6);
    expect(ofType(vpc0, 'AWS::EC2::NatGateway')).toHaveLength(0);
    expect(ofType(vpc0, 'AWS::EC2::Route')).toHaveLength(1);
    expect(ofType(vpc0, 'AWS::EC2::Subnet').map((s) => s.Properties.CidrBlock)).toEqual([
      '10.8.0.0/24',
      '10.8.1.0/24',
      '10.8.2.0/24',
      '10.8.3.0/24',
    ]);
  });

  it('splits ranges in address order and rejects what is not a CIDR', () => {
    expect(splitCidr('192.168.0.0/16', 2)).toEqual([
      '192.168.0.0/18',
      '192.168.64.0/18',
      '192.168.128.0/18',
      '192.168.192.0/18',
    ]);
    expect(() => splitCidr('10.0.0/16', 4)).toThrow(expect.objectContaining({ code: 'VPC_BAD_CIDR' }));
  });
});

describe('cfn-lint', () => {
  it('finds no error and no warning in any provisioning template', { timeout: 60_000 }, async () => {
    const all = {
      baseline,
      withPolicyNames,
      regionalVaults,
      identity,
      identityEmpty,
      identityWithUsers,
      logs,
      vpc0,
      vpc1,
      vpc3,
    };
    const result = await cfnLint({
      templates: Object.entries(all).map(([name, t]) => ({ name: `${name}.template.json`, body: t.body })),
    });
    expect(result.findings).toEqual([]);
  });
});

describe('another partition', () => {
  // China regions: every ARN starts arn:aws-cn (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
  const cn = { ...context, partition: 'aws-cn' };
  const arnsOf = (t: ProvisioningTemplate) =>
    [...JSON.stringify(t.template).matchAll(/arn:[\w-]*:/g)].map((m) => m[0]);
  it.each([
    ['account baseline', renderAccountBaseline(memberAccess(web, cn), IDENTITY, { backup: POLICY_NAMES })],
    [
      'identity mapping with iam_users',
      renderIdentityMapping(
        { ...identityMapping(resolved, cn), settings: { iam_users: { developers_access_group: 'rw' } } },
        IDENTITY,
      ),
    ],
    ['log buckets', renderLogBuckets(LOGS, 'cn-north-1', ORG, grant)],
  ])('%s: every ARN is in aws-cn', (_name, template) => {
    const arns = arnsOf(template);
    expect(arns.length).toBeGreaterThan(0);
    expect(new Set(arns)).toEqual(new Set(['arn:aws-cn:']));
  });
});
