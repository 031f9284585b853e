import { OrgbridgeError } from '../errors.js';
import { ACCOUNT_ALIAS_PATTERN } from './aws-names.js';
import type { ResolvedAccount } from './model.js';

/**
 * The IAM settings of an account (`alias`, `password_policy`) as the values orgbridge writes.
 * Pure: the provisioning step compares them with IAM's and applies the difference.
 */

/**
 * What UPDATE_IAM_ACCOUNT_SETTINGS asks of the account: `alias:` replaces its alias, the alias
 * derived from its name is only a default (set where there is none), the password policy is
 * managed when a layer sets one. Undefined when the DSL manages neither.
 */
export function iamSettingsRequest(account: ResolvedAccount):
  | {
      alias?: string;
      default_alias?: string;
      password_policy?: Record<string, number | boolean>;
    }
  | undefined {
  const own = account.settings.alias;
  const derived = typeof own === 'string' ? undefined : accountAlias(account);
  const policy = passwordPolicyRequest(account);
  const request = {
    ...(typeof own === 'string' ? { alias: own } : {}),
    ...(derived !== undefined ? { default_alias: derived } : {}),
    ...(policy ? { password_policy: policy } : {}),
  };
  return Object.keys(request).length ? request : undefined;
}

/**
 * The account's IAM alias: `alias:` from the nearest layer, else the account name made valid
 * (lowercased, other characters as `-`); undefined when the name cannot make one.
 */
export function accountAlias(account: ResolvedAccount): string | undefined {
  const own = account.settings.alias;
  if (typeof own === 'string') return own;
  const derived = account.name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
  return ACCOUNT_ALIAS_PATTERN.test(derived) ? derived : undefined;
}

/**
 * Aliases set with `alias:` are unique within the config (an alias is unique across AWS). Only
 * explicit ones: account names may repeat (two adopted accounts), and the DSL does not turn that
 * into an error; a repeated default alias fails when applied, naming the account.
 */
export function checkAliases(accounts: readonly ResolvedAccount[]): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const seen = new Map<string, string>();
  for (const account of accounts) {
    const alias = account.settings.alias;
    const location = account.provenance.alias;
    // The schema already checked its form (ACCOUNT_ALIAS_PATTERN).
    if (typeof alias !== 'string' || !location) continue;
    const other = seen.get(alias);
    if (other !== undefined) {
      errors.push(
        new OrgbridgeError(
          'DSL_DUPLICATE_ALIAS',
          `accounts '${other}' and '${account.key}' both get the IAM alias '${alias}'`,
          { location, hint: 'set a distinct `alias:` on one of them (an alias is unique across AWS)' },
        ),
      );
    } else seen.set(alias, account.key);
  }
  return errors;
}

/** UpdateAccountPasswordPolicy's request for the account's policy, or undefined when none is set. */
export function passwordPolicyRequest(
  account: ResolvedAccount,
): Record<string, number | boolean> | undefined {
  const policy = account.settings.password_policy as Record<string, number | boolean> | undefined;
  if (!policy) return undefined;
  const fields: Readonly<Record<string, string>> = {
    minimum_length: 'MinimumPasswordLength',
    require_symbols: 'RequireSymbols',
    require_numbers: 'RequireNumbers',
    require_uppercase: 'RequireUppercaseCharacters',
    require_lowercase: 'RequireLowercaseCharacters',
    allow_users_to_change: 'AllowUsersToChangePassword',
    max_age_days: 'MaxPasswordAge',
    reuse_prevention: 'PasswordReusePrevention',
    hard_expiry: 'HardExpiry',
  };
  return Object.fromEntries(
    Object.entries(policy).flatMap(([k, v]) => (fields[k] ? [[fields[k] as string, v]] : [])),
  );
}
