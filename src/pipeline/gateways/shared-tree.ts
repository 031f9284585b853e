import {
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { Client } from '../../aws/clients.js';

/**
 * An Organizations client whose listings of the OU tree are made once. `run --action sync` reads
 * the accounts and the policies at the same time, and both walk the tree (ListRoots, then
 * ListOrganizationalUnitsForParent under every parent): through this client the second walk is
 * answered with the first one's pages, so the tree costs one walk of the Organizations rate
 * instead of two (8 calls fewer for a root and 6 OUs), and both halves see the same tree. Every
 * other call goes to `client` unchanged; a listing that failed is forgotten, so the next one to
 * ask calls again. It is one reading of the organization: anything that reads after a change
 * uses the plain client.
 */
export function sharingTreeListings(client: Client<OrganizationsClient>): Client<OrganizationsClient> {
  const answers = new Map<string, Promise<unknown>>();
  const pass = (command: unknown, options?: unknown) =>
    (client.send as (command: unknown, options?: unknown) => Promise<unknown>).call(client, command, options);
  const send = (command: unknown, options?: unknown): Promise<unknown> => {
    const key = treeListingKey(command);
    if (key === undefined) return pass(command, options);
    let answer = answers.get(key);
    if (!answer) {
      answer = pass(command, options);
      answers.set(key, answer);
      answer.catch(() => answers.delete(key));
    }
    return answer;
  };
  return { send } as Client<OrganizationsClient>;
}

/** The same listing asks with the same key; other calls have none. */
function treeListingKey(command: unknown): string | undefined {
  if (command instanceof ListRootsCommand) {
    const { NextToken, MaxResults } = command.input;
    return JSON.stringify(['ListRoots', NextToken, MaxResults]);
  }
  if (command instanceof ListOrganizationalUnitsForParentCommand) {
    const { ParentId, NextToken, MaxResults } = command.input;
    return JSON.stringify(['ListOrganizationalUnitsForParent', ParentId, NextToken, MaxResults]);
  }
  return undefined;
}
