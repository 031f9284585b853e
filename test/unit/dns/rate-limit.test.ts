import { describe, expect, it } from 'vitest';
import { route53Bucket, TokenBucket } from '../../../src/handlers/dns/rate-limit.js';
import { DNS_HANDLER_INSTANCES } from '../../../src/protocol/names.js';
import { HANDLER_MAX_CONCURRENCY } from '../../../src/templates/stacks/handlers.js';

/** A clock whose sleep moves time forward at once and records each wait. */
function fakeClock(start = 0) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    elapsed: () => now - start,
    now: () => new Date(now),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of `capacity` through, then paces at the rate', async () => {
    const clock = fakeClock();
    const bucket = route53Bucket(clock);
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(clock.elapsed()).toBe(0);
    for (let i = 0; i < 10; i++) await bucket.take();
    // 10 more tokens at 5/s take 2 s.
    expect(clock.elapsed()).toBe(2000);
    expect(clock.sleeps.every((ms) => ms === 200)).toBe(true);
  });

  it('never exceeds the rate over any window, concurrent callers included', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, () => bucket.take().then(() => times.push(clock.elapsed()))),
    );
    expect(times).toHaveLength(40);
    for (const t of times) {
      const inWindow = times.filter((u) => u >= t && u < t + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(10); // burst 5 + 5 refilled within one second
    }
    expect(clock.elapsed()).toBe(7000); // (40 - 5) / 5 s
  });

  it('refills while idle, up to capacity', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock });
    for (let i = 0; i < 5; i++) await bucket.take();
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(clock.sleeps).toEqual([]);
    await bucket.take();
    expect(clock.sleeps).toEqual([200]);
  });

  it('rejects a useless configuration', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, capacity: 5, clock: fakeClock() })).toThrow(RangeError);
  });
});

describe('route53Bucket', () => {
  it('gives each of the DNS handler instances Lambda may run its share of 5 requests/s', async () => {
    // The handler stack's SQS MaximumConcurrency is the number of instances sharing the rate.
    expect(HANDLER_MAX_CONCURRENCY.dns).toBe(DNS_HANDLER_INSTANCES);
    const clocks = [fakeClock(), fakeClock()];
    const buckets = clocks.map((clock) => route53Bucket(clock, DNS_HANDLER_INSTANCES));
    for (const bucket of buckets) for (let i = 0; i < 12; i++) await bucket.take();
    // 24 calls in all: a burst of 2 each, then 2.5/s each (10 more each in 4 s): 5/s together.
    expect(clocks.map((clock) => clock.elapsed())).toEqual([4000, 4000]);
  });
});
