import { CfnDeletionPolicy, type Stack } from 'aws-cdk-lib';
import { CfnBackupVault } from 'aws-cdk-lib/aws-backup';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { BACKUP_ROLE_NAME, BACKUP_VAULT_NAME } from '../plan/access.js';

/**
 * Seed 004's per-account backup pieces: the vault `Default` and the role AWS Backup uses. The
 * OU backup policies in policies/backup/ (attached by the policies sync) select resources by tag
 * and point at `arn:aws:iam::$account:role/orgbridge-backup` and the vault `Default`; the names
 * must be the same in every account for that to work.
 */
export function addBackupVault(stack: Stack): void {
  const vault = new CfnBackupVault(stack, 'DefaultBackupVault', { backupVaultName: BACKUP_VAULT_NAME });
  // Recovery points outlive a stack deletion; deleting a non-empty vault fails anyway.
  vault.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
  vault.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
  new CfnRole(stack, 'BackupRole', {
    roleName: BACKUP_ROLE_NAME,
    description: 'orgbridge: the role the OU backup policies run AWS Backup with',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    },
    managedPolicyArns: [
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores',
    ],
  });
}
