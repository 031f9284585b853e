import { BACKUP_ROLE_NAME } from './backup-names.js';

/** The role orgbridge's pipeline deploys with in every account (src/plan/access.ts). */
export const AUTOMATION_ROLE_NAME = 'AutomationRole';

/** The identity account's role for an access group: `orgbridge-group-<group>`. */
export function groupRoleName(group: string): string {
  return `orgbridge-group-${group}`;
}

/** IAM role names are at most 64 characters (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html). */
export const MAX_ROLE_NAME_CHARS = 64;

/**
 * Role names an `access:` entry may not take: orgbridge's own roles, and the role Organizations
 * creates in every account it creates (CreateAccount's RoleName default), which already exists
 * there, so a stack creating it would fail.
 */
export const RESERVED_ACCESS_ROLES: ReadonlySet<string> = new Set([
  AUTOMATION_ROLE_NAME,
  BACKUP_ROLE_NAME,
  'OrganizationAccountAccessRole',
]);
