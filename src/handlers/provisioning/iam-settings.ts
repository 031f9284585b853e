import type { z } from 'zod';
import { OrgbridgeError } from '../../errors.js';
import type { PasswordPolicySchema } from '../../protocol/catalog.js';
import { awsErrorName } from '../accounts/ports.js';
import type { HandlerResult } from './put-ssm-parameters.js';

/** UpdateAccountPasswordPolicy's fields, as GetAccountPasswordPolicy reports them. */
export type PasswordPolicy = z.infer<typeof PasswordPolicySchema>;

export interface IamSettingsPort {
  /** The account's alias (an account has at most one), undefined when it has none. */
  alias(): Promise<string | undefined>;
  /** CreateAccountAlias: an account has one alias, a new one replaces the old. */
  setAlias(alias: string): Promise<void>;
  /** undefined when the account has no password policy (NoSuchEntity). */
  passwordPolicy(): Promise<PasswordPolicy | undefined>;
  setPasswordPolicy(policy: PasswordPolicy): Promise<void>;
}

/** What UPDATE_IAM_ACCOUNT_SETTINGS carries besides the envelope. */
export interface IamSettingsRequest {
  /** `alias:` of the DSL: replaces the account's alias. */
  readonly alias?: string;
  readonly password_policy?: PasswordPolicy;
}

/**
 * UpdateAccountPasswordPolicy sets every field the request leaves out to its default, so a
 * policy is compared field by field after filling in the defaults: 6 characters, nothing
 * required, users may not change their password, no expiry, no reuse prevention
 * (https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html).
 * GetAccountPasswordPolicy leaves MaxPasswordAge and PasswordReusePrevention out when unset.
 */
const POLICY_DEFAULTS: Required<{ [K in keyof PasswordPolicy]: number | boolean }> = {
  MinimumPasswordLength: 6,
  RequireSymbols: false,
  RequireNumbers: false,
  RequireUppercaseCharacters: false,
  RequireLowercaseCharacters: false,
  AllowUsersToChangePassword: false,
  MaxPasswordAge: 0,
  PasswordReusePrevention: 0,
  HardExpiry: false,
};

/** The fields where `current` (undefined: no policy) differs from `wanted`, as `Field a -> b`. */
export function passwordPolicyDifferences(
  current: PasswordPolicy | undefined,
  wanted: PasswordPolicy,
): string[] {
  if (!current) return ['none -> set'];
  const differences: string[] = [];
  for (const [field, fallback] of Object.entries(POLICY_DEFAULTS)) {
    const key = field as keyof PasswordPolicy;
    const is = current[key] ?? fallback;
    const want = wanted[key] ?? fallback;
    if (is !== want) differences.push(`${field} ${String(is)} -> ${String(want)}`);
  }
  return differences;
}

/**
 * The alias step: `alias` replaces whatever the account has (an account has one). Aliases are
 * unique across all of AWS, so another account may hold it: that fails with what to do.
 */
async function settleAlias(
  iam: IamSettingsPort,
  wanted: string,
  current: string | undefined,
  dryrun: boolean,
  summary: Record<string, string>,
): Promise<void> {
  if (wanted === current) return;
  summary.alias = `${current ?? '(none)'} -> ${wanted}`;
  if (dryrun) return;
  try {
    await iam.setAlias(wanted);
  } catch (e) {
    if (awsErrorName(e) !== 'EntityAlreadyExistsException') throw e;
    throw new OrgbridgeError(
      'PROVISION_ALIAS_TAKEN',
      `the IAM account alias '${wanted}' belongs to another AWS account (aliases are unique across AWS)`,
      {
        source: 'aws',
        cause: e,
        hint: 'choose another `alias:` for the account (for example with your company as a prefix)',
      },
    );
  }
}

/**
 * UPDATE_IAM_ACCOUNT_SETTINGS (in the target account): the alias and the password policy the
 * DSL gives it. Each is read first and written only when it differs, so a repeated request
 * costs two reads; a setting the request leaves out is not touched. With `dryrun` nothing is
 * written and the summary says what would change (the plan reports it as drift).
 */
export async function updateIamSettings(
  iam: IamSettingsPort,
  request: IamSettingsRequest,
  options: { readonly dryrun?: boolean } = {},
): Promise<HandlerResult> {
  const summary: Record<string, string> = {};
  const dryrun = options.dryrun ?? false;
  const [alias, policy] = await Promise.all([
    request.alias !== undefined ? iam.alias() : undefined,
    request.password_policy ? iam.passwordPolicy() : undefined,
  ]);
  if (request.alias !== undefined) await settleAlias(iam, request.alias, alias, dryrun, summary);
  if (request.password_policy) {
    const differences = passwordPolicyDifferences(policy, request.password_policy);
    if (differences.length) {
      summary.password_policy = differences.join(', ');
      if (!dryrun) await iam.setPasswordPolicy(request.password_policy);
    }
  }
  return { changed: Object.keys(summary).length > 0, summary };
}
