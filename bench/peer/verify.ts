/**
 * Correctness of the peer benchmark: after each phase the organization a tool left in its
 * emulator is read back (with its own clients, outside the recorded calls) and compared with
 * the organization both tools were asked to build, and with the other tool's result. A tool that
 * is fast because it did less fails here.
 */

import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  DescribePolicyCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTagsForResourceCommand,
  ListTargetsForPolicyCommand,
  type PolicyType,
} from '@aws-sdk/client-organizations';
import type { Client } from '../../src/aws/index.js';
import type { BenchOrg } from './org.js';

/** An organization as read back, normalised so that both tools' results compare equal. */
export interface OrgSnapshot {
  /** Every OU path under the root, sorted. */
  readonly ous: readonly string[];
  /** Per account name: OU path ('' for the root) and tags, orgbridge's own markers left out. */
  readonly accounts: Readonly<Record<string, { ou: string; email: string; tags: Record<string, string> }>>;
  /** Per policy ("type name", tool prefixes removed): attached targets (OU paths) and content. */
  readonly policies: Readonly<Record<string, { targets: string[]; content: unknown }>>;
}

async function pages<T>(fetch: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const all: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetch(token);
    all.push(...page.items);
    token = page.next;
  } while (token);
  return all;
}

/** orgbridge names its policies `orgbridge-<type>-<file name>`; the peer uses the name as given. */
const policyKey = (type: string, name: string) => `${type} ${name.replace(/^orgbridge-(scp|tag)-/, '')}`;

/** Marker tags orgbridge keeps on accounts it manages (docs/plan.md); not part of the org's tags. */
const isMarker = (key: string) => key.startsWith('orgbridge:');

export async function snapshotOrganization(org: Client<OrganizationsClient>): Promise<OrgSnapshot> {
  const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id as string;
  const pathOf = new Map<string, string>([[rootId, '']]);
  const accounts: Record<string, { ou: string; email: string; tags: Record<string, string> }> = {};
  const queue = [rootId];
  while (queue.length) {
    const parent = queue.shift() as string;
    const parentPath = pathOf.get(parent) as string;
    const children = await pages(async (NextToken) => {
      const out = await org.send(
        new ListOrganizationalUnitsForParentCommand({ ParentId: parent, NextToken }),
      );
      return { items: out.OrganizationalUnits ?? [], next: out.NextToken };
    });
    for (const ou of children) {
      pathOf.set(ou.Id as string, parentPath ? `${parentPath}/${ou.Name}` : (ou.Name as string));
      queue.push(ou.Id as string);
    }
    const members = await pages(async (NextToken) => {
      const out = await org.send(new ListAccountsForParentCommand({ ParentId: parent, NextToken }));
      return { items: out.Accounts ?? [], next: out.NextToken };
    });
    for (const a of members) {
      if (a.Status !== 'ACTIVE') continue;
      const tags = await pages(async (NextToken) => {
        const out = await org.send(new ListTagsForResourceCommand({ ResourceId: a.Id, NextToken }));
        return { items: out.Tags ?? [], next: out.NextToken };
      });
      accounts[a.Name as string] = {
        ou: parentPath,
        email: a.Email as string,
        tags: Object.fromEntries(
          tags.filter((t) => !isMarker(t.Key as string)).map((t) => [t.Key as string, t.Value as string]),
        ),
      };
    }
  }
  const policies: Record<string, { targets: string[]; content: unknown }> = {};
  for (const type of ['SERVICE_CONTROL_POLICY', 'TAG_POLICY'] as PolicyType[]) {
    const listed = await pages(async (NextToken) => {
      const out = await org.send(new ListPoliciesCommand({ Filter: type, NextToken }));
      return { items: out.Policies ?? [], next: out.NextToken };
    });
    for (const p of listed) {
      const targets = await pages(async (NextToken) => {
        const out = await org.send(new ListTargetsForPolicyCommand({ PolicyId: p.Id, NextToken }));
        return { items: out.Targets ?? [], next: out.NextToken };
      });
      const ouTargets = targets
        .map((t) => (t.Type === 'ACCOUNT' ? `account ${t.Name}` : pathOf.get(t.TargetId as string)))
        .filter((t): t is string => t !== undefined)
        .sort();
      // Policies attached nowhere (left over, or AWS-managed and detached) are not part of the org.
      if (!ouTargets.length) continue;
      const described = await org.send(new DescribePolicyCommand({ PolicyId: p.Id }));
      const text = described.Policy?.Content ?? '';
      let content: unknown = text;
      try {
        content = JSON.parse(text);
      } catch {
        // Kept as text: a difference in content still shows.
      }
      policies[policyKey(type, p.Name as string)] = { targets: ouTargets, content };
    }
  }
  return { ous: [...pathOf.values()].filter(Boolean).sort(), accounts, policies };
}

/**
 * What the benchmark checks against `want` (the organization asked for): every account in its OU
 * with exactly its tags, every OU, every SCP and tag policy attached where asked with the content
 * asked. AWS-managed FullAWSAccess is compared between the tools, not with `want`.
 */
export function differencesFromWanted(got: OrgSnapshot, want: BenchOrg): string[] {
  const out: string[] = [];
  const mgmt = got.accounts[want.management.name];
  if (!mgmt) out.push(`management account ${want.management.name} missing`);
  for (const a of want.accounts) {
    const seen = got.accounts[a.name];
    if (!seen) {
      out.push(`account ${a.name} missing`);
      continue;
    }
    const ou = `Internal/${a.ou}`;
    if (seen.ou !== ou) out.push(`account ${a.name} in '${seen.ou}', want '${ou}'`);
    if (seen.email !== a.email) out.push(`account ${a.name} email ${seen.email}, want ${a.email}`);
    if (JSON.stringify(sortKeys(seen.tags)) !== JSON.stringify(sortKeys(a.tags)))
      out.push(`account ${a.name} tags ${JSON.stringify(seen.tags)}, want ${JSON.stringify(a.tags)}`);
  }
  const extra = Object.keys(got.accounts).length - want.accounts.length - 1;
  if (extra > 0) out.push(`${extra} account(s) more than asked for`);
  for (const p of want.policies) {
    const seen = got.policies[policyKey(p.type, p.name)];
    if (!seen) out.push(`${p.type} ${p.name} missing or attached nowhere`);
    else {
      if (!seen.targets.includes(p.target)) out.push(`${p.type} ${p.name} not attached to ${p.target}`);
      if (JSON.stringify(seen.content) !== JSON.stringify(p.content))
        out.push(`${p.type} ${p.name} content differs`);
    }
  }
  return out;
}

/** Differences between the two tools' organizations (ids differ by nature and are not compared). */
export function differencesBetween(
  a: OrgSnapshot,
  b: OrgSnapshot,
  names: readonly [string, string],
): string[] {
  const out: string[] = [];
  const cmp = (what: string, x: unknown, y: unknown) => {
    const sx = JSON.stringify(sortKeys(x));
    const sy = JSON.stringify(sortKeys(y));
    if (sx !== sy) out.push(`${what}: ${names[0]} ${sx.slice(0, 200)} / ${names[1]} ${sy.slice(0, 200)}`);
  };
  cmp('OUs', a.ous, b.ous);
  for (const name of new Set([...Object.keys(a.accounts), ...Object.keys(b.accounts)]))
    cmp(`account ${name}`, a.accounts[name], b.accounts[name]);
  for (const key of new Set([...Object.keys(a.policies), ...Object.keys(b.policies)]))
    cmp(`policy ${key}`, a.policies[key], b.policies[key]);
  return out;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  return value;
}
