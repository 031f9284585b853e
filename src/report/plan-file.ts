import { OrgbridgeError } from '../errors.js';
import { AccountPlanSchema } from '../plan/model.js';
import { actionTarget } from '../plan/render.js';
import type { ReportPlanAction } from './html.js';

/** The actions of a saved `orgbridge plan --json` document, as the report lists them. */
export function planActionsFromJson(text: string, file: string): ReportPlanAction[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OrgbridgeError('REPORT_PLAN_NOT_JSON', `${file} is not JSON`, {
      hint: 'give the output of `orgbridge plan --json`',
      cause: e,
    });
  }
  const parsed = AccountPlanSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrgbridgeError(
      'REPORT_PLAN_INVALID',
      `${file} is not an orgbridge plan: ${parsed.error.issues[0]?.message}`,
      {
        hint: 'give the output of `orgbridge plan --json` (plan format version 1)',
      },
    );
  }
  return parsed.data.actions.map((a) => ({ action: a.action, target: actionTarget(a), reason: a.reason }));
}
