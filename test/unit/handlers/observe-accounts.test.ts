import { describe, expect, it } from 'vitest';
import { observeOrganization } from '../../../src/handlers/accounts/observe.js';
import {
  type AccountSummary,
  concurrencyLimit,
  type OrganizationsPort,
} from '../../../src/handlers/accounts/ports.js';
import { later } from '../../support/wait.js';

const account = (id: string): AccountSummary => ({
  id,
  name: `name-${id}`,
  email: `${id}@example.com`,
  status: 'ACTIVE',
  joined: '2026-01-01T00:00:00.000Z',
});

/**
 * Three pages of two accounts, all in the root; records the order of the calls. `failTags`
 * makes that account's tag read fail.
 */
function pagedPort(options: { failTags?: string; failPage?: number } = {}) {
  const calls: string[] = [];
  const pages = [
    [account('111111111113'), account('111111111111')],
    [account('111111111112'), account('111111111114')],
    [account('111111111115'), account('111111111116')],
  ];
  const port = {
    managementAccountId: async () => '111111111111',
    rootId: async () => 'r-root',
    listAccounts: (token?: string) => {
      const i = token === undefined ? 0 : Number(token);
      calls.push(`page ${i}`);
      return later(10, () => {
        if (options.failPage === i) throw new Error(`page ${i} failed`);
        return { items: pages[i] ?? [], ...(i + 1 < pages.length ? { nextToken: String(i + 1) } : {}) };
      });
    },
    listOrganizationalUnitsForParent: async () => ({ items: [] }),
    listAccountsForParent: async () => ({ items: pages.flat() }),
    listTags: (id: string) => {
      calls.push(`tags ${id}`);
      return later(1, () => {
        if (options.failTags === id) throw new Error(`tags of ${id} failed`);
        return { items: [{ key: 'id', value: id }] };
      });
    },
  } as Partial<OrganizationsPort> as OrganizationsPort;
  return { port, calls };
}

describe('observeOrganization', () => {
  it("reads each page's tags while the next page is listed, and answers in account order", async () => {
    const { port, calls } = pagedPort();
    const observed = await observeOrganization(port, { tagConcurrency: 2 });
    // The first page's tags are read before the last page is asked for.
    expect(calls.indexOf('tags 111111111113')).toBeLessThan(calls.indexOf('page 2'));
    expect(observed.accounts.map((a) => [a.id, a.tags.id])).toEqual(
      ['111111111111', '111111111112', '111111111113', '111111111114', '111111111115', '111111111116'].map(
        (id) => [id, id],
      ),
    );
    expect(calls.filter((c) => c.startsWith('tags'))).toHaveLength(6);
  });

  it('fails with a tag read that failed, and leaves no rejection unhandled when the listing fails too', async () => {
    await expect(observeOrganization(pagedPort({ failTags: '111111111114' }).port)).rejects.toThrow(
      'tags of 111111111114 failed',
    );
    const unhandled: unknown[] = [];
    const record = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', record);
    try {
      await expect(
        observeOrganization(pagedPort({ failTags: '111111111113', failPage: 2 }).port),
      ).rejects.toThrow('page 2 failed');
      await new Promise((r) => setTimeout(r, 30));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('concurrencyLimit', () => {
  it('runs at most `limit` tasks at once, in the order given, and goes on after a failure', async () => {
    const limit = concurrencyLimit(2);
    let active = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (i === 1) throw new Error('task 1 failed');
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => limit(task(i))));
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([
      0,
      'failed',
      2,
      3,
      4,
    ]);
  });
});
