import { describe, expect, it } from 'vitest';
import {
  BACKUP_NAMES_MAX,
  backupNames,
  backupReferences,
  backupVaultsByRegion,
} from '../../../src/config/backup-policy.js';
import { BASE, errorsOf, expectOne, lineOf, resolveOk } from './support.js';

/** Backup policies: the names they need in each account, and the DSL's checks of those names. */
const file = (path: string, text: string) => ({ path, text });

/** A seed 004 style plan, pretty-printed the way people write them. */
function plan(options: { role?: string; vault?: string; copyTo?: string; name?: string } = {}): string {
  const rule: Record<string, unknown> = {
    schedule_expression: { '@@assign': 'cron(0 5 1 * ? *)' },
    target_backup_vault_name: { '@@assign': options.vault ?? 'Default' },
  };
  if (options.copyTo) {
    rule.copy_actions = { [options.copyTo]: { target_backup_vault_arn: { '@@assign': options.copyTo } } };
  }
  return JSON.stringify(
    {
      plans: {
        [options.name ?? 'Monthly_Backup_Plan']: {
          regions: { '@@assign': ['ap-southeast-2'] },
          rules: { Monthly: rule },
          selections: {
            tags: {
              Backup_Assignment: {
                iam_role_arn: {
                  '@@assign': `arn:aws:iam::$account:role/${options.role ?? 'MyMonthlyBackupIamRole'}`,
                },
                tag_key: { '@@assign': 'BackupType' },
                tag_value: { '@@assign': ['MONTHLY'] },
              },
            },
          },
        },
      },
    },
    null,
    2,
  );
}

describe('backupReferences / backupNames', () => {
  it('finds roles and vaults under operators (files) and bare (effective policies)', () => {
    const raw = JSON.parse(plan({ copyTo: 'arn:aws:backup:us-west-2:$account:backup-vault:Copies' }));
    expect(backupReferences(raw)).toEqual([
      { kind: 'vault', value: 'Default' },
      { kind: 'copy-target', value: 'arn:aws:backup:us-west-2:$account:backup-vault:Copies' },
      { kind: 'role', value: 'arn:aws:iam::$account:role/MyMonthlyBackupIamRole' },
    ]);
    const effective = {
      plans: { P: { selections: { tags: { S: { iam_role_arn: 'arn:aws:iam::$account:role/R' } } } } },
    };
    expect(backupReferences(effective)).toEqual([{ kind: 'role', value: 'arn:aws:iam::$account:role/R' }]);
  });

  it('always has the baseline first, then the named ones sorted; copies elsewhere are left alone', () => {
    const doc = {
      plans: {
        P: {
          rules: {
            A: {
              target_backup_vault_name: 'Zeta',
              copy_actions: {
                x: { target_backup_vault_arn: 'arn:aws:backup:eu-west-1:$account:backup-vault:Local' },
                y: { target_backup_vault_arn: 'arn:aws:backup:us-west-2:$account:backup-vault:OtherRegion' },
                z: { target_backup_vault_arn: 'arn:aws:backup:eu-west-1:111122223333:backup-vault:Central' },
              },
            },
            B: { target_backup_vault_name: 'Default' },
          },
          selections: {
            tags: {
              S1: { iam_role_arn: 'arn:aws:iam::$account:role/b-role' },
              S2: { iam_role_arn: 'arn:aws:iam::$account:role/orgbridge-backup' },
              S3: { iam_role_arn: 'arn:aws:iam::$account:role/A-role' },
            },
          },
        },
      },
    };
    expect(backupNames(doc, 'eu-west-1')).toEqual({
      vaults: ['Default', 'Local', 'Zeta'],
      roles: ['orgbridge-backup', 'A-role', 'b-role'],
      leftAlone: [
        'arn:aws:backup:eu-west-1:111122223333:backup-vault:Central',
        'arn:aws:backup:us-west-2:$account:backup-vault:OtherRegion',
      ],
    });
    expect(backupNames({}, 'eu-west-1')).toEqual({
      vaults: ['Default'],
      roles: ['orgbridge-backup'],
      leftAlone: [],
    });
  });
});

describe('backupVaultsByRegion', () => {
  const effective = {
    plans: {
      A: {
        regions: ['us-east-1', 'eu-west-1'],
        rules: {
          R1: { target_backup_vault_name: 'Zeta' },
          R2: {
            target_backup_vault_name: 'Default',
            copy_actions: {
              x: { target_backup_vault_arn: 'arn:aws:backup:ap-south-1:$account:backup-vault:Copies' },
              y: { target_backup_vault_arn: 'arn:aws:backup:us-east-1:111122223333:backup-vault:Central' },
            },
          },
        },
        selections: { tags: { S: { iam_role_arn: 'arn:aws:iam::$account:role/R' } } },
      },
      B: { regions: ['eu-west-1'], rules: { R: { target_backup_vault_name: 'Beta' } } },
      // No regions: AWS Backup runs it nowhere.
      C: { rules: { R: { target_backup_vault_name: 'Nowhere' } } },
    },
  };

  it("is every plan region times the plan's vaults, plus $account copy targets in their region; no roles", () => {
    expect(backupVaultsByRegion(effective, ['us-east-1', 'eu-west-1', 'ap-south-1'])).toEqual({
      regions: [
        { region: 'ap-south-1', vaults: ['Copies'] },
        { region: 'eu-west-1', vaults: ['Default', 'Beta', 'Zeta'] },
        { region: 'us-east-1', vaults: ['Default', 'Zeta'] },
      ],
      outside: [],
    });
  });

  it('sets apart regions outside the allowed ones', () => {
    expect(backupVaultsByRegion(effective, ['us-east-1'])).toEqual({
      regions: [{ region: 'us-east-1', vaults: ['Default', 'Zeta'] }],
      outside: [
        { region: 'ap-south-1', vaults: ['Copies'] },
        { region: 'eu-west-1', vaults: ['Default', 'Beta', 'Zeta'] },
      ],
    });
    expect(backupVaultsByRegion({}, ['us-east-1'])).toEqual({ regions: [], outside: [] });
  });
});

describe('backup policy validation', () => {
  const path = 'policies/backup/Internal/Infra/monthly.json';

  it('accepts seed 004 policies (the examples/ ones are loaded by example.test.ts)', () => {
    resolveOk(BASE, [file(path, plan())]);
  });

  it('a literal account id in iam_role_arn: error at the value, hint with $account', () => {
    const text = plan({ role: 'X' }).replace('$account', '123456789012');
    const error = expectOne(
      errorsOf(BASE, [file(path, text)]),
      'DSL_BACKUP_ROLE_ACCOUNT',
      path,
      lineOf(text, 'iam_role_arn') + 1,
    );
    const line = text.split('\n')[(error.location?.line as number) - 1] as string;
    expect(error.location?.column).toBe(line.indexOf('"arn:') + 1);
    expect(error.message).toContain('123456789012');
    expect(error.hint).toContain('write "arn:aws:iam::$account:role/X"');
  });

  it('invalid role names, role paths, other shapes and vault names: each at its own line', () => {
    const text = [
      '{"plans": {"P": {',
      '  "rules": {',
      '    "A": {"target_backup_vault_name": {"@@assign": "my vault"}},',
      '    "B": {"target_backup_vault_name": {"@@assign": "ok-vault"},',
      '          "copy_actions": {"c": {"target_backup_vault_arn": {"@@assign": "arn:aws:s3:::bucket"}}}}',
      '  },',
      '  "selections": {"tags": {',
      '    "S1": {"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/has space"}},',
      '    "S2": {"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/service-role/Backup"}},',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the mistake under test
      '    "S3": {"iam_role_arn": {"@@assign": "arn:aws:iam::${account}:role/Backup"}},',
      '    "S4": {"iam_role_arn": "BackupRole"}',
      '  }}',
      '}}}',
    ].join('\n');
    const errors = errorsOf(BASE, [file(path, text)]);
    expect(errors.map((e) => [e.code, e.location?.line])).toEqual([
      ['DSL_BACKUP_VAULT_NAME', 3],
      ['DSL_BACKUP_VAULT_NAME', 5],
      ['DSL_BACKUP_ROLE_ARN', 8],
      ['DSL_BACKUP_ROLE_ARN', 9],
      ['DSL_BACKUP_ROLE_ARN', 10],
      ['DSL_BACKUP_ROLE_ARN', 11],
    ]);
    expect(errors[3]?.message).toContain('role path');
    expect(errors[3]?.hint).toBe('write "arn:aws:iam::$account:role/<role name>"');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the mistake under test
    expect(errors[4]?.message).toContain("names account '${account}' instead of $account");
    expect(errors[4]?.hint).toBe('write "arn:aws:iam::$account:role/Backup"');
  });

  it('the same wrong value twice is reported at each occurrence', () => {
    const role = '{"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/x y"}}';
    const text = `{"plans": {"P": {"selections": {"tags": {\n"A": ${role},\n"B": ${role}\n}}}}}`;
    const errors = errorsOf(BASE, [file(path, text)]).filter((e) => e.code === 'DSL_BACKUP_ROLE_ARN');
    expect(errors.map((e) => e.location?.line)).toEqual([2, 3]);
  });

  it('more roles than the cap across the OU chain: one error, at the reference over the limit', () => {
    // OU Internal names 6 roles, Internal/Infra 5 more: 12 with orgbridge-backup.
    const plans = (prefix: string, count: number) =>
      JSON.stringify(
        {
          plans: Object.fromEntries(
            Array.from({ length: count }, (_, i) => [
              `${prefix}${i}`,
              JSON.parse(plan({ role: `${prefix}${i}` })).plans.Monthly_Backup_Plan,
            ]),
          ),
        },
        null,
        2,
      );
    const parent = plans('Parent', 6);
    const child = plans('Child', 5);
    const childPath = 'policies/backup/Internal/Infra/more.json';
    const errors = errorsOf(BASE, [
      file('policies/backup/Internal/base.json', parent),
      file(childPath, child),
    ]);
    const error = expectOne(errors, 'DSL_BACKUP_TOO_MANY_NAMES', childPath, lineOf(child, 'role/Child3'));
    expect(error.message).toContain(`need 12 roles in each account`);
    expect(error.message).toContain(`the limit is ${BACKUP_NAMES_MAX}`);
    expect(error.hint).toContain('one role for every selection');
    // Without the child policy the parent alone (7 roles) is fine.
    resolveOk(BASE, [file('policies/backup/Internal/base.json', parent)]);
  });
  it('a plan region or $account copy target outside defaults.regions: error at the value, hint names the fix', () => {
    // BASE operates in ap-southeast-2 and us-east-1.
    const text = [
      '{"plans": {"P": {',
      '  "regions": {"@@assign": ["ap-southeast-2",',
      '                          "eu-west-1"]},',
      '  "rules": {"R": {"target_backup_vault_name": {"@@assign": "Default"},',
      '    "copy_actions": {',
      '      "a": {"target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:Ok"}},',
      '      "b": {"target_backup_vault_arn": {"@@assign": "arn:aws:backup:sa-east-1:$account:backup-vault:Far"}},',
      '      "c": {"target_backup_vault_arn": {"@@assign": "arn:aws:backup:sa-east-1:111122223333:backup-vault:Theirs"}}',
      '    }}}',
      '}}}',
    ].join('\n');
    const errors = errorsOf(BASE, [file(path, text)]);
    const lines = text.split('\n');
    expect(errors.map((e) => [e.code, e.location?.line, e.location?.column])).toEqual([
      ['DSL_BACKUP_REGION_NOT_ALLOWED', 3, (lines[2] as string).indexOf('"eu-west-1"') + 1],
      ['DSL_BACKUP_REGION_NOT_ALLOWED', 7, (lines[6] as string).indexOf('"arn:') + 1],
    ]);
    expect(errors[0]?.message).toContain('"eu-west-1"');
    expect(errors[0]?.message).toContain('ap-southeast-2, us-east-1');
    expect(errors[0]?.hint).toContain('add eu-west-1 to defaults.regions');
    expect(errors[1]?.message).toContain('is in sa-east-1');
    // Appending a region in a child OU is checked the same way; removing one is not a use.
    const child = '{"plans": {"P": {"regions": {"@@append": ["eu-west-1"], "@@remove": ["eu-west-2"]}}}}';
    expect(
      errorsOf(BASE, [file(path, plan()), file('policies/backup/Internal/Infra/z.json', child)]).map((e) => [
        e.code,
        e.location?.file,
      ]),
    ).toEqual([['DSL_BACKUP_REGION_NOT_ALLOWED', 'policies/backup/Internal/Infra/z.json']]);
  });
});
