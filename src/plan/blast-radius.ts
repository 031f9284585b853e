import type { ObservedPolicies, PolicyPlan } from './policies.js';

/**
 * The share of managed policies (or of their attachments) one sync may delete (detach) before
 * it needs an explicit `--allow-mass-change`: more than half, or every one of them, is far more
 * likely a mistake (a config directory that lost its policies/) or a forged request than intent
 * (docs/security.md, "Blast radius"). The same share bounds account retirements in one run.
 */
export const MASS_CHANGE_SHARE = 0.5;

/** "n of m" when `n` exceeds `share` of `m` or is all of it (m > 0); else undefined. */
function tooMany(n: number, m: number, share: number): string | undefined {
  if (m === 0 || n === 0) return undefined;
  if (n >= m) return `all ${m}`;
  return n > share * m ? `${n} of ${m}` : undefined;
}

/**
 * Why `plan` is a mass change of orgbridge's policies: it deletes or detaches every managed
 * policy, or more than `share` of them (or of their attachments). Undefined when it is not.
 */
export function massPolicyChange(
  plan: PolicyPlan,
  observed: ObservedPolicies,
  share = MASS_CHANGE_SHARE,
): string | undefined {
  const managed = observed.policies.filter((p) => p.managed && plan.types.includes(p.type));
  const attachments = managed.reduce((n, p) => n + p.targets.length, 0);
  const count = (action: string) => plan.actions.filter((a) => a.action === action).length;
  const deletes = tooMany(count('delete-policy'), managed.length, share);
  if (deletes) return `it deletes ${deletes} managed policies`;
  const detaches = tooMany(count('detach-policy'), attachments, share);
  if (detaches) return `it detaches ${detaches} attachments of managed policies`;
  return undefined;
}

/** Why retiring `retiring` of `managed` accounts in one run is a mass change; else undefined. */
export function massRetirement(
  retiring: number,
  managed: number,
  share = MASS_CHANGE_SHARE,
): string | undefined {
  const many = tooMany(retiring, managed, share);
  return many ? `it retires ${many} managed accounts` : undefined;
}
