import { describe, expect, it } from 'vitest';
import {
  AWS_FIGURES,
  AwsModel,
  modelThrottledReads,
  RateLimiter,
  Semaphore,
  Simulation,
} from '../../bench/aws-model.js';
import { modelOrgbridge, modelPeer, scenario } from '../../bench/aws-time.js';
import { isWrite, modelPhaseMs, serviceOf } from '../../bench/peer/latency.js';

describe('the real-AWS time model', () => {
  it('runs on a virtual clock: parallel waits overlap, sequential ones add up', async () => {
    const sim = new Simulation();
    const parallel = await sim.run(() => Promise.all([sim.sleep(1_000), sim.sleep(3_000), sim.sleep(2_000)]));
    expect(parallel.ms).toBe(3_000);
    const sequential = await sim.run(async () => {
      for (const ms of [1_000, 3_000, 2_000]) await sim.sleep(ms);
    });
    expect(sequential.ms).toBe(6_000);
  });

  it('a rate limit bounds throughput: 100 calls at 10/s with a burst of 20 take at least 8 s', async () => {
    const sim = new Simulation();
    const limiter = new RateLimiter(sim, 10, 20);
    const { ms } = await sim.run(() => Promise.all(Array.from({ length: 100 }, () => limiter.take())));
    expect(ms).toBeGreaterThanOrEqual(8_000);
    expect(ms).toBeLessThan(8_100);
    // Calls spread out below the rate are never delayed.
    const slow = await sim.run(async () => {
      for (let i = 0; i < 30; i++) {
        await limiter.take();
        await sim.sleep(200);
      }
    });
    expect(slow.ms).toBeLessThanOrEqual(30 * 200 + 100);
  });

  it('a semaphore never lets more than its limit run', async () => {
    const sim = new Simulation();
    const gate = new Semaphore(5);
    let running = 0;
    let most = 0;
    await sim.run(() =>
      Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          gate.use(async () => {
            running++;
            most = Math.max(most, running);
            await sim.sleep(100 + (i % 7) * 10);
            running--;
          }),
        ),
      ),
    );
    expect(most).toBe(5);
    expect(gate.maxHeld).toBe(5);
  });

  it('throttles Organizations calls of one account, not of different accounts', async () => {
    const figures = { ...AWS_FIGURES, rate: { organizations: { perSecond: 2, burst: 1 } } };
    const one = new AwsModel(figures);
    const same = await one.sim.run(() =>
      Promise.all(Array.from({ length: 11 }, () => one.call('organizations', 'ListTagsForResource'))),
    );
    const other = new AwsModel(figures);
    const spread = await other.sim.run(() =>
      Promise.all(Array.from({ length: 11 }, (_, i) => other.call('organizations', 'X', `acct-${i}`))),
    );
    expect(same.ms).toBeGreaterThanOrEqual(5_000);
    expect(spread.ms).toBe(AWS_FIGURES.latencyMs.organizations);
  });

  it('respects the five account creations in progress, and cannot beat them', async () => {
    const n = 23;
    const run = await modelOrgbridge(scenario(n));
    expect(run.creationsAtOnce).toBe(5);
    expect(run.ms).toBeGreaterThanOrEqual(Math.ceil(n / 5) * AWS_FIGURES.accountCreationMs);
    const peer = await modelPeer(scenario(n));
    expect(peer.creationsAtOnce).toBe(1);
    expect(peer.ms).toBeGreaterThanOrEqual(n * AWS_FIGURES.accountCreationMs);
  });

  it('grows with N for both approaches, and orgbridge is ahead at every N', async () => {
    let previous = { ob: 0, peer: 0 };
    for (const n of [1, 5, 11, 40]) {
      const ob = (await modelOrgbridge(scenario(n))).ms;
      const peer = (await modelPeer(scenario(n))).ms;
      expect(ob).toBeGreaterThan(previous.ob);
      expect(peer).toBeGreaterThan(previous.peer);
      expect(ob).toBeLessThan(peer);
      previous = { ob, peer };
    }
  });

  it('is slower with a slower AWS: a lower Organizations rate or a longer CreateAccount', async () => {
    const base = (await modelOrgbridge(scenario(30))).ms;
    const slowRate = {
      ...AWS_FIGURES,
      rate: { ...AWS_FIGURES.rate, organizations: { perSecond: 1, burst: 1 } },
    };
    expect((await modelOrgbridge(scenario(30), slowRate)).ms).toBeGreaterThan(base);
    const slowCreate = { ...AWS_FIGURES, accountCreationMs: 2 * AWS_FIGURES.accountCreationMs };
    expect((await modelOrgbridge(scenario(30), slowCreate)).ms).toBeGreaterThan(base);
  });

  it('models calls that grow linearly with the accounts created', async () => {
    const small = await modelOrgbridge(scenario(50));
    const large = await modelOrgbridge(scenario(250));
    expect(large.calls / 250).toBeLessThanOrEqual((small.calls / 50) * 1.05);
  });

  it('names a critical path that adds up to the modelled time', async () => {
    const run = await modelOrgbridge(scenario(11));
    const total = run.criticalPath.reduce((sum, p) => sum + p.ms, 0);
    expect(total).toBeCloseTo(run.ms, -1);
    expect(run.criticalPath.some((p) => p.name.startsWith('create account'))).toBe(true);
  });

  it('reads paced at the service rate are never throttled; standard retries past it lose reads', async () => {
    const paced = await modelThrottledReads(1_000, 8, true);
    expect(paced.throttled).toBe(0);
    expect(paced.failed).toBe(0);
    const standard = await modelThrottledReads(1_000, 8, false);
    expect(standard.throttled).toBeGreaterThan(0);
    expect(standard.failed).toBeGreaterThan(0);
    // Pacing costs no time: the rate bounds both.
    const { perSecond, burst } = AWS_FIGURES.rate.organizations ?? { perSecond: 1, burst: 1 };
    expect(paced.ms).toBeLessThanOrEqual(((1_000 - burst) / perSecond) * 1000 + 1_000);
    // Below the rate nothing is throttled either way.
    expect((await modelThrottledReads(50, 1, false)).throttled).toBe(0);
  });

  describe("the peer benchmark's phases on real AWS", () => {
    it('classifies the operations the proxy counts', () => {
      expect(serviceOf('ListTagsForResource')).toBe('organizations');
      expect(serviceOf('AssumeRole')).toBe('sts');
      expect(serviceOf('PUT object')).toBe('s3');
      expect(isWrite('MoveAccount')).toBe(true);
      expect(isWrite('ListAccountsForParent')).toBe(false);
      expect(isWrite('PUT bucket')).toBe(true);
    });

    it("creates 20 accounts 5 at a time for orgbridge, one at a time for the peer's calls", async () => {
      const calls = { CreateAccount: 20, MoveAccount: 20, TagResource: 20, ListRoots: 1 };
      const ob = await modelPhaseMs('orgbridge', calls);
      const peer = await modelPhaseMs('org-formation', calls);
      expect(ob).toBeGreaterThanOrEqual(4 * AWS_FIGURES.accountCreationMs);
      expect(ob).toBeLessThan(5 * AWS_FIGURES.accountCreationMs);
      expect(peer).toBeGreaterThanOrEqual(20 * AWS_FIGURES.accountCreationMs);
    });

    it('bounds reads by the Organizations rate, however many run at once', async () => {
      const reads = { ListTagsForResource: 1_000 };
      const { perSecond, burst } = AWS_FIGURES.rate.organizations ?? { perSecond: 1, burst: 1 };
      const floor = ((1_000 - burst) / perSecond) * 1000;
      expect(await modelPhaseMs('org-formation', reads)).toBeGreaterThanOrEqual(floor);
      expect(await modelPhaseMs('orgbridge', reads)).toBeGreaterThanOrEqual(floor);
      // Fewer calls never take longer.
      expect(await modelPhaseMs('orgbridge', { ListTagsForResource: 100 })).toBeLessThan(
        await modelPhaseMs('orgbridge', reads),
      );
    });
  });
});
