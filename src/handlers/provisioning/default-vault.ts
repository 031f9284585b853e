import {
  AlreadyExistsException,
  type BackupClient,
  CreateBackupVaultCommand,
  DescribeBackupVaultCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-backup';
import type { Client } from '../../aws/clients.js';
import { BACKUP_VAULT_NAME } from '../../config/backup-names.js';
import { AwsOperationError } from '../../errors.js';

/**
 * AWS Backup's vault `Default` (the baseline's vault, and where the backup policies write)
 * is made sure of through the Backup API, never as a stack's resource: "When you first use the
 * Backup Vaults page of the AWS Backup console in an AWS Region, the console automatically creates
 * a default vault for the Region"
 * (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html), so in an adopted
 * account a stack creating it fails with AlreadyExists and rolls the whole baseline back. Created
 * here when missing, left alone when present (whoever made it), never deleted.
 */
export interface BackupVaultPort {
  /** Creates the vault unless it exists; true when this call created it. */
  ensure(name: string): Promise<boolean>;
}

export function backupVaultPort(client: Client<BackupClient>, where: string): BackupVaultPort {
  return {
    async ensure(name) {
      try {
        await client.send(new DescribeBackupVaultCommand({ BackupVaultName: name }));
        return false;
      } catch (e) {
        if (!(e instanceof ResourceNotFoundException))
          throw new AwsOperationError(`reading backup vault ${name} ${where}`, e);
      }
      try {
        await client.send(new CreateBackupVaultCommand({ BackupVaultName: name }));
        return true;
      } catch (e) {
        // Created meanwhile (the console, a retried request): what was wanted.
        if (e instanceof AlreadyExistsException) return false;
        throw new AwsOperationError(`creating backup vault ${name} ${where}`, e);
      }
    },
  };
}

/** Makes sure `Default` exists in each region; returns the regions where it was created. */
export async function ensureDefaultVaults(
  portIn: (region: string) => BackupVaultPort,
  regions: readonly string[],
): Promise<string[]> {
  const created: string[] = [];
  for (const region of [...new Set(regions)]) {
    if (await portIn(region).ensure(BACKUP_VAULT_NAME)) created.push(region);
  }
  return created;
}
