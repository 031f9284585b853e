import { compareText, type ObservedAccount, type ObservedOrganization } from '../../plan/observed.js';
import { type AccountSummary, allPages, mapWithConcurrency, type OrganizationsPort } from './ports.js';

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
  const [managementAccountId, rootId] = await Promise.all([port.managementAccountId(), port.rootId()]);

  // Walk the OU tree level by level: path -> id.
  const ous: Record<string, string> = { '': rootId };
  const pathById = new Map<string, string>([[rootId, '']]);
  let level: { id: string; path: string }[] = [{ id: rootId, path: '' }];
  while (level.length) {
    const children = await mapWithConcurrency(level, treeConcurrency, async (parent) => {
      const units = await allPages((t) => port.listOrganizationalUnitsForParent(parent.id, t));
      // Sorted by id so duplicate names (which the emulator allows) resolve the same way each run.
      return units
        .sort((a, b) => compareText(a.id, b.id))
        .map((u) => ({ id: u.id, path: parent.path ? `${parent.path}/${u.name}` : u.name }));
    });
    level = [];
    for (const unit of children.flat()) {
      if (ous[unit.path] === undefined) ous[unit.path] = unit.id;
      pathById.set(unit.id, unit.path);
      level.push(unit);
    }
  }

  const [accounts, placements] = await Promise.all([
    allPages((t) => port.listAccounts(t)),
    mapWithConcurrency([...pathById], treeConcurrency, async ([parentId, path]) => {
      const inParent = await allPages((t) => port.listAccountsForParent(parentId, t));
      return inParent.map((a) => [a.id, path] as const);
    }),
  ]);
  const placement = new Map<string, string>(placements.flat());

  const observed = await mapWithConcurrency(
    [...accounts].sort((a, b) => compareText(a.id, b.id)),
    tagConcurrency,
    async (a: AccountSummary): Promise<ObservedAccount> => {
      let ou = placement.get(a.id);
      if (ou === undefined) ou = pathById.get(await port.parentOf(a.id)) ?? '';
      const tags = await allPages((t) => port.listTags(a.id, t));
      return {
        id: a.id,
        name: a.name,
        email: a.email,
        status: a.status,
        ou,
        tags: Object.fromEntries(
          tags.map((t) => [t.key, t.value]).sort(([x], [y]) => compareText(x ?? '', y ?? '')),
        ),
        joined: a.joined,
      };
    },
  );
  return { rootId, managementAccountId, ous, accounts: observed };
}
