import * as z from 'zod';
import {
  compareText,
  type ObservedAccount,
  type ObservedOrganization,
  ObservedOrganizationSchema,
} from '../plan/observed.js';

/**
 * One part of a chunked ACCOUNTS_LISTED reply. An EventBridge entry (and an SQS message) is at
 * most 256 KB, and 10,000 accounts with their tags weigh ~3 MB, so the listing is cut into parts
 * that each carry the OU map and a slice of the accounts; the receiver collects `parts` parts
 * with the same nonce (see docs/plan.md, "Observing at scale").
 */
export const ObservedOrganizationPartSchema = ObservedOrganizationSchema.extend({
  part: z.number().int().min(1),
  parts: z.number().int().min(1),
});
export type ObservedOrganizationPart = z.infer<typeof ObservedOrganizationPartSchema>;

/** Room left for the event envelope, nonce and the rest of the detail below the 256 KB limit. */
export const DEFAULT_PART_BYTES = 200_000;

const utf8Length = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** Cuts an observed organization into parts of at most `maxBytes` of JSON each. */
export function splitObservedOrganization(
  org: ObservedOrganization,
  maxBytes: number = DEFAULT_PART_BYTES,
): ObservedOrganizationPart[] {
  const head = { rootId: org.rootId, managementAccountId: org.managementAccountId, ous: org.ous };
  // part/parts numbers and array brackets: generous fixed allowance.
  const fixed = utf8Length(head) + 64;
  if (fixed >= maxBytes) {
    throw new Error(`the OU map alone (${fixed} bytes) exceeds the reply part size ${maxBytes}`);
  }
  const slices: ObservedAccount[][] = [[]];
  let size = fixed;
  for (const account of org.accounts) {
    const weight = utf8Length(account) + 1;
    const current = slices[slices.length - 1] as ObservedAccount[];
    if (current.length > 0 && size + weight > maxBytes) {
      slices.push([account]);
      size = fixed + weight;
    } else {
      current.push(account);
      size += weight;
    }
  }
  return slices.map((accounts, i) => ({ ...head, accounts, part: i + 1, parts: slices.length }));
}

/** Reassembles parts (in any order, duplicates tolerated); throws when one is missing. */
export function joinObservedOrganization(parts: readonly ObservedOrganizationPart[]): ObservedOrganization {
  const first = parts[0];
  if (!first) throw new Error('no ACCOUNTS_LISTED part received');
  const byNumber = new Map<number, ObservedOrganizationPart>();
  for (const p of parts) byNumber.set(p.part, p);
  const missing: number[] = [];
  for (let i = 1; i <= first.parts; i++) if (!byNumber.has(i)) missing.push(i);
  if (missing.length)
    throw new Error(`ACCOUNTS_LISTED parts missing: ${missing.join(', ')} of ${first.parts}`);
  const accounts: ObservedAccount[] = [];
  for (let i = 1; i <= first.parts; i++)
    accounts.push(...(byNumber.get(i) as ObservedOrganizationPart).accounts);
  accounts.sort((a, b) => compareText(a.id, b.id));
  return { rootId: first.rootId, managementAccountId: first.managementAccountId, ous: first.ous, accounts };
}
