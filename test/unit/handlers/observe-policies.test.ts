import { describe, expect, it } from 'vitest';
import type { OrganizationsPolicyPort } from '../../../src/handlers/policies/ports.js';
import { observePolicies } from '../../../src/handlers/policies/sync.js';
import { later } from '../../support/wait.js';

/** A port whose OU walk and policy listing run side by side, each able to fail. */
function port(fail: { tree?: boolean; policies?: boolean }): OrganizationsPolicyPort {
  return {
    root: async () => ({ id: 'r-root', enabledTypes: ['scp'] }),
    listOrganizationalUnits: (parentId) =>
      later(20, () => {
        if (fail.tree) throw new Error('the OU walk failed');
        return { items: parentId === 'r-root' ? [{ id: 'ou-a', name: 'A' }] : [] };
      }),
    listPolicies: () =>
      later(1, () => {
        if (fail.policies) throw new Error('listing policies failed');
        return { items: [{ id: 'p-1', name: 'team', awsManaged: false }] };
      }),
    listTargetsForPolicy: async () => ({ items: [{ id: 'ou-a', type: 'ORGANIZATIONAL_UNIT' }] }),
  } as Partial<OrganizationsPolicyPort> as OrganizationsPolicyPort;
}

describe('observePolicies', () => {
  it('reads the OU tree and the policies side by side, and resolves targets through the tree', async () => {
    const observed = await observePolicies(port({}), ['scp']);
    expect(observed.ous).toEqual({ '': 'r-root', A: 'ou-a' });
    expect(observed.policies.map((p) => [p.name, p.targets])).toEqual([['team', ['A']]]);
  });

  it('fails with the first error and leaves no rejection unhandled when both reads fail', async () => {
    const unhandled: unknown[] = [];
    const record = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', record);
    try {
      await expect(observePolicies(port({ tree: true, policies: true }), ['scp'])).rejects.toThrow(
        'listing policies failed',
      );
      // Let the OU walk fail after the function has left.
      await new Promise((r) => setTimeout(r, 60));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
