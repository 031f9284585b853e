import { iamSettingsRequest } from '../config/iam-settings.js';
import type { ResolvedConfig } from '../config/model.js';
import { isOrgbridgeError } from '../errors.js';
import { mapWithConcurrency } from '../handlers/accounts/ports.js';
import { renderOrganizationPlanText } from '../plan/section-render.js';
import { organizationPlan, type PlanSection, type SectionChange, section } from '../plan/sections.js';
import type { Outcome, Output } from './output.js';
import type { ProvisioningGateway } from './provision.js';

/**
 * The IAM settings of every account (`alias`, `password_policy`, docs/dsl.md): the pipeline sets
 * them once per account and change of the DSL (its `iam-settings` step); this run reads them in
 * every account, so a setting changed by hand shows in `orgbridge plan` as drift, and
 * `run --action iam-settings --execute` puts it back. Each account answers
 * UPDATE_IAM_ACCOUNT_SETTINGS: a dry run to compare, the same request without it to apply.
 */
export const APPLY_IAM_SETTINGS = 'orgbridge run --action iam-settings --execute';

/**
 * Dry runs in flight at once: each goes to a different account (its own handler, its own IAM
 * rate), so the only shared resources are the cicd bus and reply queue, which take far more.
 * At 5,000 accounts, 32 in flight keep the plan's section to a minute or two.
 */
const READ_CONCURRENCY = 32;

export interface IamSettingsRunInput {
  readonly config: ResolvedConfig;
  /** Account key -> id of the accounts that exist. */
  readonly accountIds: Readonly<Record<string, string>>;
  readonly gateway: Pick<ProvisioningGateway, 'updateIamSettings'>;
  /** Requests in flight at once (default READ_CONCURRENCY for the reads, 16 for the writes). */
  readonly concurrency?: number;
}

export interface IamSettingsDecision {
  readonly key: string;
  readonly accountId: string;
  /** Setting -> `current -> wanted` (the handler's summary); empty when in sync. */
  readonly differences: Readonly<Record<string, string>>;
  /** The account did not answer, or failed: why. */
  readonly error?: string;
}

const SETTINGS = ['alias', 'password_policy'] as const;

/** Asks every existing account that has IAM settings in the DSL what differs (dry runs). */
export async function observeIamSettings(input: IamSettingsRunInput): Promise<IamSettingsDecision[]> {
  const targets = input.config.accounts.flatMap((account) => {
    const id = input.accountIds[account.key];
    const request = iamSettingsRequest(account);
    return id && request ? [{ key: account.key, id, request }] : [];
  });
  return mapWithConcurrency(targets, input.concurrency ?? READ_CONCURRENCY, async ({ key, id, request }) => {
    try {
      const { summary } = await input.gateway.updateIamSettings(id, request, { dryrun: true });
      return { key, accountId: id, differences: summary };
    } catch (e) {
      const message = isOrgbridgeError(e) || e instanceof Error ? e.message : String(e);
      return { key, accountId: id, differences: {}, error: message };
    }
  });
}

/**
 * The plan section: one change per setting that differs. A difference from a value the account
 * already had (not `(none)`) is also drift: someone set it outside orgbridge, or it predates
 * the takeover.
 */
export function iamSettingsSection(decisions: readonly IamSettingsDecision[]): PlanSection {
  const changes: SectionChange[] = [];
  const drift: PlanSection['drift'] = [];
  for (const d of decisions) {
    const target = `${d.key} (${d.accountId})`;
    for (const setting of SETTINGS) {
      const difference = d.differences[setting];
      if (!difference) continue;
      changes.push({
        group: setting === 'alias' ? 'set alias' : 'update password policy',
        symbol: '~',
        target,
        reason: difference,
      });
      if (!/^\(none\) ->|^none -> set$/.test(difference)) {
        drift.push({ target, detail: `${setting.replace('_', ' ')} differs: ${difference}` });
      }
    }
  }
  const failed = decisions.filter((d) => d.error);
  return section({
    kind: 'iam-settings',
    title: 'IAM account settings',
    summary: `${changes.length} setting(s) to change in ${new Set(changes.map((c) => c.target)).size} of ${decisions.length} account(s)`,
    changes,
    drift,
    warnings: failed.map((d) => ({
      code: 'PLAN_IAM_SETTINGS_UNREAD',
      message: `${d.key} (${d.accountId}): ${d.error}`,
    })),
    apply: APPLY_IAM_SETTINGS,
    plan: { accounts: decisions },
  });
}

/** `run --action iam-settings`: the section as a dry run, then (with --execute) the writes. */
export async function runIamSettings(
  input: IamSettingsRunInput & { readonly execute: boolean; readonly output: Output },
): Promise<Outcome> {
  const decisions = await observeIamSettings(input);
  const plan = iamSettingsSection(decisions);
  input.output.out(
    renderOrganizationPlanText(organizationPlan([plan], new Date(0))).split('\nPlan:')[0] ?? '',
  );
  const unread = decisions.filter((d) => d.error).length;
  const pending = decisions.filter((d) => SETTINGS.some((s) => d.differences[s]));
  if (!input.execute) {
    if (pending.length) input.output.err(`dry run: nothing changed; to apply: ${APPLY_IAM_SETTINGS}`);
    return unread ? 'failed' : pending.length ? 'pending' : 'done';
  }
  const requests = new Map(input.config.accounts.map((a) => [a.key, iamSettingsRequest(a)]));
  let failures = unread;
  await mapWithConcurrency(pending, input.concurrency ?? 16, async (d) => {
    const request = requests.get(d.key);
    if (!request) return;
    try {
      const result = await input.gateway.updateIamSettings(d.accountId, request);
      input.output.err(
        `iam-settings: ${d.key} (${d.accountId}) ${Object.entries(result.summary)
          .map(([k, v]) => `${k}: ${v}`)
          .join('; ')}`,
      );
    } catch (e) {
      failures++;
      input.output.err(
        `iam-settings: ${d.key} (${d.accountId}) failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  });
  return failures ? 'failed' : 'done';
}
