/**
 * What AWS accepts for the names orgbridge sends to Organizations. One definition: the DSL's
 * rules (validate.ts, schema.ts) check the config with it, and the event catalog
 * (src/protocol/catalog.ts) checks CREATE_ACCOUNT and ENSURE_ORGANIZATIONAL_UNIT with it, so the
 * management account refuses from a (possibly compromised) cicd account exactly what
 * `orgbridge validate` refuses in a pull request.
 */

/** https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const EMAIL_MIN_LENGTH = 6;
export const EMAIL_MAX_LENGTH = 64;
/** Printable ASCII, 1 to 50 characters. */
export const ACCOUNT_NAME_PATTERN = /^[\u0020-\u007E]{1,50}$/;
/** https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html */
export const OU_NAME_PATTERN = /^[^/\s][^/]{0,127}$/;
/** IAM role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html */
export const IAM_ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/**
 * An IAM role or user ARN, `*` and `?` allowed (an `ArnLike` pattern on aws:PrincipalArn, which
 * for a role session is the role's ARN, path included:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 */
export const IAM_PRINCIPAL_ARN_PATTERN =
  /^arn:aws(-cn|-us-gov)?:iam::(\d{12}):(role|user)\/[\w+=,.@\-/*?]{1,512}$/;
/** https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-backup-backupvault.html */
export const BACKUP_VAULT_NAME_PATTERN = /^[a-zA-Z0-9_-]{2,50}$/;
/**
 * IAM account aliases: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateAccountAlias.html
 * (3-63 characters, `^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`).
 */
export const ACCOUNT_ALIAS_PATTERN = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;
/**
 * One DNS label as Route 53 takes it (`_` included): an account's zone under
 * `dns_parent_domain` is named `<account name>.<parent>`, so the name must be one
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html).
 */
export const DNS_LABEL_PATTERN = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;
