import { describe, expect, it } from 'vitest';
import type { HostedZone, RecordSet, Route53Port, ZonePage } from '../../../src/handlers/dns/ports.js';
import { TokenBucket } from '../../../src/handlers/dns/rate-limit.js';
import {
  accountZoneBatch,
  coalescedRead,
  DELEGATIONS_PER_CALL,
} from '../../../src/handlers/dns/zone-batch.js';
import { ensureAccountZone } from '../../../src/handlers/dns/zones.js';

const instantClock = { now: () => new Date(), sleep: async () => {} };
const bucket = () => new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
const tick = () => new Promise((r) => setTimeout(r, 0));

/** Route 53 in memory: zones in its listing order, pages of `pageSize`, every call recorded. */
function fakeRoute53(names: readonly string[], pageSize = 100) {
  const reversed = (n: string) => `${n.split('.').reverse().join('.')}.`;
  const zones: (HostedZone & { privateZone: boolean })[] = names.map((name, i) => ({
    id: `Z${i}`,
    name: name.replace(/^private:/, ''),
    privateZone: name.startsWith('private:'),
  }));
  const calls: string[] = [];
  const changes: { zoneId: string; names: string[] }[] = [];
  const failing = new Set<string>();
  const sorted = () =>
    [...zones].sort((x, y) => reversed(x.name).localeCompare(reversed(y.name)) || x.id.localeCompare(y.id));
  const port: Route53Port = {
    async findPublicZone(name) {
      calls.push(`find ${name}`);
      return zones.find((z) => z.name === name && !z.privateZone);
    },
    async listZonesFrom(name, next) {
      calls.push(`list ${next?.name ?? name}`);
      const all = sorted();
      const start = next
        ? all.findIndex((z) => z.id === next.id)
        : all.findIndex((z) => reversed(z.name) >= reversed(name));
      const page = start < 0 ? [] : all.slice(start, start + pageSize);
      const after = start < 0 ? undefined : all[start + pageSize];
      const answer: ZonePage = {
        zones: page,
        ...(after ? { next: { name: after.name, id: after.id } } : {}),
      };
      return answer;
    },
    async createPublicZone(name) {
      calls.push(`create ${name}`);
      const zone = { id: `Z${zones.length}`, name, privateZone: false };
      zones.push(zone);
      return { id: zone.id, name, nameServers: ['ns-1.example', 'ns-2.example'] };
    },
    async nameServers(id) {
      calls.push(`ns ${id}`);
      return ['ns-1.example'];
    },
    async upsert(zoneId, record) {
      return port.upsertMany(zoneId, [record]);
    },
    async upsertMany(zoneId, records: readonly RecordSet[]) {
      calls.push(`change ${records.length}`);
      if (records.some((r) => failing.has(r.name)))
        throw new Error(`InvalidChangeBatch: ${records.map((r) => r.name)}`);
      changes.push({ zoneId, names: records.map((r) => r.name) });
    },
  };
  return { port, calls, changes, failing, zones };
}

const ns = (name: string): RecordSet => ({ name, type: 'NS', ttl: 60, values: ['ns-1.example'] });

describe('coalescedRead', () => {
  it('serves every caller that arrives before the read begins with that one read', async () => {
    let reads = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const read = coalescedRead(
      async () => ++reads,
      () => gate,
    );
    const early = [read(), read(), read()];
    open();
    expect(await Promise.all(early)).toEqual([1, 1, 1]);
    expect(reads).toBe(1);
  });

  it('never gives a caller a read that began before it: it waits for the next one', async () => {
    let reads = 0;
    let finish!: () => void;
    const read = coalescedRead(async () => {
      reads += 1;
      const n = reads;
      if (n === 1)
        await new Promise<void>((r) => {
          finish = r;
        });
      return n;
    });
    const first = read();
    await tick(); // the first read has begun
    const late = [read(), read()];
    finish();
    expect(await first).toBe(1);
    expect(await Promise.all(late)).toEqual([2, 2]);
  });

  it('lets the next caller read again after a read failed', async () => {
    let reads = 0;
    const read = coalescedRead(async () => {
      reads += 1;
      if (reads === 1) throw new Error('Throttling');
      return reads;
    });
    await expect(read()).rejects.toThrow('Throttling');
    expect(await read()).toBe(2);
  });
});

describe('accountZoneBatch', () => {
  it('lists the parent and the zones under it, page after page, and stops where the subtree ends', async () => {
    const r53 = fakeRoute53(
      [
        'aws.example.com',
        'a.aws.example.com',
        'private:b.aws.example.com',
        'c.aws.example.com',
        'other.com',
        'z.example.com',
      ],
      2,
    );
    const zones = await accountZoneBatch(r53.port, bucket()).zonesUnder('aws.example.com');
    expect([...zones.keys()]).toEqual(['aws.example.com', 'a.aws.example.com', 'c.aws.example.com']);
    // Three pages (2, 2, then the one that leaves the subtree); nothing after it is read.
    expect(r53.calls).toEqual(['list aws.example.com', 'list b.aws.example.com', 'list z.example.com']);
  });

  it('holds delegations until every turn beside them has delegated or left, then sends them in one change', async () => {
    const r53 = fakeRoute53(['aws.example.com']);
    const batch = accountZoneBatch(r53.port, bucket());
    const [one, two, three] = [batch.join(), batch.join(), batch.join()];
    const sent = [one.delegate('Z0', ns('a.aws.example.com'))];
    await tick();
    expect(r53.changes).toEqual([]);
    sent.push(two.delegate('Z0', ns('b.aws.example.com')));
    await tick();
    expect(r53.changes).toEqual([]);
    three.leave();
    await Promise.all(sent);
    expect(r53.changes).toEqual([{ zoneId: 'Z0', names: ['a.aws.example.com', 'b.aws.example.com'] }]);
  });

  it(`sends at most ${DELEGATIONS_PER_CALL} delegations a call`, async () => {
    const r53 = fakeRoute53(['aws.example.com']);
    const batch = accountZoneBatch(r53.port, bucket());
    const turns = Array.from({ length: DELEGATIONS_PER_CALL + 5 }, () => batch.join());
    await Promise.all(turns.map((t, i) => t.delegate('Z0', ns(`a${i}.aws.example.com`))));
    expect(r53.changes.map((c) => c.names.length)).toEqual([DELEGATIONS_PER_CALL, 5]);
  });

  it('fails only the delegation that fails: a refused change batch is sent again one by one', async () => {
    const r53 = fakeRoute53(['aws.example.com']);
    r53.failing.add('bad.aws.example.com');
    const batch = accountZoneBatch(r53.port, bucket());
    const [good, bad, other] = [batch.join(), batch.join(), batch.join()];
    const outcomes = await Promise.allSettled([
      good.delegate('Z0', ns('good.aws.example.com')),
      bad.delegate('Z0', ns('bad.aws.example.com')),
      other.delegate('Z0', ns('other.aws.example.com')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r53.changes.map((c) => c.names)).toEqual([['good.aws.example.com'], ['other.aws.example.com']]);
  });
});

/** One handler instance's DNS ports over `route53`: one bucket, one batch, parameters ignored. */
function sharedPorts(route53: Route53Port) {
  const b = bucket();
  return {
    route53,
    parameters: { getMany: async () => new Map(), put: async () => {}, delete: async () => {} },
    bucket: b,
    batch: accountZoneBatch(route53, b),
  };
}

describe('ensureAccountZone on a shared batch', () => {
  it('costs one listing, one create per new zone and one change for the delegations of requests side by side', async () => {
    const r53 = fakeRoute53(['aws.example.com', 'kept.aws.example.com']);
    const ports = sharedPorts(r53.port);
    const names = ['kept', 'new-a', 'new-b', 'new-c'];
    const results = await Promise.all(
      names.map((name, i) =>
        ensureAccountZone(ports, {
          accountId: String(100000000000 + i),
          accountName: name,
          parentDomain: 'aws.example.com',
          allowedDomains: [],
        }),
      ),
    );
    expect(results.map((r) => r.created)).toEqual([false, true, true, true]);
    expect(r53.calls.filter((c) => c.startsWith('list'))).toHaveLength(1);
    expect(r53.calls.filter((c) => c.startsWith('create'))).toHaveLength(3);
    // The zone found by the listing is asked for its name servers; the new ones' answers had them.
    expect(r53.calls.filter((c) => c.startsWith('ns'))).toEqual(['ns Z1']);
    expect(r53.changes).toEqual([{ zoneId: 'Z0', names: names.map((n) => `${n}.aws.example.com`) }]);
  });

  it('leaves its turn when it fails, so the others delegate without it', async () => {
    const r53 = fakeRoute53(['aws.example.com']);
    const failingCreate: Route53Port = {
      ...r53.port,
      async createPublicZone(name, ref, comment) {
        if (name.startsWith('broken.')) throw new Error('InvalidDomainName');
        return r53.port.createPublicZone(name, ref, comment);
      },
    };
    const ports = sharedPorts(failingCreate);
    const request = (name: string) => ({
      accountId: '123456789012',
      accountName: name,
      parentDomain: 'aws.example.com',
      allowedDomains: [],
    });
    const outcomes = await Promise.allSettled([
      ensureAccountZone(ports, request('fine')),
      ensureAccountZone(ports, request('broken')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected']);
    expect(r53.changes).toEqual([{ zoneId: 'Z0', names: ['fine.aws.example.com'] }]);
  });
});
