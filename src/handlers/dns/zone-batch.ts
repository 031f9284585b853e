import { isWithinDomain } from './authorize.js';
import type { HostedZone, RecordSet, Route53Port } from './ports.js';
import type { TokenBucket } from './rate-limit.js';

/**
 * What lets ENSURE_ACCOUNT_ZONE requests that one DNS handler instance works on together (the
 * records of one SQS batch run side by side) share their Route 53 calls, under Route 53's 5
 * requests per second: a new account's zone then costs about one call (its CreateHostedZone)
 * instead of three. Route 53 is the DNS account's bottleneck: 5,000 accounts were 15,000 calls,
 * 50 minutes at that rate.
 *
 * - One listing of the parent zone and every zone under it serves every request that started
 *   before that listing did. ListHostedZonesByName sorts names with their labels reversed
 *   (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListHostedZonesByName.html), so
 *   the parent and the zones under it come one after the other from the parent's name on, 100 an
 *   answer. A request never uses a listing that started before it: a zone deleted or made by hand
 *   a minute ago is seen, as a lookup of its own would have seen it.
 * - The NS delegations in the parent zone wait until every request working beside them has
 *   reached its own (or failed before it), and go in one ChangeResourceRecordSets (UPSERTs, at
 *   most DELEGATIONS_PER_CALL a call). A change batch is all or nothing: when one fails, each of
 *   its delegations is sent again on its own, so one bad record fails only its own request.
 */
export interface AccountZoneBatch {
  /** The zones named `parent` or under it, by name (public zones only), listed after this call. */
  zonesUnder(parent: string): Promise<ReadonlyMap<string, HostedZone>>;
  /** A request's place among those whose delegations go together; join before the listing. */
  join(): DelegationTurn;
}

export interface DelegationTurn {
  /** UPSERTs `record` in the zone `zoneId`, in one call with the other turns' records. */
  delegate(zoneId: string, record: RecordSet): Promise<void>;
  /** No delegation from this turn (it failed or had none); harmless after `delegate`. */
  leave(): void;
}

/**
 * ChangeResourceRecordSets takes at most 1,000 ResourceRecord elements and 32,000 characters of
 * values, an UPSERT's counted twice
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests-changeresourcerecordsets);
 * an NS delegation holds four name servers of about 25 characters: 50 are 400 elements and about
 * 10,000 characters.
 */
export const DELEGATIONS_PER_CALL = 50;

export function accountZoneBatch(route53: Route53Port, bucket: TokenBucket): AccountZoneBatch {
  const listings = new Map<string, () => Promise<ReadonlyMap<string, HostedZone>>>();
  /** Turns that have neither delegated nor left: the delegations wait for them. */
  const active = new Set<object>();
  const queued: Pending[] = [];

  const listUnder = async (parent: string): Promise<ReadonlyMap<string, HostedZone>> => {
    const zones = new Map<string, HostedZone>();
    let next: Parameters<Route53Port['listZonesFrom']>[1];
    do {
      // The first page's token was taken before the read began (coalescedRead's `before`).
      if (next) await bucket.take();
      const page = await route53.listZonesFrom(parent, next);
      next = page.next;
      for (const zone of page.zones) {
        // Past the parent's subtree: the zones after it are none of ours.
        if (!isWithinDomain(zone.name, parent)) return zones;
        // Route 53 allows two public zones of one name; the first listed is used.
        const { privateZone, ...hosted } = zone;
        if (!privateZone && !zones.has(zone.name)) zones.set(zone.name, hosted);
      }
    } while (next);
    return zones;
  };

  const send = async (zoneId: string, batch: readonly Pending[]): Promise<void> => {
    await bucket.take();
    try {
      await route53.upsertMany(
        zoneId,
        batch.map((p) => p.record),
      );
      for (const p of batch) p.resolve();
    } catch (e) {
      if (batch.length === 1) {
        batch[0]?.reject(e);
        return;
      }
      // All or nothing: find the one that fails by sending each alone.
      for (const p of batch) {
        await bucket.take();
        await route53.upsert(zoneId, p.record).then(p.resolve, p.reject);
      }
    }
  };

  const flushIfReady = (): void => {
    if (queued.length === 0 || (active.size > 0 && queued.length < DELEGATIONS_PER_CALL)) return;
    const byZone = new Map<string, Pending[]>();
    for (const p of queued.splice(0)) {
      const forZone = byZone.get(p.zoneId);
      if (forZone) forZone.push(p);
      else byZone.set(p.zoneId, [p]);
    }
    for (const [zoneId, all] of byZone) {
      for (let i = 0; i < all.length; i += DELEGATIONS_PER_CALL)
        void send(zoneId, all.slice(i, i + DELEGATIONS_PER_CALL));
    }
  };

  return {
    zonesUnder(parent) {
      let read = listings.get(parent);
      if (!read) {
        read = coalescedRead(
          () => listUnder(parent),
          () => bucket.take(),
        );
        listings.set(parent, read);
      }
      return read();
    },
    join() {
      const turn = {};
      active.add(turn);
      return {
        delegate(zoneId, record) {
          return new Promise<void>((resolve, reject) => {
            active.delete(turn);
            queued.push({ zoneId, record, resolve, reject });
            flushIfReady();
          });
        },
        leave() {
          if (active.delete(turn)) flushIfReady();
        },
      };
    },
  };
}

interface Pending {
  readonly zoneId: string;
  readonly record: RecordSet;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * A read shared by its callers, never begun before the call: callers join a read until it
 * begins (after `before`, e.g. waiting for a token); a caller that arrives once it has begun
 * waits for the next one, which begins when the running one ends.
 */
export function coalescedRead<T>(
  read: () => Promise<T>,
  before: () => Promise<void> = async () => {},
): () => Promise<T> {
  let joinable: Promise<T> | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return () => {
    if (joinable) return joinable;
    const mine = running.then(before).then(
      () => {
        joinable = undefined;
        return read();
      },
      (e: unknown) => {
        joinable = undefined;
        throw e;
      },
    );
    joinable = mine;
    running = mine.catch(() => undefined);
    return mine;
  };
}
