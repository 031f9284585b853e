import { OrgbridgeError } from '../../errors.js';
import { coolingOffUntil, MARKERS } from '../../plan/markers.js';
import { allPages, awsErrorName, type CreationStatus, type OrganizationsPort } from './ports.js';

/** Injected so tests do not wait and handlers never read the clock behind a test's back. */
export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface CreateAccountRequest {
  readonly name: string;
  readonly email: string;
  /** Destination OU id (the account is created under the root, then moved). */
  readonly ouId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly roleName?: string;
}

export interface CreateAccountOutcome {
  readonly accountId?: string;
  /** IN_PROGRESS when polling hit `maxWaitMs`: deliver the request again to resume. */
  readonly state: 'SUCCEEDED' | 'IN_PROGRESS';
  readonly requestId?: string;
  /** How the account was found: `created` now, or `recovered` from an earlier attempt. */
  readonly how: 'created' | 'recovered-creation' | 'recovered-existing';
}

export interface CreateAccountOptions {
  readonly clock?: Clock;
  /** Give up polling after this long (AWS takes minutes; Lambda stops at 15). */
  readonly maxWaitMs?: number;
  readonly firstPollMs?: number;
  readonly maxPollMs?: number;
  /** Accounts never adopted by email (the special accounts): id -> what it is. */
  readonly reserved?: ReadonlyMap<string, string>;
  /**
   * The run's listing of earlier creations. Without it every call lists all creation statuses
   * (one ListCreateAccountStatus walk per account: quadratic in calls over a run).
   */
  readonly ledger?: CreationLedger;
  /** Re-list before looking (a redelivery: an earlier attempt may have crashed after CreateAccount). */
  readonly fresh?: boolean;
}

/**
 * Why the account `existing`, which already has the requested email, may not be adopted: it is
 * the management account, a reserved (special) account, or managed under another key. Undefined
 * for an unmanaged account (no `orgbridge:key`), which is adopted, or one carrying this key.
 */
async function adoptionRefusal(
  port: OrganizationsPort,
  existing: string,
  request: CreateAccountRequest,
  reserved: ReadonlyMap<string, string> = new Map(),
): Promise<string | undefined> {
  if (existing === (await port.managementAccountId())) return `the management account ${existing}`;
  const kind = reserved.get(existing);
  if (kind) return `the ${kind} account ${existing}`;
  const tags = await allPages((t) => port.listTags(existing, t));
  const key = tags.find((t) => t.key === MARKERS.key)?.value;
  if (key !== undefined && key !== request.tags[MARKERS.key])
    return `account ${existing}, managed as '${key}'`;
  return undefined;
}

/**
 * ListCreateAccountStatus read once per run and kept current with the creations this process
 * makes, so creating N accounts costs O(N) calls instead of O(N^2). The listing is dropped (and
 * read again on next use) whenever a creation fails in a way whose outcome is unknown: a
 * CreateAccount that AWS accepted but whose answer was lost must be found, not duplicated.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListCreateAccountStatus.html
 */
export class CreationLedger {
  #byName: Promise<Map<string, CreationStatus[]>> | undefined;

  constructor(private readonly port: OrganizationsPort) {}

  /** IN_PROGRESS and SUCCEEDED creations of `name`, newest first. */
  async named(name: string, fresh = false): Promise<CreationStatus[]> {
    if (fresh) this.#byName = undefined;
    this.#byName ??= this.#load();
    let index: Map<string, CreationStatus[]>;
    try {
      index = await this.#byName;
    } catch (e) {
      this.#byName = undefined;
      throw e;
    }
    return [...(index.get(name) ?? [])].sort((a, b) => (a.requested < b.requested ? 1 : -1));
  }

  /** Records a creation this process started or watched (replacing the same request's entry). */
  async record(status: CreationStatus): Promise<void> {
    if (!this.#byName) return;
    const index = await this.#byName.catch(() => undefined);
    if (!index) return;
    const others = (index.get(status.accountName) ?? []).filter((s) => s.requestId !== status.requestId);
    index.set(status.accountName, status.state === 'FAILED' ? others : [...others, status]);
  }

  /** Forget the listing: the next lookup reads ListCreateAccountStatus again. */
  invalidate(): void {
    this.#byName = undefined;
  }

  async #load(): Promise<Map<string, CreationStatus[]>> {
    const all = await allPages((t) => this.port.listCreateAccountStatus(['IN_PROGRESS', 'SUCCEEDED'], t));
    const index = new Map<string, CreationStatus[]>();
    for (const s of all) index.set(s.accountName, [...(index.get(s.accountName) ?? []), s]);
    return index;
  }
}

/**
 * CREATE_ACCOUNT, crash-safe. CreateAccount has no client token, so a redelivered or retried
 * request first looks for a creation of the same account: an IN_PROGRESS or SUCCEEDED request
 * with the same name in ListCreateAccountStatus whose account (once known) has the same email.
 * Only when there is none does it call CreateAccount, and AWS itself rejects a second account
 * with a used email (EMAIL_ALREADY_EXISTS), in which case the existing account is adopted. Then
 * it moves the account to its OU and writes its tags: both idempotent, so a crash between any two
 * steps converges on redelivery to exactly one account.
 */
export async function createAccount(
  port: OrganizationsPort,
  request: CreateAccountRequest,
  options: CreateAccountOptions = {},
): Promise<CreateAccountOutcome> {
  try {
    return await createAccountOnce(port, request, options);
  } catch (e) {
    // Unknown outcome (a lost answer, a crash-like failure): the next creation re-lists.
    options.ledger?.invalidate();
    throw e;
  }
}

async function createAccountOnce(
  port: OrganizationsPort,
  request: CreateAccountRequest,
  options: CreateAccountOptions,
): Promise<CreateAccountOutcome> {
  const clock = options.clock ?? systemClock;
  const email = request.email.toLowerCase();
  let how: CreateAccountOutcome['how'] = 'recovered-creation';
  let status = await findEarlierCreation(port, request.name, email, clock, options);
  let accountId = status?.accountId;
  if (!status) {
    how = 'created';
    status = await port.createAccount({
      name: request.name,
      email: request.email,
      tags: request.tags,
      ...(request.roleName ? { roleName: request.roleName } : {}),
    });
    await options.ledger?.record(status);
    status = await waitForCreation(port, status, clock, options);
    await options.ledger?.record(status);
    accountId = status.accountId;
    if (status.state === 'FAILED' && status.failureReason === 'EMAIL_ALREADY_EXISTS') {
      const existing = await findAccountByEmail(port, email);
      if (!existing) {
        throw new OrgbridgeError(
          'CREATE_ACCOUNT_EMAIL_TAKEN',
          `creating ${request.name}: the email ${request.email} belongs to an account outside this organization`,
          { source: 'aws', hint: 'AWS account emails are unique forever: choose another email in the DSL' },
        );
      }
      const owner = await adoptionRefusal(port, existing, request, options.reserved);
      if (owner) {
        throw new OrgbridgeError(
          'CREATE_ACCOUNT_EMAIL_TAKEN',
          `creating ${request.name}: the email ${request.email} belongs to ${owner}, which orgbridge does not adopt`,
          { hint: 'AWS account emails are unique: give this account another email in the DSL' },
        );
      }
      how = 'recovered-existing';
      accountId = existing;
    } else if (status.state === 'FAILED') {
      throw new OrgbridgeError(
        'CREATE_ACCOUNT_FAILED',
        `creating ${request.name} <${request.email}> failed: ${status.failureReason ?? 'no reason given'}`,
        { source: 'aws' },
      );
    }
  }
  if (status.state === 'IN_PROGRESS' || !accountId) {
    return { state: 'IN_PROGRESS', requestId: status.requestId, how };
  }
  await placeAccount(port, accountId, request.ouId);
  await port.tagResource(accountId, { ...request.tags, [MARKERS.ou]: request.ouId });
  return { accountId, state: 'SUCCEEDED', requestId: status.requestId, how };
}

async function findEarlierCreation(
  port: OrganizationsPort,
  name: string,
  email: string,
  clock: Clock,
  options: CreateAccountOptions,
): Promise<CreationStatus | undefined> {
  const earlier = await (options.ledger ?? new CreationLedger(port)).named(name, options.fresh);
  for (let status of earlier) {
    if (status.state === 'IN_PROGRESS') {
      status = await waitForCreation(port, status, clock, options);
      await options.ledger?.record(status);
    }
    if (status.state === 'IN_PROGRESS') return status;
    if (status.state !== 'SUCCEEDED' || !status.accountId) continue;
    const account = await port.describeAccount(status.accountId);
    if (account.email.toLowerCase() === email && account.status === 'ACTIVE') return status;
  }
  return undefined;
}

async function findAccountByEmail(port: OrganizationsPort, email: string): Promise<string | undefined> {
  const accounts = await allPages((t) => port.listAccounts(t));
  return accounts.find((a) => a.email.toLowerCase() === email)?.id;
}

/** Polls DescribeCreateAccountStatus with exponential backoff until it settles or time runs out. */
async function waitForCreation(
  port: OrganizationsPort,
  status: CreationStatus,
  clock: Clock,
  options: CreateAccountOptions,
): Promise<CreationStatus> {
  const deadline = clock.now().getTime() + (options.maxWaitMs ?? 10 * 60_000);
  let delay = options.firstPollMs ?? 2_000;
  let current = status;
  while (current.state === 'IN_PROGRESS' && clock.now().getTime() < deadline) {
    await clock.sleep(delay);
    delay = Math.min(delay * 2, options.maxPollMs ?? 30_000);
    current = await port.describeCreateAccountStatus(current.requestId);
  }
  return current;
}

/** Moves the account under `ouId` unless it is there already; returns where it was. */
async function placeAccount(port: OrganizationsPort, accountId: string, ouId: string): Promise<string> {
  const parent = await port.parentOf(accountId);
  if (parent !== ouId) await port.moveAccount(accountId, parent, ouId);
  return parent;
}

export interface MoveAccountRequest {
  readonly accountId: string;
  readonly ouId: string;
}

/** MOVE_ACCOUNT: idempotent move, then the `orgbridge:ou` marker that tells drift from intent. */
export async function moveAccount(
  port: OrganizationsPort,
  request: MoveAccountRequest,
): Promise<{ from: string }> {
  const from = await placeAccount(port, request.accountId, request.ouId);
  await port.tagResource(request.accountId, { [MARKERS.ou]: request.ouId });
  return { from };
}

export interface TagAccountRequest {
  readonly accountId: string;
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/**
 * TAG_ACCOUNT: set then remove; both idempotent. Removing `orgbridge:protect` also records when
 * (`orgbridge:unprotected`), which starts the cooling-off before the account may be retired
 * (checkRetirement); protecting it again ends it. The record is written first: a failure between
 * the two calls leaves the account protected, never unprotected without a record.
 */
export async function tagAccount(
  port: OrganizationsPort,
  request: TagAccountRequest,
  clock: Clock = systemClock,
): Promise<void> {
  const set = { ...request.set };
  const remove = [...request.remove];
  if (remove.includes(MARKERS.protect)) set[MARKERS.unprotected] = clock.now().toISOString();
  if (set[MARKERS.protect] !== undefined) remove.push(MARKERS.unprotected);
  if (Object.keys(set).length) await port.tagResource(request.accountId, set);
  if (remove.length) await port.untagResource(request.accountId, remove);
}

export interface RetireAccountRequest {
  readonly accountId: string;
  readonly morgueOuId: string;
  /** Also close the account (the planner checked the closure quota). */
  readonly close: boolean;
}

export interface RetireAccountOutcome {
  readonly moved: boolean;
  readonly closed: boolean;
}

const MIN_CLOSE_AGE_MS = 7 * 86_400_000;

/**
 * What RETIRE_ACCOUNT refuses before it changes anything, and what a dry run checks too, so a
 * dry run never says "would close" what the real run refuses: the management account, an
 * account carrying `orgbridge:protect` or unprotected less than PROTECT_COOLING_OFF_MS ago, and
 * (when closing) one that joined less than 7 days ago.
 */
export async function checkRetirement(
  port: OrganizationsPort,
  request: RetireAccountRequest,
  clock: Clock = systemClock,
): Promise<{
  tags: ReadonlyMap<string, string>;
  account: Awaited<ReturnType<OrganizationsPort['describeAccount']>>;
}> {
  const { accountId } = request;
  if (accountId === (await port.managementAccountId())) {
    throw new OrgbridgeError(
      'RETIRE_MANAGEMENT_ACCOUNT',
      `refusing to retire ${accountId}: it is the management account`,
    );
  }
  const tags = new Map((await allPages((t) => port.listTags(accountId, t))).map((t) => [t.key, t.value]));
  if (tags.has(MARKERS.protect)) {
    throw new OrgbridgeError(
      'RETIRE_PROTECTED_ACCOUNT',
      `refusing to retire ${accountId}: it carries ${MARKERS.protect}`,
      {
        hint: 'set `protect: false` for the account in the DSL and sync before removing it',
      },
    );
  }
  const cooling = coolingOffUntil(tags.get(MARKERS.unprotected), clock.now());
  if (cooling) {
    throw new OrgbridgeError(
      'RETIRE_COOLING_OFF',
      `refusing to retire ${accountId}: its protection was removed at ${tags.get(MARKERS.unprotected)}; it may be retired from ${cooling.toISOString()}`,
      { hint: 'a later run retires it; the wait keeps an unprotect and a retire out of one run' },
    );
  }
  const account = await port.describeAccount(accountId);
  const young = clock.now().getTime() - Date.parse(account.joined) < MIN_CLOSE_AGE_MS;
  if (request.close && account.status === 'ACTIVE' && young) {
    throw new OrgbridgeError(
      'CLOSE_ACCOUNT_TOO_YOUNG',
      `refusing to close ${accountId}: it joined on ${account.joined}, less than 7 days ago`,
    );
  }
  return { tags, account };
}

/**
 * RETIRE_ACCOUNT: move to the morgue and mark it; close it when asked. The handler re-checks
 * what the planner checked (management account, `orgbridge:protect`, age): an event is not
 * trusted to be the product of a correct plan.
 */
export async function retireAccount(
  port: OrganizationsPort,
  request: RetireAccountRequest,
  clock: Clock = systemClock,
): Promise<RetireAccountOutcome> {
  const { accountId } = request;
  const { tags, account } = await checkRetirement(port, request, clock);
  const from = await placeAccount(port, accountId, request.morgueOuId);
  const now = clock.now();
  const marks: Record<string, string> = { [MARKERS.ou]: request.morgueOuId };
  if (!tags.has(MARKERS.retired)) marks[MARKERS.retired] = now.toISOString().slice(0, 10);
  await port.tagResource(accountId, marks);
  if (!request.close || account.status !== 'ACTIVE')
    return { moved: from !== request.morgueOuId, closed: false };
  // Recorded before closing: the tag is how the planner counts closures against the quota.
  await port.tagResource(accountId, { [MARKERS.closed]: now.toISOString() });
  try {
    await port.closeAccount(accountId);
  } catch (e) {
    if (awsErrorName(e) === 'ConstraintViolationException') {
      throw new OrgbridgeError(
        'CLOSE_ACCOUNT_QUOTA',
        `closing ${accountId}: the account-closure quota is used up`,
        {
          source: 'aws',
          hint: 'AWS allows 10 % of member accounts per 30 days; a later run closes it',
          cause: e,
        },
      );
    }
    throw e;
  }
  return { moved: from !== request.morgueOuId, closed: true };
}

/**
 * Find-or-create the OU `name` under `parentId`. Organizations rejects a duplicate name with
 * DuplicateOrganizationalUnitException (the emulator does not), so look first and look again
 * after a conflict.
 */
export async function ensureOrganizationalUnit(
  port: OrganizationsPort,
  parentId: string,
  name: string,
): Promise<string> {
  const find = async () =>
    (await allPages((t) => port.listOrganizationalUnitsForParent(parentId, t)))
      .filter((u) => u.name === name)
      .sort((a, b) => (a.id < b.id ? -1 : 1))[0]?.id;
  const existing = await find();
  if (existing) return existing;
  try {
    return await port.createOrganizationalUnit(parentId, name);
  } catch (e) {
    if (awsErrorName(e) === 'DuplicateOrganizationalUnitException') {
      const raced = await find();
      if (raced) return raced;
    }
    throw e;
  }
}
