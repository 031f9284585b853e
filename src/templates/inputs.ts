import type { AccountKind, ResolvedConfig, SpecialAccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { configuredRegions, homeRegionOf } from '../config/regions.js';
import { requirePlacementOus, requireSpecialAccounts } from '../config/special-accounts.js';
import { OrgbridgeError } from '../errors.js';
import { managedAccountIds } from '../plan/accounts.js';
import { ACCOUNT_STATUSES, type ObservedAccount, type ObservedOrganization } from '../plan/observed.js';

/**
 * Everything the templates are rendered from: the resolved config plus what only AWS knows
 * (account ids, the organization id) and the bundle keys. Pure data, so templates are a pure
 * function of it and render identically offline (`orgbridge synth`) and in the pipeline
 * (`run --action render-templates`).
 */
export interface TemplateInputs {
  readonly config: ResolvedConfig;
  /** Account key -> 12-digit id, for the accounts that exist (or are adopted with `id:`). */
  readonly accountIds: Readonly<Record<string, string>>;
  /** `o-...`, for aws:PrincipalOrgID conditions. */
  readonly organizationId: string;
  /**
   * The region the event buses, handlers and stack sets live in (the EventBridge design: "a single
   * region").
   */
  readonly homeRegion: string;
  /** Regions with an artifact bucket (`defaults.regions`). */
  readonly regions: readonly string[];
  /** Account kind -> S3 key of its Lambda bundle in the artifact buckets. */
  readonly bundleKeys: Readonly<Partial<Record<AccountKind, string>>>;
  /** Ids that are placeholders (synth without an organization): reported, never deployed. */
  readonly placeholders: readonly string[];
  /**
   * The organization's OU path -> id map (root as `''`), when observed: the logs bucket grants
   * whole OUs by aws:SourceOrgPaths with it. Absent (offline synth): accounts one by one.
   */
  readonly ous?: Readonly<Record<string, string>>;
  /**
   * The ARN of the audit account's monitoring sink, read from its deployed handler stack
   * (src/templates/stacks/monitoring.ts): every other account's event bus stack links to it.
   * Absent before that stack exists (the bootstrap then deploys again once it does).
   */
  readonly monitoringSinkArn?: string;
}

/** The ids of the special accounts, resolved (or a clear error naming the missing ones). */
export type SpecialAccountIds = Readonly<Record<SpecialAccountKind, string>>;

/** Placeholder organization id for offline synth; matches AWS's `o-[a-z0-9]{10,32}`. */
export const PLACEHOLDER_ORGANIZATION_ID = 'o-placeholder0';

/** `defaults.regions` and `defaults.region`: one definition, shared with the DSL's checks. */
export { configuredRegions, homeRegionOf };

export function specialAccountIds(inputs: TemplateInputs): SpecialAccountIds {
  const missing: string[] = [];
  const ids = {} as Record<SpecialAccountKind, string>;
  const keys = requireSpecialAccounts(inputs.config, "orgbridge's templates");
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    const key = keys[kind];
    const id = inputs.accountIds[key];
    if (id) ids[kind] = id;
    else missing.push(`${kind} (${key})`);
  }
  if (missing.length > 0) {
    throw new OrgbridgeError('TEMPLATE_ACCOUNT_ID_MISSING', `no account id for ${missing.join(', ')}`, {
      hint: 'create the special accounts first (run --action sync-accounts --execute) or give them `id:` in accounts.yml',
    });
  }
  return ids;
}

/** The kind of every account key: special accounts by the organization section, others member. */
export function accountKinds(config: ResolvedConfig): ReadonlyMap<string, AccountKind> {
  const kinds = new Map<string, AccountKind>();
  for (const account of config.accounts) kinds.set(account.key, account.kind);
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    const key = config.organization.accounts[kind];
    if (key !== undefined) kinds.set(key, kind);
  }
  return kinds;
}

/** The minimal observed account shape (an AccountSummary or ObservedAccount satisfies it). */
export interface KnownAccount {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly status?: string;
  readonly ou?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * What templates learn account ids from: the observed organization (preferred: it knows the
 * management account and the `orgbridge:key` tags), or a bare account list.
 */
export type KnownOrganization = ObservedOrganization | readonly KnownAccount[];

function asObservedOrganization(known: KnownOrganization): ObservedOrganization {
  if (!Array.isArray(known)) return known as ObservedOrganization;
  return {
    rootId: '',
    managementAccountId: '',
    ous: {},
    accounts: (known as readonly KnownAccount[]).map((a) => ({
      id: a.id,
      name: a.name,
      email: a.email,
      status: (ACCOUNT_STATUSES as readonly string[]).includes(a.status ?? 'ACTIVE')
        ? ((a.status ?? 'ACTIVE') as ObservedAccount['status'])
        : 'SUSPENDED',
      ou: a.ou ?? '',
      tags: a.tags ?? {},
      joined: '',
    })),
  };
}

/**
 * Account key -> id of the live accounts, matched exactly as the account sync matches them
 * (`managedAccountIds` in src/plan/accounts.ts: `id:`, the management account, the
 * `orgbridge:key` tag, email, then an unambiguous name). Accounts given `id:` keep it when
 * nothing is observed (offline synth).
 */
export function resolveAccountIds(
  config: ResolvedConfig,
  observed?: KnownOrganization,
): Record<string, string> {
  if (!observed) {
    const ids: Record<string, string> = {};
    for (const account of config.accounts) if (account.id) ids[account.key] = account.id;
    return ids;
  }
  return managedAccountIds(config, asObservedOrganization(observed));
}

export interface TemplateInputOptions {
  readonly observed?: KnownOrganization;
  readonly organizationId?: string;
  readonly bundleKeys?: TemplateInputs['bundleKeys'];
}

/**
 * Inputs from the config and, when given, the observed organization. Special accounts that have
 * no id yet get obvious placeholders (`00000000000N`) so `synth` works on a fresh repository;
 * `placeholders` lists them and the bootstrap refuses to deploy such templates.
 */
export function templateInputs(config: ResolvedConfig, options: TemplateInputOptions = {}): TemplateInputs {
  // The templates wire the special accounts together and the management handlers guard placement
  // with root_ou and morgue_ou: an imported organization without them cannot be deployed yet.
  const keys = requireSpecialAccounts(config, "orgbridge's templates (synth, bootstrap, the pipeline)");
  requirePlacementOus(config, "orgbridge's templates (synth, bootstrap, the pipeline)");
  const accountIds = resolveAccountIds(config, options.observed);
  const placeholders: string[] = [];
  SPECIAL_ACCOUNT_KINDS.forEach((kind, i) => {
    const key = keys[kind];
    if (!accountIds[key]) {
      const id = String(i + 1).padStart(12, '0');
      accountIds[key] = id;
      placeholders.push(id);
    }
  });
  const organizationId = options.organizationId ?? PLACEHOLDER_ORGANIZATION_ID;
  if (!options.organizationId) placeholders.push(organizationId);
  return {
    config,
    accountIds,
    organizationId,
    homeRegion: homeRegionOf(config),
    regions: configuredRegions(config),
    bundleKeys: options.bundleKeys ?? {},
    placeholders,
    ...(options.observed && !Array.isArray(options.observed)
      ? { ous: (options.observed as ObservedOrganization).ous }
      : {}),
  };
}
