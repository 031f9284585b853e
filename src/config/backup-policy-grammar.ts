import { type PolicyGrammarProblem, rootProblems } from './policy-grammar.js';

/**
 * The top of a backup policy: `{"plans": {...}}` ("Backup policy syntax",
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html).
 * A misspelled `plans` leaves a document without plans, which Organizations refuses or, at best,
 * applies as no backup at all; what a plan holds is read by
 * backup-policy.ts (roles, vaults, regions), and a plan may be completed by the policies of
 * other OUs, so it is not required whole here.
 */
export function backupPolicyGrammarProblems(
  policy: Readonly<Record<string, unknown>>,
): PolicyGrammarProblem[] {
  return rootProblems(
    policy,
    'plans',
    'a backup policy',
    '{"plans": {"<plan name>": {"regions": ..., "rules": ..., "selections": ...}}}',
  );
}
