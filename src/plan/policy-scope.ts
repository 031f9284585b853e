import type { ResolvedConfig } from '../config/model.js';
import { knownOrganizationUnits } from '../config/validate.js';
import { normalizeOuPath } from './accounts.js';
import { type AccountAttachment, accountTarget, type PolicyScope } from './policies.js';

/**
 * What a policy sync with the whole config (management credentials) may touch: the root, every
 * OU the config knows and every account it gives an id, minus `unmanaged:`. Policies orgbridge
 * adopted by name, FullAWSAccess (when declared) and, with `authoritative`, policies the config
 * does not describe are attached and detached only on these targets.
 */
export function policyScopeOf(
  config: Pick<
    ResolvedConfig,
    'organization' | 'scopes' | 'accounts' | 'unmanaged' | 'full_aws_access' | 'account_policies' | 'policies'
  >,
): PolicyScope {
  const unmanagedOus = config.unmanaged.organization_units.map(normalizeOuPath).filter((ou) => ou !== '');
  const unmanagedIds = new Set(config.unmanaged.accounts);
  const unmanaged = (target: string): boolean => {
    if (target.startsWith('/account/')) return unmanagedIds.has(target.slice('/account/'.length));
    return unmanagedOus.some((ou) => target === ou || target.startsWith(`${ou}/`));
  };
  const idOf = new Map(config.accounts.flatMap((a) => (a.id !== undefined ? [[a.key, a.id] as const] : [])));
  const ous = new Set(knownOrganizationUnits(config as ResolvedConfig));
  for (const p of config.policies) ous.add(p.organization_unit);
  const labels: Record<string, string> = {};
  const targets: string[] = [];
  for (const ou of ous) if (!unmanaged(ou)) targets.push(ou);
  for (const [key, id] of idOf) {
    const target = accountTarget(id);
    labels[target] = `account ${key}`;
    if (!unmanaged(target)) targets.push(target);
  }
  const full = config.full_aws_access;
  return {
    targets: targets.sort(),
    labels,
    unmanaged,
    ...(full
      ? {
          fullAwsAccessDetached: [
            ...full.detached_from_organization_units,
            ...full.detached_from_accounts.flatMap((key) => {
              const id = idOf.get(key);
              return id === undefined ? [] : [accountTarget(id)];
            }),
          ],
        }
      : {}),
    authoritative: config.organization.authoritative,
    unmanagedPolicies: config.unmanaged.policies,
  };
}

/** The config's account attachments by account id (validation requires the id). */
export function accountAttachmentsOf(
  config: Pick<ResolvedConfig, 'accounts' | 'account_policies'>,
): AccountAttachment[] {
  const idOf = new Map(config.accounts.map((a) => [a.key, a.id]));
  return config.account_policies.flatMap((p) => {
    const accountId = idOf.get(p.account);
    if (accountId === undefined) return [];
    return [
      {
        type: p.type,
        name: p.name,
        file: p.file,
        content: p.content,
        accountId,
        label: `account ${p.account}`,
      },
    ];
  });
}
