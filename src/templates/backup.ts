import { createHash } from 'node:crypto';
import { CfnDeletionPolicy, type Stack } from 'aws-cdk-lib';
import { CfnBackupVault } from 'aws-cdk-lib/aws-backup';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { BACKUP_ROLE_NAME, BACKUP_VAULT_NAME } from '../config/backup-names.js';
import type { AccountBackup } from '../plan/backup.js';

/**
 * The Pulumi approach's per-account backup pieces: the vaults and roles the OU backup policies in
 * policies/backup/ (attached by the policies sync) run with. `Default` and `orgbridge-backup`
 * always; with an AccountBackup (src/plan/backup.ts), also every vault and `$account` role the
 * account's effective backup policy names, so no backup job fails for want of them.
 */
export function addBackupVault(stack: Stack, partition: string, backup: true | AccountBackup = true): void {
  const { vaults, roles } =
    backup === true ? { vaults: [BACKUP_VAULT_NAME], roles: [BACKUP_ROLE_NAME] } : backup;
  addBackupVaults(stack, vaults);
  for (const name of roles) {
    new CfnRole(stack, logicalId('BackupRole', name, BACKUP_ROLE_NAME), {
      roleName: name,
      description: 'orgbridge: a role the OU backup policies run AWS Backup with',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      managedPolicyArns: [
        `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup`,
        `arn:${partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores`,
      ],
    });
  }
}

/**
 * Backup vaults by name, kept when removed from the stack. The baseline holds the home region's;
 * the stack `orgbridge-backup-vaults` the vaults of each other region the policies run or copy in.
 * Same names, same logical ids in both, so a vault moving between them is never renamed.
 *
 * Never `Default`: the AWS Backup console creates it in every region it is first opened in, so in
 * adopted accounts a stack creating it fails with AlreadyExists. The UPDATE_ACCOUNT_BASELINE
 * handler makes sure of it through the Backup API instead
 * (src/handlers/provisioning/default-vault.ts). A baseline deployed before keeps it: the resource
 * leaves the stack with DeletionPolicy Retain.
 */
export function addBackupVaults(stack: Stack, vaults: readonly string[]): void {
  for (const name of vaults) {
    if (name === BACKUP_VAULT_NAME) continue;
    const vault = new CfnBackupVault(stack, logicalId('BackupVault', name, BACKUP_VAULT_NAME), {
      backupVaultName: name,
    });
    // Recovery points outlive a stack deletion; deleting a non-empty vault fails anyway.
    vault.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    vault.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  }
}

/**
 * One logical id per name, independent of the other names, so adding a name to a policy adds a
 * resource and never replaces one (a named role or vault cannot be replaced in place). The
 * baseline's own keep the ids they always had. Names may differ only in `-`/`_`/`.` etc., hence
 * the hash.
 */
function logicalId(prefix: string, name: string, baseline: string): string {
  if (name === baseline) return prefix === 'BackupVault' ? 'DefaultBackupVault' : 'BackupRole';
  const readable = name.replace(/[^A-Za-z0-9]/g, '').slice(0, 64);
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8).toUpperCase();
  return `${prefix}${readable}${hash}`;
}
