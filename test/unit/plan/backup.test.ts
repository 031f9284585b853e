import { describe, expect, it } from 'vitest';
import type { PolicyDocument, ResolvedAccount } from '../../../src/config/model.js';
import { configuredRegions, homeRegionOf } from '../../../src/config/regions.js';
import { accountBackup } from '../../../src/plan/backup.js';
import { desired } from './fixtures.js';

/** What each account's baseline creates from the effective backup policy of its OU. */
const policy = (organization_unit: string, name: string, document: object): PolicyDocument => ({
  type: 'backup',
  organization_unit,
  name,
  file: `policies/backup/${organization_unit}/${name}.json`,
  content: JSON.stringify(document),
});
const role = (name: string) => `arn:aws:iam::$account:role/${name}`;

/**
 * Internal: plan Monthly (role MonthlyRole, vault MonthlyVault; regions locked for children) and
 * plan Weekly (role WeeklyRole). Internal/Dev re-assigns Weekly's role and appends a region,
 * adds a plan with a copy to a vault in its own region, and tries to re-assign Monthly's vault,
 * which the parent forbids. Internal/Prod has no policy of its own.
 */
const policies: PolicyDocument[] = [
  policy('Internal', 'a-monthly', {
    plans: {
      Monthly: {
        regions: { '@@assign': ['us-east-1'] },
        rules: {
          R: {
            target_backup_vault_name: {
              '@@assign': 'MonthlyVault',
              '@@operators_allowed_for_child_policies': ['@@none'],
            },
          },
        },
        selections: { tags: { S: { iam_role_arn: { '@@assign': role('MonthlyRole') } } } },
      },
    },
  }),
  policy('Internal', 'b-weekly', {
    plans: { Weekly: { selections: { tags: { S: { iam_role_arn: { '@@assign': role('WeeklyRole') } } } } } },
  }),
  policy('Internal/Dev', 'dev', {
    plans: {
      Monthly: {
        regions: { '@@append': ['eu-west-1'] },
        rules: { R: { target_backup_vault_name: { '@@assign': 'DevVault' } } },
      },
      Weekly: { selections: { tags: { S: { iam_role_arn: { '@@assign': role('DevWeeklyRole') } } } } },
      Daily: {
        rules: {
          D: {
            target_backup_vault_name: { '@@assign': 'Default' },
            copy_actions: {
              a: {
                target_backup_vault_arn: {
                  '@@assign': 'arn:aws:backup:us-east-1:$account:backup-vault:Copies',
                },
              },
              b: {
                target_backup_vault_arn: { '@@assign': 'arn:aws:backup:us-west-2:$account:backup-vault:Far' },
              },
            },
          },
        },
        selections: { resources: { S: { iam_role_arn: { '@@assign': role('orgbridge-backup') } } } },
      },
    },
  }),
];
const config = { policies };
/** The organization's regions: home us-east-1, buckets in us-west-2 and eu-west-1 too. */
const WHERE = { homeRegion: 'us-east-1', regions: ['us-east-1', 'us-west-2', 'eu-west-1'] };
const baseline = (account: ResolvedAccount, where = WHERE) => {
  const { vaults, roles } = accountBackup(config, account, where);
  return { vaults, roles };
};

describe('accountBackup', () => {
  it("follows the OU inheritance: @@assign overrides, a locked setting stays the parent's", () => {
    const dev = desired('api', { organization_unit: 'Internal/Dev', region: 'us-east-1' });
    expect(baseline(dev)).toEqual({
      // MonthlyVault: the parent forbids re-assigning it, so DevVault is never used.
      vaults: ['Default', 'Copies', 'MonthlyVault'],
      // WeeklyRole is replaced by DevWeeklyRole; orgbridge-backup appears once, first.
      roles: ['orgbridge-backup', 'DevWeeklyRole', 'MonthlyRole'],
    });
  });

  it("an OU without policies of its own gets its parent's names; an account elsewhere gets the baseline", () => {
    const prod = desired('ledger', { organization_unit: 'Internal/Prod' });
    expect(baseline(prod)).toEqual({
      vaults: ['Default', 'MonthlyVault'],
      roles: ['orgbridge-backup', 'MonthlyRole', 'WeeklyRole'],
    });
    const other = desired('sandbox', { organization_unit: 'Sandbox' });
    expect(baseline(other)).toEqual({ vaults: ['Default'], roles: ['orgbridge-backup'] });
    expect(accountBackup(config, other, WHERE)).toMatchObject({ regional: [], outside: [], leftAlone: [] });
  });

  it('creates a $account copy target in the baseline only when it is in the home region, where the baseline is', () => {
    const api = desired('api', { organization_unit: 'Internal/Dev' });
    // The account's own region does not matter: the baseline is deployed in the home region.
    expect(baseline({ ...api, region: 'us-west-2' })).toEqual(baseline(api));
    expect(baseline(api, { ...WHERE, homeRegion: 'us-west-2' }).vaults).toEqual([
      'Default',
      'Far',
      'MonthlyVault',
    ]);
  });

  it("needs each plan's vaults in every region of the plan, and each $account copy target in its region", () => {
    const dev = desired('api', { organization_unit: 'Internal/Dev' });
    expect(accountBackup(config, dev, WHERE)).toEqual({
      homeRegion: 'us-east-1',
      vaults: ['Default', 'Copies', 'MonthlyVault'],
      roles: ['orgbridge-backup', 'DevWeeklyRole', 'MonthlyRole'],
      // Monthly runs in us-east-1 (home: the baseline) and eu-west-1 (appended by Dev); Daily's
      // copy goes to Far in us-west-2. Weekly and Daily name no region: they run nowhere else.
      regional: [
        { region: 'eu-west-1', vaults: ['MonthlyVault'] },
        { region: 'us-west-2', vaults: ['Far'] },
      ],
      outside: [],
      leftAlone: [],
    });
    const west = accountBackup(config, dev, { ...WHERE, homeRegion: 'us-west-2' });
    expect(west.regional).toEqual([
      { region: 'eu-west-1', vaults: ['MonthlyVault'] },
      { region: 'us-east-1', vaults: ['Copies', 'MonthlyVault'] },
    ]);
  });

  it("sets apart the regions without an artifact bucket, and leaves other accounts' vaults alone", () => {
    const central = 'arn:aws:backup:us-east-1:111122223333:backup-vault:Central';
    const withCentral = {
      policies: [
        ...policies,
        policy('Internal/Dev', 'z-central', {
          plans: {
            Central: {
              regions: { '@@assign': ['us-east-1'] },
              rules: { C: { copy_actions: { c: { target_backup_vault_arn: { '@@assign': central } } } } },
            },
          },
        }),
      ],
    };
    const dev = desired('api', { organization_unit: 'Internal/Dev' });
    const plan = accountBackup(withCentral, dev, { homeRegion: 'us-east-1', regions: ['us-east-1'] });
    expect(plan.regional).toEqual([]);
    expect(plan.outside).toEqual([
      { region: 'eu-west-1', vaults: ['MonthlyVault'] },
      { region: 'us-west-2', vaults: ['Far'] },
    ]);
    expect(plan.leftAlone).toEqual([central]);
  });

  it('accounts of one OU and region get equal results (they share one baseline template)', () => {
    const a = desired('a', { organization_unit: 'Internal/Dev' });
    const b = desired('b', { organization_unit: 'Internal/Dev', access: { all: ['Admin'] } });
    expect(accountBackup(config, a, WHERE)).toEqual(accountBackup(config, b, WHERE));
  });

  it('refuses a backup role that is also an access role or AutomationRole of the account', () => {
    const clash = desired('api', { organization_unit: 'Internal/Prod', access: { rw: ['MonthlyRole'] } });
    expect(() => accountBackup(config, clash, WHERE)).toThrow(
      expect.objectContaining({
        code: 'BACKUP_ROLE_CONFLICT',
        message: expect.stringContaining('MonthlyRole'),
      }),
    );
    const automation = {
      policies: [
        policy('Internal', 'x', {
          plans: {
            P: { selections: { tags: { S: { iam_role_arn: { '@@assign': role('AutomationRole') } } } } },
          },
        }),
      ],
    };
    expect(() => accountBackup(automation, desired('api'), WHERE)).toThrow(
      expect.objectContaining({ code: 'BACKUP_ROLE_CONFLICT' }),
    );
  });
});

describe('examples/ backup policies', async () => {
  const { loadConfig } = await import('../../../src/config/index.js');
  const examples = await loadConfig('examples');
  const first = (ou: string) => examples.accounts.find((a) => a.organization_unit === ou);

  const where = { homeRegion: homeRegionOf(examples), regions: configuredRegions(examples) };

  it("give Standard accounts seed 004's MyMonthlyBackupIamRole and Cde accounts BackupRole", () => {
    expect(accountBackup(examples, first('Internal/Standard') as ResolvedAccount, where)).toEqual({
      homeRegion: 'ap-southeast-2',
      vaults: ['Default'],
      roles: ['orgbridge-backup', 'MyMonthlyBackupIamRole'],
      // The monthly plan runs in ap-southeast-2 (home) and us-east-1.
      regional: [{ region: 'us-east-1', vaults: ['Default'] }],
      outside: [],
      leftAlone: [],
    });
    // Cde's daily plan runs at home and copies to its own vault Default in us-west-2.
    expect(accountBackup(examples, first('Internal/Cde') as ResolvedAccount, where)).toEqual({
      homeRegion: 'ap-southeast-2',
      vaults: ['Default'],
      roles: ['orgbridge-backup', 'BackupRole'],
      regional: [{ region: 'us-west-2', vaults: ['Default'] }],
      outside: [],
      leftAlone: [],
    });
  });
});
