import {
  type Account,
  CloseAccountCommand,
  CreateAccountCommand,
  type CreateAccountStatus,
  CreateOrganizationalUnitCommand,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListCreateAccountStatusCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  MoveAccountCommand,
  type OrganizationsClient,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-organizations';
import type { Client } from '../../aws/clients.js';
import { AwsOperationError } from '../../errors.js';

/**
 * The narrow port the account handlers use: only the Organizations calls they make, in plain
 * data. Integration tests pass the real client (against the emulator); fault-injection tests
 * wrap it.
 */
export interface AccountSummary {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly status: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
  readonly joined: string;
}

export interface CreationStatus {
  readonly requestId: string;
  readonly accountName: string;
  readonly state: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  readonly accountId?: string;
  readonly failureReason?: string;
  readonly requested: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextToken?: string;
}

export interface OrganizationsPort {
  managementAccountId(): Promise<string>;
  rootId(): Promise<string>;
  listAccounts(nextToken?: string): Promise<Page<AccountSummary>>;
  listAccountsForParent(parentId: string, nextToken?: string): Promise<Page<AccountSummary>>;
  listOrganizationalUnitsForParent(
    parentId: string,
    nextToken?: string,
  ): Promise<Page<{ id: string; name: string }>>;
  /** The parent (root or OU) id of an account or OU. */
  parentOf(childId: string): Promise<string>;
  listTags(resourceId: string, nextToken?: string): Promise<Page<{ key: string; value: string }>>;
  describeAccount(accountId: string): Promise<AccountSummary>;
  createAccount(input: {
    name: string;
    email: string;
    tags: Readonly<Record<string, string>>;
    roleName?: string;
  }): Promise<CreationStatus>;
  describeCreateAccountStatus(requestId: string): Promise<CreationStatus>;
  listCreateAccountStatus(
    states: readonly CreationStatus['state'][],
    nextToken?: string,
  ): Promise<Page<CreationStatus>>;
  moveAccount(accountId: string, sourceParentId: string, destinationParentId: string): Promise<void>;
  tagResource(resourceId: string, tags: Readonly<Record<string, string>>): Promise<void>;
  untagResource(resourceId: string, keys: readonly string[]): Promise<void>;
  createOrganizationalUnit(parentId: string, name: string): Promise<string>;
  closeAccount(accountId: string): Promise<void>;
}

/** Largest page Organizations allows for list calls. */
export const PAGE = 20;

function summary(a: Account): AccountSummary {
  return {
    id: a.Id ?? '',
    name: a.Name ?? '',
    email: a.Email ?? '',
    status: (a.Status as AccountSummary['status'] | undefined) ?? 'ACTIVE',
    joined: (a.JoinedTimestamp ?? new Date(0)).toISOString(),
  };
}

function creation(s: CreateAccountStatus | undefined): CreationStatus {
  if (!s?.Id) throw new Error('Organizations returned no CreateAccountStatus');
  return {
    requestId: s.Id,
    accountName: s.AccountName ?? '',
    state: (s.State as CreationStatus['state'] | undefined) ?? 'IN_PROGRESS',
    requested: (s.RequestedTimestamp ?? new Date(0)).toISOString(),
    ...(s.AccountId ? { accountId: s.AccountId } : {}),
    ...(s.FailureReason ? { failureReason: s.FailureReason } : {}),
  };
}

async function call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new AwsOperationError(doing, e);
  }
}

/** The AWS error name behind an error, looking through AwsOperationError's cause. */
export function awsErrorName(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = e;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if (current.name && current.name !== 'AwsOperationError' && current.name !== 'Error') return current.name;
    current = current.cause;
  }
  return undefined;
}

/** The port over the real SDK client (built by src/aws). */
export function organizationsPort(client: Client<OrganizationsClient>): OrganizationsPort {
  let management: Promise<string> | undefined;
  let root: Promise<string> | undefined;
  return {
    managementAccountId() {
      management ??= call('describing the organization (organizations:DescribeOrganization)', async () => {
        const out = await client.send(new DescribeOrganizationCommand({}));
        const id = out.Organization?.MasterAccountId;
        if (!id) throw new Error('no management account id');
        return id;
      });
      return management;
    },
    rootId() {
      root ??= call('finding the organization root (organizations:ListRoots)', async () => {
        const out = await client.send(new ListRootsCommand({}));
        const id = out.Roots?.[0]?.Id;
        if (!id) throw new Error('the organization has no root');
        return id;
      });
      return root;
    },
    listAccounts: (nextToken) =>
      call('listing accounts (organizations:ListAccounts)', async () => {
        const out = await client.send(new ListAccountsCommand({ MaxResults: PAGE, NextToken: nextToken }));
        return {
          items: (out.Accounts ?? []).map(summary),
          ...(out.NextToken ? { nextToken: out.NextToken } : {}),
        };
      }),
    listAccountsForParent: (parentId, nextToken) =>
      call(`listing accounts in ${parentId} (organizations:ListAccountsForParent)`, async () => {
        const out = await client.send(
          new ListAccountsForParentCommand({ ParentId: parentId, MaxResults: PAGE, NextToken: nextToken }),
        );
        return {
          items: (out.Accounts ?? []).map(summary),
          ...(out.NextToken ? { nextToken: out.NextToken } : {}),
        };
      }),
    listOrganizationalUnitsForParent: (parentId, nextToken) =>
      call(`listing OUs under ${parentId} (organizations:ListOrganizationalUnitsForParent)`, async () => {
        const out = await client.send(
          new ListOrganizationalUnitsForParentCommand({
            ParentId: parentId,
            MaxResults: PAGE,
            NextToken: nextToken,
          }),
        );
        return {
          items: (out.OrganizationalUnits ?? []).map((ou) => ({ id: ou.Id ?? '', name: ou.Name ?? '' })),
          ...(out.NextToken ? { nextToken: out.NextToken } : {}),
        };
      }),
    parentOf: (childId) =>
      call(`finding the parent of ${childId} (organizations:ListParents)`, async () => {
        const out = await client.send(new ListParentsCommand({ ChildId: childId }));
        const id = out.Parents?.[0]?.Id;
        if (!id) throw new Error(`${childId} has no parent`);
        return id;
      }),
    listTags: (resourceId, nextToken) =>
      call(`listing tags of ${resourceId} (organizations:ListTagsForResource)`, async () => {
        const out = await client.send(
          new ListTagsForResourceCommand({ ResourceId: resourceId, NextToken: nextToken }),
        );
        return {
          items: (out.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
          ...(out.NextToken ? { nextToken: out.NextToken } : {}),
        };
      }),
    describeAccount: (accountId) =>
      call(`describing account ${accountId} (organizations:DescribeAccount)`, async () => {
        const out = await client.send(new DescribeAccountCommand({ AccountId: accountId }));
        if (!out.Account) throw new Error(`no account ${accountId}`);
        return summary(out.Account);
      }),
    createAccount: (input) =>
      call(`creating account ${input.name} <${input.email}> (organizations:CreateAccount)`, async () => {
        const out = await client.send(
          new CreateAccountCommand({
            AccountName: input.name,
            Email: input.email,
            ...(input.roleName ? { RoleName: input.roleName } : {}),
            Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
        return creation(out.CreateAccountStatus);
      }),
    describeCreateAccountStatus: (requestId) =>
      call(`reading creation ${requestId} (organizations:DescribeCreateAccountStatus)`, async () => {
        const out = await client.send(
          new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: requestId }),
        );
        return creation(out.CreateAccountStatus);
      }),
    listCreateAccountStatus: (states, nextToken) =>
      call('listing account creations (organizations:ListCreateAccountStatus)', async () => {
        const out = await client.send(
          // No MaxResults: the service picks the page size; moto then pages by 123, which keeps its
          // next-token bug (the token is the page length, not an offset) out of reach below 246.
          new ListCreateAccountStatusCommand({ States: [...states], NextToken: nextToken }),
        );
        return {
          items: (out.CreateAccountStatuses ?? []).map(creation),
          ...(out.NextToken ? { nextToken: out.NextToken } : {}),
        };
      }),
    moveAccount: (accountId, sourceParentId, destinationParentId) =>
      call(`moving account ${accountId} to ${destinationParentId} (organizations:MoveAccount)`, async () => {
        await client.send(
          new MoveAccountCommand({
            AccountId: accountId,
            SourceParentId: sourceParentId,
            DestinationParentId: destinationParentId,
          }),
        );
      }),
    tagResource: (resourceId, tags) =>
      call(`tagging ${resourceId} (organizations:TagResource)`, async () => {
        await client.send(
          new TagResourceCommand({
            ResourceId: resourceId,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      }),
    untagResource: (resourceId, keys) =>
      call(`untagging ${resourceId} (organizations:UntagResource)`, async () => {
        await client.send(new UntagResourceCommand({ ResourceId: resourceId, TagKeys: [...keys] }));
      }),
    createOrganizationalUnit: (parentId, name) =>
      call(`creating OU ${name} under ${parentId} (organizations:CreateOrganizationalUnit)`, async () => {
        const out = await client.send(
          new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name }),
        );
        const id = out.OrganizationalUnit?.Id;
        if (!id) throw new Error('no OU id returned');
        return id;
      }),
    closeAccount: (accountId) =>
      call(`closing account ${accountId} (organizations:CloseAccount)`, async () => {
        await client.send(new CloseAccountCommand({ AccountId: accountId }));
      }),
  };
}

/**
 * Every item of a paginated call. Stops if a token repeats: moto's ListCreateAccountStatus
 * returns the page size as the next token, which would loop forever past two pages.
 */
export async function allPages<T>(
  fetch: (nextToken?: string) => Promise<Page<T>>,
  onPage?: (items: readonly T[]) => void,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let token: string | undefined;
  do {
    const page = await fetch(token);
    items.push(...page.items);
    onPage?.(page.items);
    token = page.nextToken;
    if (token !== undefined && seen.has(token)) break;
    if (token !== undefined) seen.add(token);
  } while (token !== undefined);
  return items;
}

/**
 * Runs the tasks given to it with at most `limit` in flight, in the order given: a pool that
 * work can join while it is being produced (each page of a listing), where mapWithConcurrency
 * needs the whole list first.
 */
export function concurrencyLimit(limit: number): <R>(task: () => Promise<R>) => Promise<R> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = (): void => {
    active--;
    waiting.shift()?.();
  };
  return async <R>(task: () => Promise<R>): Promise<R> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
