import {
  ACCOUNT_VARIABLE,
  type BackupNames,
  backupNames,
  backupVaultsByRegion,
  parseVaultArn,
  type RegionVaults,
} from '../config/backup-policy.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import { effectivePolicyForAccount } from '../config/policy-inheritance.js';
import { OrgbridgeError } from '../errors.js';
import { AUTOMATION_ROLE_NAME } from './access.js';

/**
 * The backup vaults and roles one account's baseline creates (the Pulumi approach's "Backup Policies"): the
 * fixed `Default` vault and `orgbridge-backup` role, plus every vault and `$account` role the
 * effective backup policy of the account's OU names, so that what the policy references exists.
 * The effective policy is computed offline exactly as `orgbridge effective-policy` does.
 *
 * Accounts of one OU get equal results, so they keep sharing one baseline template
 * (src/templates/provisioning.ts memoises by shape).
 */
export type AccountBackup = Pick<BackupNames, 'vaults' | 'roles'>;

/** What the pipeline creates for one account's backup, region by region (docs/provisioning.md#backup). */
export interface AccountBackupPlan extends AccountBackup {
  /** The region of the account baseline stack, which holds `roles` and `vaults`. */
  readonly homeRegion: string;
  /**
   * Other regions whose plans or `$account` copy targets need vaults: one stack
   * `orgbridge-backup-vaults` each, sorted by region. IAM roles are global: none here.
   */
  readonly regional: readonly RegionVaults[];
  /**
   * Regions outside the organization's that would need vaults (the DSL refuses them; a config
   * built in code may have them): nothing can deploy there, the pipeline's step fails saying so.
   */
  readonly outside: readonly RegionVaults[];
  /** Copy targets in other accounts: never created (their owner creates them). */
  readonly leftAlone: readonly string[];
}

export interface BackupRegions {
  /** The home region: where the baseline stack (and so its vaults) is deployed. */
  readonly homeRegion: string;
  /** The regions the pipeline can deploy to (`operatingRegions`: home and defaults.regions). */
  readonly regions: readonly string[];
}

export function accountBackup(
  config: Pick<ResolvedConfig, 'policies'>,
  account: Pick<ResolvedAccount, 'key' | 'organization_unit' | 'access'>,
  where: BackupRegions,
): AccountBackupPlan {
  const { policy } = effectivePolicyForAccount(config, account, 'backup');
  // The baseline keeps every vault the policy names (round one's set, so no existing baseline
  // changes): a superset of what the plans running in the home region need.
  const { vaults, roles, leftAlone } = backupNames(policy, where.homeRegion);
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
  const allowed = [...new Set([where.homeRegion, ...where.regions])];
  const { regions, outside } = backupVaultsByRegion(policy, allowed);
  return {
    vaults,
    roles,
    homeRegion: where.homeRegion,
    regional: regions.filter((r) => r.region !== where.homeRegion),
    outside,
    // `$account` copy targets in other regions are in `regional` or `outside`.
    leftAlone: leftAlone.filter((value) => parseVaultArn(value)?.account !== ACCOUNT_VARIABLE),
  };
}
