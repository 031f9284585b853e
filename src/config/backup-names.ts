/**
 * The backup baseline's fixed names, in a module of their own: the CLI, the templates and the
 * handlers name them without loading the backup policy parser (and the YAML reader behind it).
 */

/** The Pulumi approach's fixed baseline: every account has this role, whatever its policies say. */
export const BACKUP_ROLE_NAME = 'orgbridge-backup';
/** The Pulumi approach's fixed baseline: every account has this vault, whatever its policies say. */
export const BACKUP_VAULT_NAME = 'Default';
