import {
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { describe, expect, it } from 'vitest';
import { sharingTreeListings } from '../../../src/pipeline/gateways/shared-tree.js';

/** A client that answers every call with its own number and keeps what it was sent. */
function countingClient(fail?: (command: unknown) => boolean) {
  const sent: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: object }) => {
      sent.push(`${command.constructor.name} ${JSON.stringify(command.input)}`);
      if (fail?.(command)) throw new Error('throttled');
      return { call: sent.length };
    },
  };
  return { sent, client };
}

describe('sharingTreeListings: one walk of the OU tree for two readers', () => {
  it('answers a repeated root or OU listing with the first answer, and nothing else', async () => {
    const { sent, client } = countingClient();
    const shared = sharingTreeListings(client as never);
    const send = (command: unknown) => (shared.send as (c: unknown) => Promise<unknown>)(command);
    const ous = (parent: string, token?: string) =>
      new ListOrganizationalUnitsForParentCommand({ ParentId: parent, MaxResults: 20, NextToken: token });

    const [rootA, rootB] = await Promise.all([
      send(new ListRootsCommand({})),
      send(new ListRootsCommand({})),
    ]);
    expect(rootB).toBe(rootA);
    expect(await send(ous('r-1'))).toBe(await send(ous('r-1')));
    // Another parent, another page, another page size: each its own listing.
    await send(ous('ou-1'));
    await send(ous('r-1', 'next'));
    await send(new ListOrganizationalUnitsForParentCommand({ ParentId: 'r-1', MaxResults: 5 }));
    // Anything else is sent every time.
    await send(new ListAccountsCommand({}));
    await send(new ListAccountsCommand({}));
    expect(sent.map((s) => s.split(' ')[0])).toEqual([
      'ListRootsCommand',
      'ListOrganizationalUnitsForParentCommand',
      'ListOrganizationalUnitsForParentCommand',
      'ListOrganizationalUnitsForParentCommand',
      'ListOrganizationalUnitsForParentCommand',
      'ListAccountsCommand',
      'ListAccountsCommand',
    ]);
  });

  it('forgets a listing that failed, so the next reader asks again', async () => {
    let failing = true;
    const { sent, client } = countingClient(() => failing);
    const shared = sharingTreeListings(client as never);
    const send = (command: unknown) => (shared.send as (c: unknown) => Promise<unknown>)(command);
    await expect(send(new ListRootsCommand({}))).rejects.toThrow('throttled');
    failing = false;
    await expect(send(new ListRootsCommand({}))).resolves.toEqual({ call: 2 });
    expect(sent).toHaveLength(2);
  });
});
