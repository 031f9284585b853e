import type { ResolvedConfig } from '../config/model.js';
import { isUnderOu } from './accounts.js';
import { MARKERS } from './markers.js';
import type { ObservedAccount, ObservedOrganization } from './observed.js';

/**
 * The accounts orgbridge retired: in the morgue, carrying an `orgbridge:key` the DSL no longer
 * has. What is still theirs (customization stacks, DNS permissions) is orgbridge's to remove.
 * `anyState` keeps suspended accounts too (closed, still members for 90 days); otherwise only
 * active ones, the only ones anything can be deployed to or deleted from.
 */
export function retiredAccounts(
  config: ResolvedConfig,
  observed: ObservedOrganization,
  options: { readonly anyState?: boolean } = {},
): { readonly key: string; readonly account: ObservedAccount }[] {
  const morgue = config.organization.morgue_ou;
  if (!morgue) return [];
  const keys = new Set(config.accounts.map((a) => a.key));
  return observed.accounts.flatMap((account) => {
    const key = account.tags[MARKERS.key];
    const state = options.anyState || account.status === 'ACTIVE';
    return state && key !== undefined && !keys.has(key) && isUnderOu(account.ou, morgue)
      ? [{ key, account }]
      : [];
  });
}
