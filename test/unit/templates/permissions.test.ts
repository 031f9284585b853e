import { describe, expect, it } from 'vitest';
import { artifactObjectUrl } from '../../../src/protocol/names.js';
import {
  HANDLER_PERMISSIONS,
  mergedStatements,
  type PolicyStatement,
} from '../../../src/templates/permissions.js';

const statements = (type: string): readonly PolicyStatement[] =>
  (HANDLER_PERMISSIONS as Partial<Record<string, readonly PolicyStatement[]>>)[type] ?? [];
const actionsOf = (type: string) => statements(type).flatMap((s) => s.actions);
const PASS = { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } };
const FROM_ARTIFACTS = {
  StringLike: {
    'cloudformation:TemplateUrl': `https://orgbridge-artifacts-\${CicdAccountId}-*.s3.*/templates/*`,
  },
};
const TEMPLATES = {
  sid: 'ReadProvisioningTemplates',
  actions: ['s3:GetObject'],
  resources: [`arn:\${AWS::Partition}:s3:::orgbridge-artifacts-\${CicdAccountId}-*/templates/*`],
  // Only of buckets the cicd account owns: bucket names are global.
  conditions: { StringEquals: { 'aws:ResourceAccount': `\${CicdAccountId}` } },
};

/**
 * The provisioning handlers' roles, statement by statement: exactly the calls the handlers make
 * in AWS (src/handlers/provisioning/ports.ts), on orgbridge's own stacks, roles and parameters.
 */
describe('provisioning handler permissions', () => {
  it.each([
    ['CREATE_VPC', 'DeployVpc', 'orgbridge-vpc', '*', 'orgbridge-stack-deployer'],
    [
      'UPDATE_ACCOUNT_BASELINE',
      'DeployAccountBaseline',
      'orgbridge-account-baseline',
      `\${AWS::Region}`,
      'orgbridge-stack-deployer',
    ],
    [
      'UPDATE_IAM_MAPPING',
      'DeployIamMapping',
      'orgbridge-iam-mapping',
      `\${AWS::Region}`,
      'orgbridge-stack-deployer',
    ],
    [
      'UPDATE_LOG_BUCKETS',
      'DeployLogBuckets',
      'orgbridge-log-buckets',
      `\${AWS::Region}`,
      'update-s3-stacks-role',
    ],
  ])('%s deploys its stack with its service role, from the artifact templates', (type, sid, stack, region, role) => {
    // UPDATE_ACCOUNT_BASELINE also deploys the backup vaults of other regions and makes sure of
    // the vault Default (the tests after this one).
    expect(
      statements(type).filter(
        (s) =>
          !s.sid.startsWith('DeployBackupVaults') &&
          !s.sid.startsWith('Backup') &&
          s.sid !== 'DefaultBackupVault' &&
          s.sid !== 'VpcZones',
      ),
    ).toEqual([
      // Created and updated only from a template under templates/ of a cicd artifact bucket.
      {
        sid: `${sid}StackDeploy`,
        actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack'],
        resources: [`arn:\${AWS::Partition}:cloudformation:${region}:\${AWS::AccountId}:stack/${stack}/*`],
        // And only as its own service role: the handler may pass more than one.
        conditions: {
          ...FROM_ARTIFACTS,
          ArnEquals: {
            'cloudformation:RoleArn': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${role}`,
          },
        },
      },
      {
        sid: `${sid}Stack`,
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:DeleteStack',
          'cloudformation:TagResource',
          'cloudformation:UntagResource',
        ],
        resources: [`arn:\${AWS::Partition}:cloudformation:${region}:\${AWS::AccountId}:stack/${stack}/*`],
      },
      {
        sid: `${sid}PassRole`,
        actions: ['iam:PassRole'],
        resources: [`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${role}`],
        conditions: PASS,
      },
      TEMPLATES,
    ]);
  });

  it('CREATE_VPC counts the zones Fn::GetAZs answers, with the two reads that take no resource', () => {
    expect(statements('CREATE_VPC').filter((s) => s.sid === 'VpcZones')).toEqual([
      {
        sid: 'VpcZones',
        actions: ['ec2:DescribeAvailabilityZones', 'ec2:DescribeSubnets'],
        resources: ['*'],
      },
    ]);
  });

  it('DEPLOY_CUSTOMIZATION creates and updates custom-* stacks only as the customization deployer', () => {
    const deploy = statements('DEPLOY_CUSTOMIZATION').filter((s) =>
      s.actions.some((a) =>
        [
          'cloudformation:CreateStack',
          'cloudformation:UpdateStack',
          'cloudformation:CreateChangeSet',
        ].includes(a),
      ),
    );
    expect(deploy.map((s) => [s.sid, s.conditions])).toEqual([
      [
        'DeployCustomizationStacks',
        {
          ArnEquals: {
            'cloudformation:RoleArn': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/orgbridge-customization-deployer`,
          },
        },
      ],
    ]);
  });

  it('merges statements of the same actions and conditions, and nothing else', () => {
    const a = {
      sid: 'A',
      actions: ['iam:PassRole'],
      resources: ['r1'],
      conditions: { StringEquals: { k: 'v' } },
    };
    const b = {
      sid: 'B',
      actions: ['iam:PassRole'],
      resources: ['r2', 'r1'],
      conditions: { StringEquals: { k: 'v' } },
    };
    const c = {
      sid: 'C',
      actions: ['iam:PassRole'],
      resources: ['r3'],
      conditions: { StringEquals: { k: 'w' } },
    };
    const d = {
      sid: 'D',
      effect: 'Deny' as const,
      actions: ['iam:PassRole'],
      resources: ['r4'],
      conditions: a.conditions,
    };
    expect(mergedStatements([a, c, b, d])).toEqual([{ ...a, resources: ['r1', 'r2'] }, c, d]);
    // Every handler's statements, merged, still allow what each did on its own.
    const all = Object.values(HANDLER_PERMISSIONS).flat();
    const merged = mergedStatements(all);
    expect(merged.length).toBeLessThan(all.length);
    for (const s of all) {
      expect(
        merged.some(
          (m) =>
            (m.effect ?? 'Allow') === (s.effect ?? 'Allow') &&
            JSON.stringify(m.conditions ?? null) === JSON.stringify(s.conditions ?? null) &&
            s.actions.every((x) => m.actions.includes(x)) &&
            (s.notResources
              ? m.notResources === s.notResources
              : s.resources.every((r) => m.resources.includes(r))),
        ),
        s.sid,
      ).toBe(true);
    }
  });

  it('UPDATE_ACCOUNT_BASELINE creates the vault Default (and nothing else) through the Backup API, in any region', () => {
    const vault = statements('UPDATE_ACCOUNT_BASELINE').filter(
      (s) => s.sid === 'DefaultBackupVault' || s.sid.startsWith('Backup'),
    );
    expect(vault.map((s) => [s.sid, s.resources])).toEqual([
      ['DefaultBackupVault', [`arn:\${AWS::Partition}:backup:*:\${AWS::AccountId}:backup-vault:Default`]],
      ['BackupVaultStorage', ['*']],
      ['BackupVaultDefaultKey', [`arn:\${AWS::Partition}:kms:*:\${AWS::AccountId}:key/*`]],
    ]);
    expect(vault[0]?.actions).toEqual(['backup:DescribeBackupVault', 'backup:CreateBackupVault']);
    expect(vault[2]?.conditions).toEqual({ StringLike: { 'kms:ViaService': 'backup.*.amazonaws.com' } });
  });

  it('UPDATE_ACCOUNT_BASELINE with a region deploys orgbridge-backup-vaults in any region, and no other stack', () => {
    const extra = statements('UPDATE_ACCOUNT_BASELINE').filter((s) => s.sid.startsWith('DeployBackupVaults'));
    const resources = [
      `arn:\${AWS::Partition}:cloudformation:*:\${AWS::AccountId}:stack/orgbridge-backup-vaults/*`,
    ];
    expect(extra).toEqual([
      {
        sid: 'DeployBackupVaultsStackDeploy',
        actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack'],
        resources,
        conditions: FROM_ARTIFACTS,
      },
      {
        sid: 'DeployBackupVaultsStack',
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:DeleteStack',
          'cloudformation:TagResource',
          'cloudformation:UntagResource',
        ],
        resources,
      },
    ]);
  });

  it('PUT_SSM_PARAMETERS reads, writes and deletes /orgbridge/account/ in its region only', () => {
    expect(statements('PUT_SSM_PARAMETERS')).toEqual([
      {
        sid: 'WriteAccountParameters',
        actions: ['ssm:GetParametersByPath', 'ssm:PutParameter', 'ssm:DeleteParameters'],
        resources: [
          `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/orgbridge/account`,
          `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/orgbridge/account/*`,
        ],
      },
    ]);
  });

  it('STACK_INSTANCE_STATUS describes orgbridge stack instances and nothing else', () => {
    expect(statements('STACK_INSTANCE_STATUS')).toEqual([
      {
        sid: 'ReadStackInstances',
        actions: ['cloudformation:DescribeStackInstance'],
        resources: [
          `arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stackset/orgbridge-*:*`,
        ],
      },
    ]);
  });

  it('grant no wildcard action and no change sets to a provisioning handler', () => {
    for (const type of [
      'CREATE_VPC',
      'UPDATE_ACCOUNT_BASELINE',
      'UPDATE_IAM_MAPPING',
      'UPDATE_LOG_BUCKETS',
      'PUT_SSM_PARAMETERS',
      'STACK_INSTANCE_STATUS',
    ]) {
      for (const action of actionsOf(type)) {
        expect(action, type).not.toContain('*');
        expect(action, type).not.toMatch(/ChangeSet/);
      }
    }
  });
});

describe('the template URL condition of the deploy statements', () => {
  // IAM's StringLike: `*` any run of characters, `?` one
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
  const like = (pattern: string, value: string) =>
    new RegExp(
      `^${pattern
        .split('*')
        .map((p) => p.replace(/[.?+^$()[\]{}|\\/]/g, '\\$&'))
        .join('.*')}$`,
    ).test(value);
  const pattern = FROM_ARTIFACTS.StringLike['cloudformation:TemplateUrl'].replace(
    `\${CicdAccountId}`,
    '111122223333',
  );

  it('matches the URLs the pipeline deploys from, in every partition, and nothing else', () => {
    for (const region of ['eu-west-1', 'us-gov-west-1', 'cn-north-1'])
      expect(
        like(pattern, artifactObjectUrl('111122223333', region, 'templates/orgbridge-vpc-1a2b.json')),
      ).toBe(true);
    expect(like(pattern, artifactObjectUrl('999999999999', 'eu-west-1', 'templates/x.json'))).toBe(false);
    expect(like(pattern, artifactObjectUrl('111122223333', 'eu-west-1', 'customizations/x.json'))).toBe(
      false,
    );
    expect(like(pattern, 'https://attacker-bucket.s3.eu-west-1.amazonaws.com/templates/x.json')).toBe(false);
  });
});
