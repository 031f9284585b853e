import * as z from 'zod';

/**
 * The IAM account password policy: each DSL key, the UpdateAccountPasswordPolicy field it sets,
 * and its range (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html).
 * The DSL's schema, the request the pipeline sends and the event catalog's schema of that request
 * are all made from this one table.
 */
export const PASSWORD_POLICY_FIELDS = {
  minimum_length: { field: 'MinimumPasswordLength', type: z.int().min(6).max(128) },
  require_symbols: { field: 'RequireSymbols', type: z.boolean() },
  require_numbers: { field: 'RequireNumbers', type: z.boolean() },
  require_uppercase: { field: 'RequireUppercaseCharacters', type: z.boolean() },
  require_lowercase: { field: 'RequireLowercaseCharacters', type: z.boolean() },
  allow_users_to_change: { field: 'AllowUsersToChangePassword', type: z.boolean() },
  max_age_days: { field: 'MaxPasswordAge', type: z.int().min(1).max(1095) },
  reuse_prevention: { field: 'PasswordReusePrevention', type: z.int().min(1).max(24) },
  hard_expiry: { field: 'HardExpiry', type: z.boolean() },
} as const;
type PasswordPolicyFields = typeof PASSWORD_POLICY_FIELDS;

/** The table's keys, each optional: the DSL's `password_policy`. */
export function dslPasswordPolicyShape(): {
  [K in keyof PasswordPolicyFields]: z.ZodOptional<PasswordPolicyFields[K]['type']>;
} {
  return Object.fromEntries(
    Object.entries(PASSWORD_POLICY_FIELDS).map(([key, { type }]) => [key, type.optional()]),
  ) as never;
}

/** The table's IAM field names, each optional: UpdateAccountPasswordPolicy's request. */
export function iamPasswordPolicyShape(): {
  [K in keyof PasswordPolicyFields as PasswordPolicyFields[K]['field']]: z.ZodOptional<
    PasswordPolicyFields[K]['type']
  >;
} {
  return Object.fromEntries(
    Object.values(PASSWORD_POLICY_FIELDS).map(({ field, type }) => [field, type.optional()]),
  ) as never;
}
