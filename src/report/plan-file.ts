import { OrgbridgeError } from '../errors.js';
import { type AccountPlan, AccountPlanSchema } from '../plan/model.js';
import { OrganizationPlanSchema } from '../plan/sections.js';

/**
 * The account plan of a saved `orgbridge plan --json`: the organization plan (version 2), whose
 * `accounts` section holds it, or an account plan alone (version 1, older orgbridge and
 * `run --action sync-accounts`).
 */
export function accountPlanFromJson(text: string, file: string): AccountPlan {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OrgbridgeError('REPORT_PLAN_NOT_JSON', `${file} is not JSON`, {
      hint: 'give the output of `orgbridge plan --json`',
      cause: e,
    });
  }
  const organization = OrganizationPlanSchema.safeParse(raw);
  if (organization.success) {
    const accounts = organization.data.sections.find((s) => s.kind === 'accounts');
    const parsed = AccountPlanSchema.safeParse(accounts?.plan);
    if (parsed.success) return parsed.data;
    throw new OrgbridgeError(
      'REPORT_PLAN_NO_ACCOUNTS',
      `${file} is an orgbridge plan without its accounts section`,
      {
        hint: 'save the plan with `orgbridge plan --json` (without --only, or with --only accounts)',
      },
    );
  }
  const parsed = AccountPlanSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrgbridgeError(
      'REPORT_PLAN_INVALID',
      `${file} is not an orgbridge plan: ${parsed.error.issues[0]?.message}`,
      {
        hint: 'give the output of `orgbridge plan --json` (plan format version 2, or an account plan of version 1)',
      },
    );
  }
  return parsed.data;
}
