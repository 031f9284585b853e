import { MARKERS } from './markers.js';
import type { AccountPlan } from './model.js';
import { compareText, type ObservedAccount, type ObservedOrganization } from './observed.js';

export interface SimulationOptions {
  /** Id generator for new OUs and accounts; deterministic in tests. */
  readonly newOuId: (path: string) => string;
  readonly newAccountId: (key: string) => string;
}

/**
 * What the organization looks like after the handlers carry out `plan`: the same effects as
 * src/handlers/accounts (the move and create handlers record `orgbridge:ou`, retire writes its
 * tags, close suspends). Pure: used to show a plan's outcome and to prove that re-planning after
 * an apply finds nothing left to do.
 */
export function simulatePlan(
  observed: ObservedOrganization,
  plan: AccountPlan,
  options: SimulationOptions,
): ObservedOrganization {
  const ous: Record<string, string> = { ...observed.ous };
  const accounts = new Map<string, ObservedAccount>(
    observed.accounts.map((a) => [a.id, { ...a, tags: { ...a.tags } }]),
  );
  const ouId = (path: string): string => {
    const id = ous[path];
    if (id === undefined) throw new Error(`simulatePlan: OU '${path}' used before it was created`);
    return id;
  };
  const account = (id: string): ObservedAccount => {
    const a = accounts.get(id);
    if (!a) throw new Error(`simulatePlan: account ${id} is not in the organization`);
    return a;
  };
  for (const action of plan.actions) {
    switch (action.action) {
      case 'create-ou':
        ouId(action.parent);
        ous[action.path] = options.newOuId(action.path);
        break;
      case 'adopt-account':
        break;
      case 'create-account': {
        const id = options.newAccountId(action.key);
        accounts.set(id, {
          id,
          name: action.name,
          email: action.email,
          status: 'ACTIVE',
          ou: action.ou,
          tags: { ...action.tags, [MARKERS.ou]: ouId(action.ou) },
          joined: plan.now,
        });
        break;
      }
      case 'move-account': {
        const a = account(action.accountId);
        a.ou = action.to;
        a.tags[MARKERS.ou] = ouId(action.to);
        break;
      }
      case 'tag-account': {
        const a = account(action.accountId);
        Object.assign(a.tags, action.set);
        for (const k of action.remove) delete a.tags[k];
        // As the handler does: unprotecting starts the cooling-off, protecting ends it.
        if (action.remove.includes(MARKERS.protect)) a.tags[MARKERS.unprotected] = plan.now;
        if (action.set[MARKERS.protect] !== undefined) delete a.tags[MARKERS.unprotected];
        break;
      }
      case 'retire-account': {
        const a = account(action.accountId);
        a.ou = action.to;
        Object.assign(a.tags, action.set, { [MARKERS.ou]: ouId(action.to) });
        break;
      }
      case 'close-account': {
        const a = account(action.accountId);
        a.tags[MARKERS.closed] = plan.now;
        a.status = 'SUSPENDED';
        break;
      }
    }
  }
  return {
    rootId: observed.rootId,
    managementAccountId: observed.managementAccountId,
    ous,
    accounts: [...accounts.values()].sort((a, b) => compareText(a.id, b.id)),
  };
}
