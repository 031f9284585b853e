import { type BackupNames, backupNames } from '../config/backup-policy.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { effectivePolicyForAccount } from '../config/policy-inheritance.js';
import { OrgbridgeError } from '../errors.js';
import { AUTOMATION_ROLE_NAME } from './access.js';

/**
 * The backup vaults and roles one account's baseline creates (seed 004 "Backup Policies"): the
 * fixed `Default` vault and `orgbridge-backup` role, plus every vault and `$account` role the
 * effective backup policy of the account's OU names, so that what the policy references exists.
 * The effective policy is computed offline exactly as `orgbridge effective-policy` does.
 *
 * Accounts of one OU in one home region get equal results, so they keep sharing one baseline
 * template (src/templates/provisioning.ts memoises by shape).
 */
export type AccountBackup = Pick<BackupNames, 'vaults' | 'roles'>;

export function accountBackup(
  config: Pick<ResolvedConfig, 'policies'>,
  account: Pick<ResolvedAccount, 'key' | 'organization_unit' | 'region' | 'access'>,
): AccountBackup {
  const { policy } = effectivePolicyForAccount(config, account, 'backup');
  const { vaults, roles } = backupNames(policy, account.region);
  // The baseline stack holds the access roles and AutomationRole too: one name, one role.
  const taken = new Set([AUTOMATION_ROLE_NAME, ...Object.values(account.access).flat()]);
  const clash = roles.filter((role) => taken.has(role));
  if (clash.length) {
    throw new OrgbridgeError(
      'BACKUP_ROLE_CONFLICT',
      `account '${account.key}': the backup policies of OU '${account.organization_unit}' name role ${clash.join(', ')}, already the account's AutomationRole or one of its access roles`,
      {
        hint: 'give the backup role its own name in policies/backup/, e.g. "arn:aws:iam::$account:role/orgbridge-backup"',
      },
    );
  }
  return { vaults, roles };
}
