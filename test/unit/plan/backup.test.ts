import { describe, expect, it } from 'vitest';
import type { PolicyDocument, ResolvedAccount } from '../../../src/config/model.js';
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

describe('accountBackup', () => {
  it("follows the OU inheritance: @@assign overrides, a locked setting stays the parent's", () => {
    const dev = desired('api', { organization_unit: 'Internal/Dev', region: 'us-east-1' });
    expect(accountBackup(config, dev)).toEqual({
      // MonthlyVault: the parent forbids re-assigning it, so DevVault is never used.
      vaults: ['Default', 'Copies', 'MonthlyVault'],
      // WeeklyRole is replaced by DevWeeklyRole; orgbridge-backup appears once, first.
      roles: ['orgbridge-backup', 'DevWeeklyRole', 'MonthlyRole'],
    });
  });

  it("an OU without policies of its own gets its parent's names; an account elsewhere gets the baseline", () => {
    const prod = desired('ledger', { organization_unit: 'Internal/Prod' });
    expect(accountBackup(config, prod)).toEqual({
      vaults: ['Default', 'MonthlyVault'],
      roles: ['orgbridge-backup', 'MonthlyRole', 'WeeklyRole'],
    });
    const other = desired('sandbox', { organization_unit: 'Sandbox' });
    expect(accountBackup(config, other)).toEqual({ vaults: ['Default'], roles: ['orgbridge-backup'] });
  });

  it("creates a $account copy target only in the account's home region, where its baseline is", () => {
    const west = desired('api-west', { organization_unit: 'Internal/Dev', region: 'us-west-2' });
    expect(accountBackup(config, west).vaults).toEqual(['Default', 'Far', 'MonthlyVault']);
  });

  it('accounts of one OU and region get equal results (they share one baseline template)', () => {
    const a = desired('a', { organization_unit: 'Internal/Dev' });
    const b = desired('b', { organization_unit: 'Internal/Dev', access: { all: ['Admin'] } });
    expect(accountBackup(config, a)).toEqual(accountBackup(config, b));
  });

  it('refuses a backup role that is also an access role or AutomationRole of the account', () => {
    const clash = desired('api', { organization_unit: 'Internal/Prod', access: { rw: ['MonthlyRole'] } });
    expect(() => accountBackup(config, clash)).toThrow(
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
    expect(() => accountBackup(automation, desired('api'))).toThrow(
      expect.objectContaining({ code: 'BACKUP_ROLE_CONFLICT' }),
    );
  });
});

describe('examples/ backup policies', async () => {
  const { loadConfig } = await import('../../../src/config/index.js');
  const examples = await loadConfig('examples');
  const first = (ou: string) => examples.accounts.find((a) => a.organization_unit === ou);

  it("give Standard accounts seed 004's MyMonthlyBackupIamRole and Cde accounts BackupRole", () => {
    expect(accountBackup(examples, first('Internal/Standard') as ResolvedAccount)).toEqual({
      vaults: ['Default'],
      roles: ['orgbridge-backup', 'MyMonthlyBackupIamRole'],
    });
    // Cde's copy to us-west-2 is in another region than the accounts' home: not created.
    const cde = first('Internal/Cde') as ResolvedAccount;
    expect(cde.region).not.toBe('us-west-2');
    expect(accountBackup(examples, cde)).toEqual({
      vaults: ['Default'],
      roles: ['orgbridge-backup', 'BackupRole'],
    });
  });
});
