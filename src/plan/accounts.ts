import { accountTagProblem, isAwsReservedTag, TAG_PROBLEM_CODES } from '../config/account-tags.js';
import type { ResolvedAccount, ResolvedConfig } from '../config/model.js';
import {
  coolingOffUntil,
  hashTags,
  isMarker,
  MARKERS,
  managedMarkers,
  parseManagedTagKeys,
} from './markers.js';
import {
  ACTION_ORDER,
  type AccountAction,
  type AccountPlan,
  type AdoptAccountAction,
  type CloseAccountAction,
  type CreateAccountAction,
  type CreateOuAction,
  type Drift,
  type MoveAccountAction,
  type Notice,
  PLAN_VERSION,
  type RetireAccountAction,
  type TagAccountAction,
} from './model.js';
import { compareText, type ObservedAccount, type ObservedOrganization } from './observed.js';

/** The part of the resolved config the account planner reads (`unmanaged` may be left out). */
export type AccountPlanConfig = Pick<ResolvedConfig, 'organization' | 'scopes' | 'accounts'> &
  Partial<Pick<ResolvedConfig, 'unmanaged'>>;

export interface AccountPlanInput {
  readonly config: AccountPlanConfig;
  readonly observed: ObservedOrganization;
  /** The planner never reads the clock: closure quota and account age are computed from this. */
  readonly now: Date;
}

const DAY_MS = 86_400_000;

/**
 * AWS's account-closure quota
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CloseAccount.html):
 * 10 % of member accounts per rolling 30 days, at least 10 and at most 1,000; orgbridge also
 * keeps at most 3 closures pending at once and never closes an account younger than 7 days.
 */
export const CLOSURE_RULES = {
  windowDays: 30,
  fraction: 0.1,
  minPerWindow: 10,
  maxPerWindow: 1000,
  concurrent: 3,
  minAgeDays: 7,
} as const;

/** Organizations allows at most 50 tags per account (limits.tags_per_account). */
const DEFAULT_TAGS_PER_ACCOUNT = 50;

export function normalizeOuPath(path: string): string {
  // Fast path: already normal (the common case, called once per account).
  if (!/(^[\s/])|([\s/]$)|(\/\/)|(\s\/)|(\/\s)/.test(path)) return path;
  return path
    .split('/')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .join('/');
}

export function isUnderOu(path: string, ou: string): boolean {
  return ou === '' || path === ou || path.startsWith(`${ou}/`);
}

/** The morgue OU path, or undefined when `organization.morgue_ou` is not set. */
function morgueOf(config: Pick<ResolvedConfig, 'organization'>): string | undefined {
  const morgue = config.organization.morgue_ou;
  return morgue === undefined ? undefined : normalizeOuPath(morgue);
}

/** Whether `path` is the morgue OU or below it (never, without a morgue). */
function inMorgue(path: string, morgue: string | undefined): boolean {
  return morgue !== undefined && isUnderOu(path, morgue);
}

/**
 * What `unmanaged:` leaves alone: accounts by id, and every account at or below an unmanaged OU.
 * The planner never matches, moves, tags or retires them.
 */
export function unmanagedPredicate(
  config: Partial<Pick<ResolvedConfig, 'unmanaged'>>,
): (account: Pick<ObservedAccount, 'id' | 'ou'>) => boolean {
  const ids = new Set(config.unmanaged?.accounts ?? []);
  const ous = (config.unmanaged?.organization_units ?? []).map(normalizeOuPath).filter((ou) => ou !== '');
  if (ids.size === 0 && ous.length === 0) return () => false;
  return (account) => ids.has(account.id) || ous.some((ou) => isUnderOu(account.ou, ou));
}

function ouDepth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function displayOu(path: string): string {
  return path === '' ? '(root)' : path;
}

/** How many closures the quota still allows now, and how many were used. */
export function closureBudget(
  observed: ObservedOrganization,
  now: Date,
): { allowed: number; windowLimit: number; usedInWindow: number; pending: number } {
  let members = 0;
  let usedInWindow = 0;
  let pending = 0;
  const windowStart = now.getTime() - CLOSURE_RULES.windowDays * DAY_MS;
  for (const a of observed.accounts) {
    if (a.status === 'ACTIVE' && a.id !== observed.managementAccountId) members++;
    if (a.status === 'PENDING_CLOSURE') pending++;
    const closedAt = a.tags[MARKERS.closed];
    const closedTime = closedAt ? Date.parse(closedAt) : Number.NaN;
    if (a.status !== 'ACTIVE' && Number.isFinite(closedTime) && closedTime >= windowStart) usedInWindow++;
    else if (a.status === 'PENDING_CLOSURE') usedInWindow++;
  }
  const windowLimit = Math.min(
    CLOSURE_RULES.maxPerWindow,
    Math.max(CLOSURE_RULES.minPerWindow, Math.floor(members * CLOSURE_RULES.fraction)),
  );
  const allowed = Math.max(0, Math.min(windowLimit - usedInWindow, CLOSURE_RULES.concurrent - pending));
  return { allowed, windowLimit, usedInWindow, pending };
}

/** The observed account a desired one is, and by what it was recognised. */
export interface AccountMatch {
  readonly account: ObservedAccount;
  readonly by: 'key' | 'id' | 'email' | 'name';
}

/** Lookups over the observed accounts; built once, so planning stays O(n log n). */
class ObservedIndex {
  readonly byId = new Map<string, ObservedAccount>();
  readonly byKey = new Map<string, ObservedAccount>();
  readonly byEmail = new Map<string, ObservedAccount>();
  readonly byName = new Map<string, ObservedAccount[]>();
  readonly sorted: ObservedAccount[];

  constructor(observed: ObservedOrganization) {
    this.sorted = [...observed.accounts].sort((a, b) => compareText(a.id, b.id));
    for (const a of this.sorted) {
      this.byId.set(a.id, a);
      const key = a.tags[MARKERS.key];
      // Prefer the live account when a key marker was copied onto a closed one.
      const keyed = key === undefined ? undefined : this.byKey.get(key);
      if (key !== undefined && (!keyed || (keyed.status !== 'ACTIVE' && a.status === 'ACTIVE'))) {
        this.byKey.set(key, a);
      }
      const email = a.email.toLowerCase();
      if (!this.byEmail.has(email)) this.byEmail.set(email, a);
      const named = this.byName.get(a.name);
      if (named) named.push(a);
      else this.byName.set(a.name, [a]);
    }
  }
}

/**
 * How a desired account is recognised among the observed ones, in order: its `id:`, the
 * organization's management account (for the management key), the `orgbridge:key` tag the sync
 * writes, its email, then an unambiguous live namesake. `claimed` holds the accounts already
 * matched to other keys (account id -> key).
 */
function findMatch(
  d: ResolvedAccount,
  index: ObservedIndex,
  observed: ObservedOrganization,
  morgue: string | undefined,
  claimed: ReadonlyMap<string, string>,
  unmanaged: (account: ObservedAccount) => boolean = () => false,
): AccountMatch | Notice | undefined {
  const found = findCandidate(d, index, observed, morgue, claimed);
  if (found && !('code' in found) && unmanaged(found.account)) {
    return {
      code: 'PLAN_ACCOUNT_UNMANAGED',
      key: d.key,
      accountId: found.account.id,
      message: `account '${d.key}' matches account ${found.account.id} (by ${found.by}), which \`unmanaged:\` leaves alone; remove it from \`unmanaged:\` to manage it, or give '${d.key}' another email and name`,
    };
  }
  return found;
}

function findCandidate(
  d: ResolvedAccount,
  index: ObservedIndex,
  observed: ObservedOrganization,
  morgue: string | undefined,
  claimed: ReadonlyMap<string, string>,
): AccountMatch | Notice | undefined {
  if (d.id !== undefined) {
    const account = index.byId.get(d.id);
    if (!account) {
      return {
        code: 'PLAN_ACCOUNT_ID_NOT_FOUND',
        key: d.key,
        message: `account '${d.key}' gives id ${d.id}, which is not in the organization; fix the id, or remove it to create a new account`,
      };
    }
    return { account, by: account.tags[MARKERS.key] === d.key ? 'key' : 'id' };
  }
  if (d.kind === 'management') {
    const account = index.byId.get(observed.managementAccountId);
    if (account) return { account, by: 'id' };
  }
  const keyed = index.byKey.get(d.key);
  if (keyed && !claimed.has(keyed.id)) return { account: keyed, by: 'key' };
  const byEmail = index.byEmail.get(d.email.toLowerCase());
  if (byEmail) return { account: byEmail, by: 'email' };
  // Names are not unique in Organizations: only adopt an unambiguous, live, unmanaged namesake.
  const namesakes = (index.byName.get(d.name) ?? []).filter(
    (a) =>
      a.status === 'ACTIVE' &&
      !inMorgue(a.ou, morgue) &&
      !claimed.has(a.id) &&
      (a.tags[MARKERS.key] === undefined || a.tags[MARKERS.key] === d.key),
  );
  if (namesakes.length > 1) {
    return {
      code: 'PLAN_AMBIGUOUS_NAME',
      key: d.key,
      message: `account '${d.key}': ${namesakes.length} accounts are named '${d.name}' (${namesakes.map((a) => a.id).join(', ')}); give the right one's \`id:\` in the DSL`,
    };
  }
  const namesake = namesakes[0];
  return namesake ? { account: namesake, by: 'name' } : undefined;
}

/** The part of the resolved config account matching reads. */
export type AccountMatchConfig = Pick<ResolvedConfig, 'organization' | 'accounts'> &
  Partial<Pick<ResolvedConfig, 'unmanaged'>>;

/**
 * Account key -> the observed account it is, exactly as planAccountChanges decides (same order,
 * same claims: keys visited sorted, an observed account claimed once, a repeated email or an
 * ambiguous name matching nothing). Pure; everything that needs "which AWS account is key X"
 * (templates, provisioning) uses this, so it can never disagree with the account sync.
 */
export function matchAccounts(
  config: AccountMatchConfig,
  observed: ObservedOrganization,
): ReadonlyMap<string, AccountMatch> {
  const morgue = morgueOf(config);
  const unmanaged = unmanagedPredicate(config);
  const index = new ObservedIndex(observed);
  const claimed = new Map<string, string>();
  const seenEmails = new Set<string>();
  const matches = new Map<string, AccountMatch>();
  for (const d of [...config.accounts].sort((a, b) => compareText(a.key, b.key))) {
    const email = d.email.toLowerCase();
    if (seenEmails.has(email)) continue;
    seenEmails.add(email);
    const found = findMatch(d, index, observed, morgue, claimed, unmanaged);
    if (!found || 'code' in found || claimed.has(found.account.id)) continue;
    claimed.set(found.account.id, d.key);
    matches.set(d.key, found);
  }
  return matches;
}

/**
 * Account key -> id of the live account orgbridge manages as that key: matched by matchAccounts,
 * ACTIVE, and for member accounts neither the management account nor a retired account in the
 * morgue (the planner blocks those instead of managing them).
 */
export function managedAccountIds(
  config: AccountMatchConfig,
  observed: ObservedOrganization,
): Record<string, string> {
  const morgue = morgueOf(config);
  const desiredByKey = new Map(config.accounts.map((a) => [a.key, a] as const));
  const ids: Record<string, string> = {};
  for (const [key, { account }] of matchAccounts(config, observed)) {
    const desired = desiredByKey.get(key) as ResolvedAccount;
    if (account.status !== 'ACTIVE') continue;
    if (desired.kind === 'member') {
      if (account.id === observed.managementAccountId) continue;
      if (inMorgue(account.ou, morgue) && desired.id !== account.id) continue;
    }
    ids[key] = account.id;
  }
  return ids;
}

/**
 * The DSL's tags the management account lacks. The management handler refuses every change to
 * the management account by event, so these are applied by the bootstrap, which runs with the
 * management account's own credentials (src/pipeline/bootstrap.ts); tags are only added or
 * changed there, never removed.
 */
export function managementTagsToApply(
  config: Pick<ResolvedConfig, 'accounts'>,
  observed: Pick<ObservedOrganization, 'accounts' | 'managementAccountId'>,
): { accountId: string; set: Record<string, string> } | undefined {
  const desired = config.accounts.find((a) => a.kind === 'management');
  const account = observed.accounts.find((a) => a.id === observed.managementAccountId);
  if (!desired || !account) return undefined;
  const set = lackingTags(desired, account);
  return Object.keys(set).length ? { accountId: account.id, set } : undefined;
}

/** The DSL's tags (markers aside) that `account` lacks or holds with another value, sorted by key. */
function lackingTags(desired: ResolvedAccount, account: ObservedAccount): Record<string, string> {
  return Object.fromEntries(
    Object.entries(desired.tags)
      .filter(([k, v]) => !isMarker(k) && account.tags[k] !== v)
      .sort(([a], [b]) => compareText(a, b)),
  );
}

/**
 * Desired (resolved DSL) vs observed (LIST_ACCOUNTS) -> the ordered account plan. Pure and
 * deterministic: the same inputs give the same plan whatever the order of the observed accounts.
 */
export function planAccountChanges(input: AccountPlanInput): AccountPlan {
  const { config, observed, now } = input;
  const org = config.organization;
  const morgue = morgueOf(config);
  const unmanagedAccount = unmanagedPredicate(config);
  const authoritative = org.authoritative === true;
  const tagLimit = org.limits?.tags_per_account ?? DEFAULT_TAGS_PER_ACCOUNT;
  const ouLimit = org.limits?.ou_depth ?? 5;
  const ouIdByPath = new Map(Object.entries(observed.ous).map(([p, id]) => [normalizeOuPath(p), id]));
  const ouPathById = new Map([...ouIdByPath].map(([p, id]) => [id, p]));
  const index = new ObservedIndex(observed);

  const drift: Drift[] = [];
  const blocked: Notice[] = [];
  const warnings: Notice[] = [];
  const unmanaged: string[] = [];
  const adopts: AdoptAccountAction[] = [];
  const creates: CreateAccountAction[] = [];
  const moves: MoveAccountAction[] = [];
  const tagActions: TagAccountAction[] = [];
  const retires: RetireAccountAction[] = [];
  const closes: CloseAccountAction[] = [];
  const state = { unchanged: 0 };

  /** OU path -> why it must exist (first reason wins; inputs are visited in sorted order). */
  const neededOus = new Map<string, string>();
  const needOu = (path: string, reason: string) => {
    if (!neededOus.has(path)) neededOus.set(path, reason);
  };
  if (morgue !== undefined)
    needOu(morgue, `the morgue OU (organization.morgue_ou) that holds retired accounts`);
  for (const scope of Object.values(config.scopes).sort((a, b) => compareText(a.name, b.name))) {
    const path = normalizeOuPath(scope.organization_unit);
    if (ouDepth(path) > ouLimit) {
      blocked.push({
        code: 'PLAN_OU_TOO_DEEP',
        message: `scope '${scope.name}' uses OU '${path}', ${ouDepth(path)} levels deep; Organizations allows ${ouLimit} below the root`,
      });
    } else needOu(path, `OU of scope '${scope.name}'`);
  }

  const claimed = new Map<string, string>();
  const claimedByKey = new Map<string, string>();
  const seenEmails = new Map<string, string>();
  const desired = [...config.accounts].sort((a, b) => compareText(a.key, b.key));

  const matchOf = (d: ResolvedAccount) => findMatch(d, index, observed, morgue, claimed, unmanagedAccount);

  const markersOf = (d: ResolvedAccount): Record<string, string> =>
    authoritative ? authoritativeMarkers(d, tagLimit) : managedMarkers(d.key, d.tags, d.protect);

  const validateTags = (d: ResolvedAccount): Notice | undefined => {
    const problem = accountTagProblem(d.key, d.tags, { authoritative, tagLimit });
    return problem
      ? { code: TAG_PROBLEM_CODES[problem.kind].plan, key: d.key, message: problem.message }
      : undefined;
  };

  for (const d of desired)
    planDesiredAccount(
      {
        observed,
        morgue,
        authoritative,
        ouLimit,
        ouIdByPath,
        ouPathById,
        drift,
        blocked,
        warnings,
        adopts,
        creates,
        moves,
        tagActions,
        needOu,
        claimed,
        claimedByKey,
        seenEmails,
        matchOf,
        markersOf,
        validateTags,
        state,
      },
      d,
    );

  // Accounts orgbridge manages that the DSL no longer lists: retired, or why not.
  const retirement = planRetirements({
    observed,
    sorted: index.sorted,
    claimed,
    claimedByKey,
    desiredKeys: new Set(desired.map((d) => d.key)),
    morgue,
    authoritative,
    unmanagedAccount,
    today: now.toISOString().slice(0, 10),
    now,
  });
  const { closable } = retirement;
  retires.push(...retirement.retires);
  warnings.push(...retirement.warnings);
  blocked.push(...retirement.blocked);
  unmanaged.push(...retirement.unmanaged);

  if (org.close_retired_accounts && closable.length)
    closes.push(...planClosures(observed, now, closable, warnings));

  const createOus = planOuCreation(neededOus, ouIdByPath);

  const byKeyThenId = (a: { key: string; accountId?: string }, b: { key: string; accountId?: string }) =>
    compareText(a.key, b.key) || compareText(a.accountId ?? '', b.accountId ?? '');
  const groups: Record<AccountAction['action'], AccountAction[]> = {
    'create-ou': createOus,
    'adopt-account': adopts.sort(byKeyThenId),
    'create-account': creates.sort(byKeyThenId),
    'move-account': moves.sort(byKeyThenId),
    'tag-account': tagActions.sort(byKeyThenId),
    'retire-account': retires.sort(byKeyThenId),
    'close-account': closes.sort((a, b) => compareText(a.accountId, b.accountId)),
  };
  const actions = ACTION_ORDER.flatMap((kind) => groups[kind]);
  const counts: Record<string, number> = {};
  for (const kind of ACTION_ORDER) if (groups[kind].length) counts[kind] = groups[kind].length;
  const byNotice = (a: Notice, b: Notice) =>
    compareText(a.key ?? '', b.key ?? '') || compareText(a.code, b.code) || compareText(a.message, b.message);

  return {
    version: PLAN_VERSION,
    now: now.toISOString(),
    summary: {
      actions: counts,
      drift: drift.length,
      blocked: blocked.length,
      warnings: warnings.length,
      unchanged: state.unchanged,
      unmanaged: unmanaged.length,
    },
    drift: drift.sort((a, b) => compareText(a.key, b.key) || compareText(a.kind, b.kind)),
    actions,
    blocked: blocked.sort(byNotice),
    warnings: warnings.sort(byNotice),
    unmanaged,
  };
}

interface RetirementInput {
  readonly observed: ObservedOrganization;
  readonly sorted: readonly ObservedAccount[];
  /** Observed account id -> the DSL key it matched. */
  readonly claimed: ReadonlyMap<string, string>;
  /** DSL key -> the observed account id it matched. */
  readonly claimedByKey: ReadonlyMap<string, string>;
  readonly desiredKeys: ReadonlySet<string>;
  readonly morgue: string | undefined;
  readonly authoritative: boolean;
  readonly unmanagedAccount: (account: ObservedAccount) => boolean;
  /** YYYY-MM-DD, for `orgbridge:retired`. */
  readonly today: string;
  readonly now: Date;
}

/**
 * The active accounts no DSL account matched: accounts orgbridge marked (and, with an
 * authoritative config, every account) are retired to the morgue unless protected; the rest are
 * unmanaged. Also what is in the morgue already and may be closed.
 */
function planRetirements(input: RetirementInput): {
  retires: RetireAccountAction[];
  closable: { account: ObservedAccount; key: string; retiredOn: string }[];
  warnings: Notice[];
  blocked: Notice[];
  unmanaged: string[];
} {
  const {
    observed,
    claimed,
    claimedByKey,
    desiredKeys,
    morgue,
    authoritative,
    unmanagedAccount,
    today,
    now,
  } = input;
  const retires: RetireAccountAction[] = [];
  const warnings: Notice[] = [];
  const blocked: Notice[] = [];
  const unmanaged: string[] = [];
  const closable: { account: ObservedAccount; key: string; retiredOn: string }[] = [];
  for (const account of input.sorted) {
    if (
      claimed.has(account.id) ||
      account.status !== 'ACTIVE' ||
      account.id === observed.managementAccountId
    ) {
      continue;
    }
    if (unmanagedAccount(account)) {
      unmanaged.push(account.id);
      continue;
    }
    const markedKey = account.tags[MARKERS.key];
    const isProtected = account.tags[MARKERS.protect] !== undefined;
    if (inMorgue(account.ou, morgue)) {
      const retiredOn = account.tags[MARKERS.retired];
      if (markedKey !== undefined && retiredOn !== undefined && !isProtected) {
        const cooling = coolingOffUntil(account.tags[MARKERS.unprotected], now);
        if (cooling) {
          warnings.push({
            code: 'PLAN_RETIRE_COOLING_OFF',
            key: markedKey,
            accountId: account.id,
            message: `retired '${markedKey}' (${account.id}) lost its protection at ${account.tags[MARKERS.unprotected]}; it may be closed by a run from ${cooling.toISOString()}`,
          });
        } else closable.push({ account, key: markedKey, retiredOn });
      }
      continue;
    }
    // An authoritative config lists every account: one it does not list leaves the organization's
    // managed set (it is retired); otherwise only accounts orgbridge marked are its to retire.
    if (markedKey === undefined && !authoritative) {
      unmanaged.push(account.id);
      continue;
    }
    const key = markedKey ?? account.name;
    if (markedKey !== undefined && desiredKeys.has(key)) {
      // Still in the DSL (blocked above, or matched to another account): never retire it.
      const owner = claimedByKey.get(key);
      if (owner !== undefined) {
        warnings.push({
          code: 'PLAN_DUPLICATE_KEY_MARKER',
          key,
          accountId: account.id,
          message: `account ${account.id} also carries ${MARKERS.key}=${key}, which is account ${owner}; check which one is '${key}', then retire the other by hand or remove its tag`,
        });
      }
      continue;
    }
    if (isProtected) {
      warnings.push({
        code: 'PLAN_PROTECTED_NOT_RETIRED',
        key,
        accountId: account.id,
        message: `'${key}' (${account.id}) left the DSL but is protected; to retire it, put it back with \`protect: false\`, sync, then remove it`,
      });
      continue;
    }
    const cooling = coolingOffUntil(account.tags[MARKERS.unprotected], now);
    if (cooling) {
      warnings.push({
        code: 'PLAN_RETIRE_COOLING_OFF',
        key,
        accountId: account.id,
        message: `'${key}' (${account.id}) left the DSL, but its protection was removed at ${account.tags[MARKERS.unprotected]}; it is retired by a run from ${cooling.toISOString()}`,
      });
      continue;
    }
    if (morgue === undefined) {
      blocked.push({
        code: 'PLAN_NO_MORGUE',
        key,
        accountId: account.id,
        message: `'${key}' (${account.id}) is no longer in the DSL, but organization.morgue_ou is not set: set it (e.g. Morgue) to retire accounts there, or list the account under \`unmanaged:\``,
      });
      continue;
    }
    retires.push({
      action: 'retire-account',
      key,
      accountId: account.id,
      name: account.name,
      from: account.ou,
      to: morgue,
      set: { [MARKERS.retired]: today },
      reason:
        markedKey === undefined
          ? `account ${account.id} is not in the DSL, which is authoritative`
          : `'${key}' is no longer in the DSL`,
    });
    closable.push({ account, key, retiredOn: today });
  }
  return { retires, closable, warnings, blocked, unmanaged };
}

/**
 * The markers of an account of an authoritative config: no managed-tags list (every tag is
 * managed), and only as many as fit beside its tags and `orgbridge:ou` under the tag limit,
 * `orgbridge:protect` first. Markers are orgbridge's bookkeeping there, never a reason to refuse.
 */
function authoritativeMarkers(d: ResolvedAccount, tagLimit: number): Record<string, string> {
  const all = managedMarkers(d.key, d.tags, d.protect);
  const room = tagLimit - Object.keys(d.tags).length - 1;
  const order = [MARKERS.protect, MARKERS.key, MARKERS.tagsHash].filter((k) => all[k] !== undefined);
  return Object.fromEntries(order.slice(0, Math.max(0, room)).map((k) => [k, all[k] as string]));
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}

/** What planDesiredAccount reads from, and appends to, for planAccountChanges. */
interface DesiredAccountContext {
  readonly observed: ObservedOrganization;
  readonly morgue: string | undefined;
  readonly authoritative: boolean;
  readonly ouLimit: number;
  readonly ouIdByPath: ReadonlyMap<string, string>;
  readonly ouPathById: ReadonlyMap<string, string>;
  readonly drift: Drift[];
  readonly blocked: Notice[];
  readonly warnings: Notice[];
  readonly adopts: AdoptAccountAction[];
  readonly creates: CreateAccountAction[];
  readonly moves: MoveAccountAction[];
  readonly tagActions: TagAccountAction[];
  readonly needOu: (path: string, reason: string) => void;
  readonly claimed: Map<string, string>;
  readonly claimedByKey: Map<string, string>;
  readonly seenEmails: Map<string, string>;
  readonly matchOf: (d: ResolvedAccount) => ReturnType<typeof findMatch>;
  readonly markersOf: (d: ResolvedAccount) => Record<string, string>;
  readonly validateTags: (d: ResolvedAccount) => Notice | undefined;
  readonly state: { unchanged: number };
}

/**
 * One desired account against what AWS holds: blocked (and why), created, adopted, moved, tagged
 * or unchanged. Visited in key order by planAccountChanges, which owns every list it appends to.
 */
function planDesiredAccount(ctx: DesiredAccountContext, d: ResolvedAccount): void {
  const {
    morgue,
    ouLimit,
    blocked,
    warnings,
    creates,
    needOu,
    claimed,
    claimedByKey,
    seenEmails,
    matchOf,
    markersOf,
    validateTags,
    state,
  } = ctx;
  const email = d.email.toLowerCase();
  const sameEmail = seenEmails.get(email);
  if (sameEmail !== undefined) {
    blocked.push({
      code: 'PLAN_DUPLICATE_EMAIL',
      key: d.key,
      message: `accounts '${sameEmail}' and '${d.key}' both use email ${d.email}; AWS account emails are unique: change one`,
    });
    return;
  }
  seenEmails.set(email, d.key);

  const found = matchOf(d);
  if (found && 'code' in found) {
    blocked.push(found);
    return;
  }
  const match = found;
  if (match) {
    const owner = claimed.get(match.account.id);
    if (owner !== undefined) {
      blocked.push({
        code: 'PLAN_DUPLICATE_MATCH',
        key: d.key,
        accountId: match.account.id,
        message: `accounts '${owner}' and '${d.key}' both match account ${match.account.id}; give each its own \`id:\`, email and name`,
      });
      return;
    }
    // Claimed before any other check: a blocked account must never be retired as "gone".
    claimed.set(match.account.id, d.key);
    claimedByKey.set(d.key, match.account.id);
  }

  // Special accounts: created when missing (an empty organization gets the example's), never
  // moved, retired or closed once they exist: they carry the pipeline itself. Their tags follow
  // the DSL like any account's (defaults.tags reach them), except the management account's: its
  // handler refuses every change to the management account.
  if (d.kind !== 'member' && match) {
    const want = normalizeOuPath(d.organization_unit);
    if (d.kind !== 'management' && want !== '' && match.account.ou !== want) {
      warnings.push({
        code: 'PLAN_SPECIAL_ACCOUNT_ELSEWHERE',
        key: d.key,
        accountId: match.account.id,
        message: `special account '${d.key}' is in ${displayOu(match.account.ou)}, the DSL says ${displayOu(want)}; orgbridge leaves special accounts where they are: move it by hand`,
      });
    }
    if (d.kind === 'management') {
      const lacking = lackingTags(d, match.account);
      if (Object.keys(lacking).length) {
        warnings.push({
          code: 'PLAN_MANAGEMENT_TAGS_NOT_MANAGED',
          key: d.key,
          accountId: match.account.id,
          message: `the management account ${match.account.id} lacks the DSL's ${Object.entries(lacking)
            .map(([k, v]) => `${k}=${v}`)
            .join(
              ', ',
            )}; no event changes the management account: \`orgbridge run --action bootstrap --execute\` (management credentials) tags it`,
        });
      }
      state.unchanged++;
      return;
    }
    const tagProblem = validateTags(d);
    if (tagProblem) {
      blocked.push(tagProblem);
      return;
    }
    planAccountTags(ctx, d, {
      account: match.account,
      match,
      restoring: false,
      actualOuId: undefined,
      ouMarker: undefined,
      moving: false,
      special: true,
    });
    return;
  }

  const tagProblem = validateTags(d);
  if (tagProblem) {
    blocked.push(tagProblem);
    return;
  }
  const wantOu = normalizeOuPath(d.organization_unit);
  if (ouDepth(wantOu) > ouLimit) {
    blocked.push({
      code: 'PLAN_OU_TOO_DEEP',
      key: d.key,
      message: `account '${d.key}' goes to OU '${wantOu}', ${ouDepth(wantOu)} levels deep; Organizations allows ${ouLimit} below the root`,
    });
    return;
  }
  if (inMorgue(wantOu, morgue)) {
    blocked.push({
      code: 'PLAN_ACCOUNT_IN_MORGUE_OU',
      key: d.key,
      message: `account '${d.key}' is placed in '${wantOu}', inside the morgue OU '${morgue}'; remove the account from the DSL to retire it instead`,
    });
    return;
  }

  if (!match) {
    needOu(wantOu, `OU of account '${d.key}'`);
    creates.push({
      action: 'create-account',
      key: d.key,
      name: d.name,
      email: d.email,
      ou: wantOu,
      tags: { ...d.tags, ...markersOf(d) },
      reason:
        d.kind === 'member'
          ? `'${d.key}' is in the DSL and no account has email ${d.email} or name ${d.name}`
          : `special account '${d.key}' (${d.kind}) does not exist yet`,
    });
    return;
  }

  planMatchedAccount(ctx, d, match, { email, wantOu });
}

/** A desired account that matched an existing one: refusals, adoption, warnings, placement, then its tags. */
function planMatchedAccount(
  ctx: DesiredAccountContext,
  d: ResolvedAccount,
  match: NonNullable<Exclude<ReturnType<typeof findMatch>, Notice>>,
  desired: { readonly email: string; readonly wantOu: string },
): void {
  const {
    observed,
    morgue,
    authoritative,
    ouIdByPath,
    ouPathById,
    drift,
    blocked,
    warnings,
    adopts,
    moves,
    needOu,
  } = ctx;
  const { email, wantOu } = desired;
  const account = match.account;
  if (account.id === observed.managementAccountId) {
    blocked.push({
      code: 'PLAN_MANAGEMENT_AS_MEMBER',
      key: d.key,
      accountId: account.id,
      message: `account '${d.key}' matches the management account ${account.id}; declare it as organization.accounts.management instead of a member account`,
    });
    return;
  }
  if (account.status !== 'ACTIVE') {
    blocked.push({
      code: 'PLAN_ACCOUNT_CLOSED',
      key: d.key,
      accountId: account.id,
      message: `account '${d.key}' matches account ${account.id} (by ${match.by}), which is ${account.status}; AWS keeps a closed account's email forever: give '${d.key}' a new email (and name)`,
    });
    return;
  }
  const retired = inMorgue(account.ou, morgue);
  const restoring = retired && d.id === account.id;
  if (retired && !restoring) {
    blocked.push({
      code: 'PLAN_ACCOUNT_IN_MORGUE',
      key: d.key,
      accountId: account.id,
      message: `account '${d.key}' matches retired account ${account.id} in the morgue (by ${match.by}); orgbridge never re-creates it: to bring it back, add \`id: ${account.id}\` to '${d.key}', otherwise give '${d.key}' a new email and name`,
    });
    return;
  }

  // An authoritative config describes the organization as it is: nothing to adopt.
  if (match.by !== 'key' && !authoritative) {
    const formerKey = account.tags[MARKERS.key];
    const how =
      match.by === 'id'
        ? `\`id: ${account.id}\` is given in the DSL`
        : match.by === 'email'
          ? `an account with email ${account.email} already exists`
          : `an account named ${account.name} already exists`;
    adopts.push({
      action: 'adopt-account',
      key: d.key,
      accountId: account.id,
      name: account.name,
      matchedBy: match.by,
      reason: formerKey ? `${how}; it was managed as '${formerKey}'` : how,
    });
  }
  if (account.email.toLowerCase() !== email) {
    warnings.push({
      code: 'PLAN_EMAIL_DIFFERS',
      key: d.key,
      accountId: account.id,
      message: `account '${d.key}' (${account.id}) has email ${account.email}, the DSL says ${d.email}; orgbridge cannot change an account's email: update the DSL or change it in the account`,
    });
  }
  if (account.name !== d.name) {
    warnings.push({
      code: 'PLAN_NAME_DIFFERS',
      key: d.key,
      accountId: account.id,
      message: `account '${d.key}' (${account.id}) is named ${account.name}, the DSL says ${d.name}; orgbridge does not rename accounts: update the DSL or rename it in the account settings`,
    });
  }

  // Placement. The `orgbridge:ou` marker says where orgbridge last put the account, which tells
  // a scope change (marker == actual) from an out-of-band move (marker != actual).
  needOu(wantOu, `OU of account '${d.key}'`);
  const actualOuId = ouIdByPath.get(account.ou);
  const ouMarker = account.tags[MARKERS.ou];
  const movedByHand = ouMarker !== undefined && ouMarker !== actualOuId && !restoring;
  if (movedByHand) {
    drift.push({
      kind: 'moved',
      key: d.key,
      accountId: account.id,
      name: account.name,
      expected: ouPathById.get(ouMarker) ?? ouMarker,
      actual: displayOu(account.ou),
      detail: `moved out of band from ${ouPathById.get(ouMarker) ?? ouMarker} to ${displayOu(account.ou)}`,
    });
  }
  const moving = account.ou !== wantOu;
  if (moving) {
    const scope = `scope '${d.scope}'`;
    moves.push({
      action: 'move-account',
      key: d.key,
      accountId: account.id,
      name: account.name,
      from: account.ou,
      to: wantOu,
      drift: movedByHand,
      reason: restoring
        ? `restoring from the morgue: \`id: ${account.id}\` is back in the DSL`
        : movedByHand
          ? `moved by hand to ${displayOu(account.ou)}; ${scope} puts it in ${wantOu}`
          : match.by !== 'key' && !authoritative
            ? `adopted account sits in ${displayOu(account.ou)}; ${scope} puts it in ${displayOu(wantOu)}`
            : `${scope} now puts it in ${displayOu(wantOu)} (was ${displayOu(account.ou)})`,
    });
  }

  planAccountTags(ctx, d, { account, match, restoring, actualOuId, ouMarker, moving });
}

/** Tags of a matched account: only managed keys change, markers record what orgbridge did. */
function planAccountTags(
  ctx: DesiredAccountContext,
  d: ResolvedAccount,
  found: {
    readonly account: ObservedAccount;
    readonly match: NonNullable<Exclude<ReturnType<typeof findMatch>, Notice>>;
    readonly restoring: boolean;
    readonly actualOuId: string | undefined;
    readonly ouMarker: string | undefined;
    readonly moving: boolean;
    /** A special account: its markers are never removed (the handler refuses that from an event). */
    readonly special?: boolean;
  },
): void {
  const { authoritative, drift, tagActions, markersOf, state } = ctx;
  const { account, match, restoring, actualOuId, ouMarker, moving } = found;
  // Tags: only managed keys (the DSL's, and those it set before) are ever changed or removed;
  // with an authoritative config, every tag of the account is, except those AWS applied itself
  // (`aws:`), which nobody may change or remove.
  const previouslyManaged = authoritative
    ? Object.keys(account.tags).filter((k) => !isMarker(k) && !isAwsReservedTag(k))
    : parseManagedTagKeys(account.tags[MARKERS.managedTags]);
  const set: Record<string, string> = {};
  const added: string[] = [];
  const changed: string[] = [];
  for (const [k, v] of Object.entries(d.tags)) {
    const current = account.tags[k];
    if (current === v) continue;
    set[k] = v;
    (current === undefined ? added : changed).push(k);
  }
  const remove = previouslyManaged.filter((k) => !(k in d.tags) && k in account.tags && !isMarker(k));
  if (!d.protect && account.tags[MARKERS.protect] !== undefined && !found.special)
    remove.push(MARKERS.protect);
  if (restoring && account.tags[MARKERS.retired] !== undefined) remove.push(MARKERS.retired);
  let markersChanged = false;
  const markers = markersOf(d);
  // A special account that orgbridge did not create gets no key marker: a key marks an account
  // orgbridge retires when its entry leaves the DSL, and special accounts are never retired.
  const written = Object.entries(markers).filter(
    ([k]) => !(found.special && k === MARKERS.key && account.tags[MARKERS.key] === undefined),
  );
  for (const [k, v] of written) {
    if (account.tags[k] !== v) {
      set[k] = v;
      markersChanged = true;
    }
  }
  if (!moving && actualOuId !== undefined && ouMarker !== actualOuId) {
    set[MARKERS.ou] = actualOuId;
    markersChanged = true;
  }

  let retagged = false;
  const lastHash = account.tags[MARKERS.tagsHash];
  // The managed tags as they are now usually equal the DSL's, whose hash is already known.
  const unchangedSinceDsl =
    previouslyManaged.length === Object.keys(d.tags).length &&
    previouslyManaged.every((k) => account.tags[k] === d.tags[k]);
  if (lastHash !== undefined && !(unchangedSinceDsl && markers[MARKERS.tagsHash] === lastHash)) {
    const current: Record<string, string> = {};
    for (const k of previouslyManaged) {
      const v = account.tags[k];
      if (v !== undefined) current[k] = v;
    }
    if (hashTags(current) !== lastHash) {
      const edited = previouslyManaged.filter(
        (k) => d.tags[k] !== undefined && account.tags[k] !== d.tags[k],
      );
      if (edited.length) {
        retagged = true;
        drift.push({
          kind: 'retagged',
          key: d.key,
          accountId: account.id,
          name: account.name,
          expected: edited.map((k) => `${k}=${d.tags[k]}`).join(', '),
          actual: edited.map((k) => `${k}=${account.tags[k] ?? '(absent)'}`).join(', '),
          detail: `managed tag${edited.length === 1 ? '' : 's'} ${edited.join(', ')} edited out of band`,
        });
      }
    }
  }
  remove.sort(compareText);
  // An authoritative config never asks to approve orgbridge's own bookkeeping: an account that
  // has no markers yet gets them with its first real change, not as a change of their own.
  const onlyMarkers =
    authoritative &&
    account.tags[MARKERS.key] === undefined &&
    Object.keys(set).every(isMarker) &&
    remove.every(isMarker);
  if ((Object.keys(set).length || remove.length) && !onlyMarkers) {
    const parts: string[] = [];
    if (added.length) parts.push(`adds ${added.sort(compareText).join(', ')}`);
    if (changed.length)
      parts.push(`${retagged ? 'restores' : 'changes'} ${changed.sort(compareText).join(', ')}`);
    const removedUser = remove.filter((k) => !isMarker(k));
    if (removedUser.length) parts.push(`removes ${removedUser.join(', ')} (no longer in the DSL)`);
    if (markersChanged || remove.some(isMarker)) parts.push('updates orgbridge markers');
    tagActions.push({
      action: 'tag-account',
      key: d.key,
      accountId: account.id,
      name: account.name,
      set: sortRecord(set),
      remove,
      drift: retagged,
      reason: parts.join('; '),
    });
  } else if ((match.by === 'key' || authoritative) && !moving) {
    state.unchanged++;
  }
}

/**
 * Retired accounts to close, oldest retirement first, within AWS's closure rules: accounts at
 * least CLOSURE_RULES.minAgeDays old, and the quota of closures per window; the rest wait for a
 * later run with a warning that says why.
 */
function planClosures(
  observed: ObservedOrganization,
  now: Date,
  closable: ReturnType<typeof planRetirements>['closable'],
  warnings: Notice[],
): CloseAccountAction[] {
  const closes: CloseAccountAction[] = [];
  const budget = closureBudget(observed, now);
  let left = budget.allowed;
  closable.sort((a, b) => compareText(a.retiredOn, b.retiredOn) || compareText(a.account.id, b.account.id));
  for (const { account, key } of closable) {
    const oldEnough = Date.parse(account.joined) + CLOSURE_RULES.minAgeDays * DAY_MS;
    if (!(oldEnough <= now.getTime())) {
      warnings.push({
        code: 'PLAN_CLOSE_TOO_YOUNG',
        key,
        accountId: account.id,
        message: `retired '${key}' (${account.id}) joined on ${account.joined}; AWS closes accounts at least ${CLOSURE_RULES.minAgeDays} days old: it will be closed from ${Number.isFinite(oldEnough) ? new Date(oldEnough).toISOString().slice(0, 10) : 'a later run'}`,
      });
      continue;
    }
    if (left <= 0) {
      warnings.push({
        code: 'PLAN_CLOSE_DEFERRED',
        key,
        accountId: account.id,
        message: `closing retired '${key}' (${account.id}) is deferred by the closure quota (${budget.usedInWindow} of ${budget.windowLimit} used in ${CLOSURE_RULES.windowDays} days, ${budget.pending} pending, at most ${CLOSURE_RULES.concurrent} at once); a later run closes it`,
      });
      continue;
    }
    left--;
    closes.push({
      action: 'close-account',
      key,
      accountId: account.id,
      name: account.name,
      reason: `retired and organization.close_retired_accounts is on (quota: ${budget.windowLimit - budget.usedInWindow} left in ${CLOSURE_RULES.windowDays} days)`,
    });
  }
  return closes;
}

/** The OUs to create, parents first: every prefix of a needed path that does not exist yet. */
function planOuCreation(
  neededOus: ReadonlyMap<string, string>,
  ouIdByPath: ReadonlyMap<string, string>,
): CreateOuAction[] {
  const createOus: CreateOuAction[] = [];
  const planned = new Set<string>();
  for (const [path, reason] of [...neededOus].sort(([a], [b]) => compareText(a, b))) {
    const segments = path === '' ? [] : path.split('/');
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      if (ouIdByPath.has(prefix) || planned.has(prefix)) continue;
      planned.add(prefix);
      createOus.push({
        action: 'create-ou',
        path: prefix,
        parent: parentOf(prefix),
        name: segments[i - 1] as string,
        reason: prefix === path ? reason : `parent of ${path}`,
      });
    }
  }
  createOus.sort((a, b) => ouDepth(a.path) - ouDepth(b.path) || compareText(a.path, b.path));
  return createOus;
}
