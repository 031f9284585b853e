import { compareText, type ObservedAccount, type ObservedOrganization } from '../../plan/observed.js';
import {
  allPages,
  concurrencyLimit,
  mapWithConcurrency,
  type OrganizationsPort,
  type Page,
} from './ports.js';

export interface ObserveOptions {
  /** ListTagsForResource calls in flight; throttling beyond that is the retry strategy's job. */
  readonly tagConcurrency?: number;
  /** OU listing calls in flight while walking the tree. */
  readonly treeConcurrency?: number;
}

/**
 * One snapshot of the organization (the LIST_ACCOUNTS answer). Calls, for N accounts in K OUs:
 * ListAccounts N/20 pages (the authoritative set), ListOrganizationalUnitsForParent and
 * ListAccountsForParent once per parent (placement: ~K + N/20 calls, far fewer than one
 * ListParents per account), ListTagsForResource once per account. An account moved while the
 * tree is walked is missing from the placement; only such accounts get a ListParents call.
 */
export async function observeOrganization(
  port: OrganizationsPort,
  options: ObserveOptions = {},
): Promise<ObservedOrganization> {
  const tagConcurrency = options.tagConcurrency ?? 8;
  const treeConcurrency = options.treeConcurrency ?? 4;
  // Three chains of round trips run side by side: the account list with each account's tags,
  // the OU tree and then each parent's accounts, and the organization's own facts. Only
  // assembling the answer needs all of them. Each page's accounts have their tags read while the
  // next page is listed: ListAccounts returns at most 20 accounts a page, so waiting for the
  // whole list first would put N/20 round trips before the first of N tag reads.
  const tagLimit = concurrencyLimit(tagConcurrency);
  const tagReads = new Map<string, Promise<{ key: string; value: string }[]>>();
  const listed = allPages(
    (t) => port.listAccounts(t),
    (page) => {
      for (const a of page) {
        if (tagReads.has(a.id)) continue;
        const read = tagLimit(() => allPages((t) => port.listTags(a.id, t)));
        // Awaited once the listing ends; until then a failed read must not be an unhandled rejection.
        read.catch(() => {});
        tagReads.set(a.id, read);
      }
    },
  ).then((all) => [...all].sort((a, b) => compareText(a.id, b.id)));
  const tagged = listed.then((all) =>
    Promise.all(
      all.map((a) => tagReads.get(a.id) ?? Promise.reject(new Error(`internal: no tag read for ${a.id}`))),
    ),
  );
  const rootIdRead = port.rootId();
  const tree = rootIdRead.then((rootId) =>
    walkOuTree((id, t) => port.listOrganizationalUnitsForParent(id, t), rootId, treeConcurrency),
  );
  const placed = tree.then(({ pathById }) =>
    mapWithConcurrency([...pathById], treeConcurrency, async ([parentId, path]) => {
      const inParent = await allPages((t) => port.listAccountsForParent(parentId, t));
      return inParent.map((a) => [a.id, path] as const);
    }),
  );
  const [managementAccountId, rootId, accounts, tags, { ous, pathById }, placements] = await Promise.all([
    port.managementAccountId(),
    rootIdRead,
    listed,
    tagged,
    tree,
    placed,
  ]);
  const placement = new Map<string, string>(placements.flat());
  const observed = await mapWithConcurrency(
    accounts.map((a, i) => ({ a, tags: tags[i] ?? [] })),
    tagConcurrency,
    async ({ a, tags: accountTags }): Promise<ObservedAccount> => {
      // An account moved while the tree was walked is in no parent's list: asked for its parent.
      let ou = placement.get(a.id);
      if (ou === undefined) ou = pathById.get(await port.parentOf(a.id)) ?? '';
      return {
        id: a.id,
        name: a.name,
        email: a.email,
        status: a.status,
        ou,
        tags: Object.fromEntries(
          accountTags.map((t) => [t.key, t.value]).sort(([x], [y]) => compareText(x ?? '', y ?? '')),
        ),
        joined: a.joined,
      };
    },
  );
  return { rootId, managementAccountId, ous, accounts: observed };
}

/** One page of an OU's child OUs (ListOrganizationalUnitsForParent). */
type ChildOus = (parentId: string, token?: string) => Promise<Page<{ id: string; name: string }>>;

/**
 * The OU tree, level by level: path -> id and id -> path. Sorted by id so duplicate names (which
 * the emulator allows; Organizations refuses them) resolve the same way each run.
 */
export async function walkOuTree(
  children: ChildOus,
  rootId: string,
  concurrency: number,
): Promise<{ ous: Record<string, string>; pathById: Map<string, string> }> {
  const ous: Record<string, string> = { '': rootId };
  const pathById = new Map<string, string>([[rootId, '']]);
  let level: { id: string; path: string }[] = [{ id: rootId, path: '' }];
  while (level.length) {
    const found = await mapWithConcurrency(level, concurrency, async (parent) =>
      (await allPages((t) => children(parent.id, t)))
        .sort((a, b) => compareText(a.id, b.id))
        .map((u) => ({ id: u.id, path: parent.path ? `${parent.path}/${u.name}` : u.name })),
    );
    level = [];
    for (const unit of found.flat()) {
      if (ous[unit.path] === undefined) ous[unit.path] = unit.id;
      pathById.set(unit.id, unit.path);
      level.push(unit);
    }
  }
  return { ous, pathById };
}
