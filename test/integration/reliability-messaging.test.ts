import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAuditCheck } from '../chaos/scenarios/audit.js';
import { runCrashMidCreate } from '../chaos/scenarios/crash.js';
import { runDoubleDelivery } from '../chaos/scenarios/double-delivery.js';
import { FORGED_CASES, runForgedEvents } from '../chaos/scenarios/forged.js';
import { createWorld, type World } from '../chaos/scenarios/world.js';
import { useMoto } from '../support/moto.js';

describe('reliability (fast): messaging', () => {
  const moto = useMoto();
  let world: World;
  beforeAll(async () => {
    world = await createWorld(moto());
  }, 60_000);
  afterAll(async () => {
    await world?.stop();
  });

  it('every event delivered twice and out of order runs once, is answered twice, and has one effect', async () => {
    const result = await runDoubleDelivery(world, { requests: 12, seed: 1 });
    expect(result.problems).toEqual([]);
    expect(result.figures).toMatchObject({
      duplicatesDelivered: 12,
      handlerReruns: 0,
      accountsDuplicated: 0,
    });
  });

  it('forged events, through the real buses and bus policies, are stopped where the case says and never executed', async () => {
    const result = await runForgedEvents(world, { run: 'fast' });
    expect(result.problems).toEqual([]);
    expect(FORGED_CASES.length).toBeGreaterThanOrEqual(10);
    const count = (stop: string) => FORGED_CASES.filter((c) => c.stop === stop).length;
    expect(result.figures).toEqual({
      forgedSent: FORGED_CASES.length,
      forgedRejected: FORGED_CASES.length,
      forgedByBusPolicy: count('bus-policy'),
      forgedNotRouted: count('routing'),
      forgedByRuntime: count('runtime'),
      forgedExecuted: 0,
    });
    expect(count('bus-policy')).toBeGreaterThanOrEqual(2);
    expect(count('routing')).toBeGreaterThanOrEqual(3);
  });

  it('a handler killed after CreateAccount, before the move, converges on redelivery to exactly one account', async () => {
    const result = await runCrashMidCreate(world, { run: 'fast', accounts: 1, crashesEach: 1 });
    expect(result.problems).toEqual([]);
    expect(result.figures).toEqual({
      crashesInjected: 1,
      runsAttempted: 1,
      runsConverged: 1,
      accountsDuplicated: 0,
    });
    const attempts = world.outcomes.filter(
      (o) => o.outcome.type === 'CREATE_ACCOUNT' && o.outcome.status === 'failed',
    );
    expect(attempts.length).toBeGreaterThanOrEqual(1);
  });

  // Last: it reads everything the tests above sent.
  it('every delivered event and every answer has its copy in the audit queue', async () => {
    const result = await runAuditCheck(world);
    expect(result.missing).toEqual([]);
    expect(result.delivered).toBeGreaterThan(40);
    expect(result.audited).toBeGreaterThanOrEqual(result.delivered);
  });
});
