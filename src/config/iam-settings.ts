import { OrgbridgeError } from '../errors.js';
import { ACCOUNT_ALIAS_PATTERN } from './aws-names.js';
import { interpolate, placeholderHint, unknownPlaceholders } from './customizations.js';
import type { ResolvedAccount } from './model.js';
import { PASSWORD_POLICY_FIELDS } from './password-policy.js';

/**
 * The IAM settings of an account (`alias`, `password_policy`) as the values orgbridge writes.
 * Pure: the provisioning step compares them with IAM's and applies the difference.
 */

/**
 * What UPDATE_IAM_ACCOUNT_SETTINGS asks of the account: its alias and password policy where a
 * layer sets them. Undefined when the DSL manages neither (nothing is sent).
 */
export function iamSettingsRequest(
  account: ResolvedAccount,
): { alias?: string; password_policy?: Record<string, number | boolean> } | undefined {
  const alias = accountAlias(account);
  const policy = passwordPolicyRequest(account);
  const request = {
    ...(alias !== undefined ? { alias } : {}),
    ...(policy ? { password_policy: policy } : {}),
  };
  return Object.keys(request).length ? request : undefined;
}

/** The placeholders an `alias:` template may use (as in a customization's parameters). */
export const ALIAS_PLACEHOLDERS = ['key', 'name', 'service', 'scope', 'environment'] as const;

/**
 * The account's IAM alias: `alias:` from the nearest layer, its placeholders filled in and the
 * result made valid (lowercased, other characters as `-`), so `defaults: {alias: 'acme-{key}'}`
 * gives every account its own. Undefined when no layer sets one: an account's alias is then not
 * orgbridge's (there is no implicit default: aliases are unique across all of AWS, so one made
 * from a common name such as `dev` would be taken, and a takeover must not rename the sign-in
 * URLs people use). Checked by checkAliases, which reports a result that is still invalid.
 */
export function accountAlias(account: ResolvedAccount): string | undefined {
  const own = account.settings.alias;
  if (typeof own !== 'string') return undefined;
  if (!own.includes('{')) return own;
  return interpolate(own, account, account.region)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Every alias the DSL gives is valid once filled in, names only known placeholders, and is unique
 * within the config (an alias is unique across AWS): each error at the `alias:` that made it.
 */
export function checkAliases(accounts: readonly ResolvedAccount[]): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const seen = new Map<string, string>();
  const reported = new Set<string>();
  for (const account of accounts) {
    const template = account.settings.alias;
    const location = account.provenance.alias;
    if (typeof template !== 'string' || !location) continue;
    const [unknown] = unknownPlaceholders(template, ALIAS_PLACEHOLDERS);
    if (unknown !== undefined) {
      const where = `${location.file}:${location.line}`;
      if (!reported.has(where)) {
        reported.add(where);
        errors.push(
          new OrgbridgeError('DSL_UNKNOWN_PLACEHOLDER', `alias: unknown placeholder {${unknown}}`, {
            location,
            hint: placeholderHint(ALIAS_PLACEHOLDERS),
          }),
        );
      }
      continue;
    }
    const alias = accountAlias(account) as string;
    if (!ACCOUNT_ALIAS_PATTERN.test(alias)) {
      errors.push(
        new OrgbridgeError(
          'DSL_INVALID_VALUE',
          `account '${account.key}': alias '${template}' gives '${alias}', which is not a valid IAM account alias`,
          {
            location,
            hint: "an alias is 3-63 lowercase letters, digits and single '-'; set `alias:` on the account",
          },
        ),
      );
      continue;
    }
    const other = seen.get(alias);
    if (other !== undefined) {
      errors.push(
        new OrgbridgeError(
          'DSL_DUPLICATE_ALIAS',
          `accounts '${other}' and '${account.key}' both get the IAM alias '${alias}'`,
          {
            location,
            hint: 'give each account its own alias (a template such as `acme-{key}`, or `alias:` on one of them): an alias is unique across AWS',
          },
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
  const fields: Readonly<Record<string, { readonly field: string }>> = PASSWORD_POLICY_FIELDS;
  return Object.fromEntries(
    Object.entries(policy).flatMap(([k, v]) => {
      const field = fields[k]?.field;
      return field ? [[field, v]] : [];
    }),
  );
}
