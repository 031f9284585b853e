import { OrgbridgeError } from '../errors.js';
import type { ResolvedConfig, SpecialAccountKind } from './model.js';
import { SPECIAL_ACCOUNT_KINDS } from './model.js';

/**
 * An organization taken over with `orgbridge import` may have no cicd, identity, dns, logs or
 * audit account yet, and no `root_ou`: the DSL leaves them unset, and plan, sync-accounts and
 * sync-policies work without them. What deploys orgbridge itself (bootstrap, the pipeline,
 * templates, ECR) needs them, and says so here instead of failing somewhere deeper.
 */
export type CompleteSpecialAccounts = Readonly<Record<SpecialAccountKind, string>>;

/** Every special account key, or SPECIAL_ACCOUNT_UNSET naming the missing ones and `doing`. */
export function requireSpecialAccounts(
  config: Pick<ResolvedConfig, 'organization'>,
  doing: string,
  kinds: readonly SpecialAccountKind[] = SPECIAL_ACCOUNT_KINDS,
): CompleteSpecialAccounts {
  const accounts = config.organization.accounts;
  const missing = kinds.filter((kind) => accounts[kind] === undefined);
  if (missing.length > 0) {
    throw new OrgbridgeError(
      'SPECIAL_ACCOUNT_UNSET',
      `${doing} needs the ${missing.join(', ')} account${missing.length === 1 ? '' : 's'}: organization.${missing[0]}${missing.length > 1 ? ' and others are' : ' is'} not set in accounts.yml`,
      {
        source: 'user',
        hint: `add the account(s) under accounts: (a new one is created by sync-accounts) and name them: ${missing.map((k) => `organization.${k}: <account key>`).join(', ')} (docs/import.md)`,
      },
    );
  }
  return accounts as CompleteSpecialAccounts;
}

/**
 * The special accounts' ids (from `accountIds`, key -> id), '' for one that does not exist yet;
 * SPECIAL_ACCOUNT_UNSET when the DSL does not name them all.
 */
export function specialAccountIds(
  config: Pick<ResolvedConfig, 'organization'>,
  accountIds: Readonly<Record<string, string>>,
  doing: string,
): Record<SpecialAccountKind, string> {
  const keys = requireSpecialAccounts(config, doing);
  return Object.fromEntries(SPECIAL_ACCOUNT_KINDS.map((k) => [k, accountIds[keys[k]] ?? ''])) as Record<
    SpecialAccountKind,
    string
  >;
}

/**
 * `root_ou` and `morgue_ou`: the management account's handlers place accounts only inside
 * `root_ou` and retire them only into `morgue_ou` (src/handlers/accounts/placement.ts), so the
 * handler stack cannot be deployed without them.
 */
export function requirePlacementOus(
  config: Pick<ResolvedConfig, 'organization'>,
  doing: string,
): { readonly rootOu: string; readonly morgueOu: string } {
  const { root_ou, morgue_ou } = config.organization;
  if (root_ou === undefined || morgue_ou === undefined) {
    const missing = [
      root_ou === undefined ? 'root_ou' : '',
      morgue_ou === undefined ? 'morgue_ou' : '',
    ].filter(Boolean);
    throw new OrgbridgeError(
      'PLACEMENT_OU_UNSET',
      `${doing} needs organization.${missing.join(' and organization.')}: the management account's handlers place accounts only inside root_ou and retire them only into morgue_ou`,
      {
        source: 'user',
        hint: 'set organization.root_ou to the OU under the root that holds your scopes and organization.morgue_ou (e.g. Morgue), then plan (docs/import.md)',
      },
    );
  }
  return { rootOu: root_ou, morgueOu: morgue_ou };
}
