import type { AccountPlan } from './model.js';
import { ACTION_LABELS, ACTION_SYMBOLS, describeAction, summaryLine } from './render.js';
import { type PlanSection, section } from './sections.js';

/** The command that carries the account plan out (`run` is a dry run without `--execute`). */
export const APPLY_ACCOUNTS = 'orgbridge run --action sync-accounts --execute';

/** The account plan (docs/plan.md) as the organization plan's `accounts` section. */
export function accountsSection(plan: AccountPlan): PlanSection {
  return section({
    kind: 'accounts',
    title: 'Accounts and OUs',
    summary: summaryLine(plan).replace(/^Plan: /, ''),
    changes: plan.actions.map((a) => ({
      group: ACTION_LABELS[a.action],
      symbol: ACTION_SYMBOLS[a.action],
      target: describeAction(a),
      reason: a.reason,
    })),
    drift: plan.drift.map((d) => ({
      target: `${d.key}: ${d.name} (${d.accountId})`,
      detail: d.detail,
      expected: d.expected,
      actual: d.actual,
    })),
    blocked: plan.blocked.map((n) => ({ code: n.code, message: n.message })),
    warnings: plan.warnings.map((n) => ({ code: n.code, message: n.message })),
    notes: plan.unmanaged.length
      ? [
          `${plan.unmanaged.length} account(s) not described by the configuration are left alone (never managed by orgbridge)`,
        ]
      : [],
    apply: APPLY_ACCOUNTS,
    plan,
  });
}
