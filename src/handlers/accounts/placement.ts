import { RequestRejected } from '../types.js';
import { allPages, awsErrorName, type OrganizationsPort } from './ports.js';

/**
 * Where the management account lets orgbridge put things, whatever the event asks. The cicd
 * account resolves OU paths to ids and could, if compromised, name any OU: the root (no SCPs of
 * the organization's OUs apply there), a security OU, the morgue. These checks hold the writes
 * to the DSL's layout: accounts live in `root_ou` or below it, retired accounts in `morgue_ou`,
 * and only those two OUs are ever created directly under the root.
 */
export interface PlacementRules {
  /** `organization.root_ou`: the OU under the root that holds every scope OU. */
  readonly rootOu: string;
  /** `organization.morgue_ou`: the OU under the root for retired accounts. */
  readonly morgueOu: string;
}

/** Organizations allows 5 levels of OUs under the root; a longer walk means a cycle or a bug. */
const MAX_WALK = 8;

export interface PlacementGuard {
  /** `ouId` is `root_ou` or an OU below it (never the root, never outside). */
  assertAccountDestination(ouId: string, doing: string): Promise<void>;
  /** `ouId` is the `morgue_ou` directly under the root. */
  assertMorgue(ouId: string, doing: string): Promise<void>;
  /** An OU `name` may be created under `parentId`. */
  assertOuParent(parentId: string, name: string): Promise<void>;
  /** `accountId` is not the management account (never moved, tagged or retired). */
  assertNotManagement(accountId: string, doing: string): Promise<void>;
}

/** One guard per request: it caches what it looks up for that request only. */
export function placementGuard(port: OrganizationsPort, rules: PlacementRules): PlacementGuard {
  const topLevel = new Map<string, Promise<Set<string>>>();
  const topLevelIds = (name: string): Promise<Set<string>> => {
    let ids = topLevel.get(name);
    if (!ids) {
      ids = port.rootId().then(async (rootId) => {
        const units = await allPages((t) => port.listOrganizationalUnitsForParent(rootId, t));
        return new Set(units.filter((u) => u.name === name).map((u) => u.id));
      });
      topLevel.set(name, ids);
    }
    return ids;
  };

  const parentOf = async (id: string, doing: string): Promise<string> => {
    try {
      return await port.parentOf(id);
    } catch (e) {
      const name = awsErrorName(e);
      if (name === 'ChildNotFoundException' || name === 'OrganizationalUnitNotFoundException') {
        throw new RequestRejected('ACCOUNT_OU_NOT_FOUND', `${doing}: OU ${id} does not exist`);
      }
      throw e;
    }
  };

  /** Whether `ouId` is `root_ou` or lies below it. */
  const insideRootOu = async (ouId: string, doing: string): Promise<boolean> => {
    const [rootId, allowed] = await Promise.all([port.rootId(), topLevelIds(rules.rootOu)]);
    let current = ouId;
    for (let i = 0; i < MAX_WALK; i++) {
      if (current === rootId) return false;
      if (allowed.has(current)) return true;
      current = await parentOf(current, doing);
    }
    return false;
  };

  return {
    async assertAccountDestination(ouId, doing) {
      if (ouId === (await port.rootId())) {
        throw new RequestRejected(
          'ACCOUNT_OU_NOT_ALLOWED',
          `${doing}: refusing to place an account in the organization root ${ouId}; accounts go to '${rules.rootOu}' or below it`,
        );
      }
      if (!(await insideRootOu(ouId, doing))) {
        throw new RequestRejected(
          'ACCOUNT_OU_NOT_ALLOWED',
          `${doing}: OU ${ouId} is outside '${rules.rootOu}'; the management account places accounts only in '${rules.rootOu}' or below it`,
        );
      }
    },
    async assertMorgue(ouId, doing) {
      if (!(await topLevelIds(rules.morgueOu)).has(ouId)) {
        throw new RequestRejected(
          'MORGUE_OU_NOT_ALLOWED',
          `${doing}: OU ${ouId} is not the morgue OU '${rules.morgueOu}' under the root`,
        );
      }
    },
    async assertOuParent(parentId, name) {
      const doing = `creating OU '${name}' under ${parentId}`;
      if (parentId === (await port.rootId())) {
        if (name === rules.rootOu || name === rules.morgueOu) return;
        throw new RequestRejected(
          'OU_PARENT_NOT_ALLOWED',
          `${doing}: only '${rules.rootOu}' and '${rules.morgueOu}' are created directly under the root`,
        );
      }
      if (!(await insideRootOu(parentId, doing))) {
        throw new RequestRejected(
          'OU_PARENT_NOT_ALLOWED',
          `${doing}: ${parentId} is outside '${rules.rootOu}'; OUs are created only in '${rules.rootOu}' or below it`,
        );
      }
    },
    async assertNotManagement(accountId, doing) {
      if (accountId === (await port.managementAccountId())) {
        throw new RequestRejected(
          'MANAGEMENT_ACCOUNT_NOT_ALLOWED',
          `${doing}: ${accountId} is the management account, which orgbridge never moves, tags or retires`,
        );
      }
    },
  };
}
