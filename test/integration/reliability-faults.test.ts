import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemberAccounts, runFaultyCredentials } from '../chaos/scenarios/faulty-credentials.js';
import { FAULT_RATES, runFaultySync } from '../chaos/scenarios/faulty-sync.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { createOrganization, useMoto } from '../support/moto.js';

describe('reliability (fast): sync-accounts through 20 % throttling and 5 % HTTP 500', () => {
  const moto = useMoto();
  let proxy: FaultProxy;
  beforeAll(async () => {
    await createOrganization(moto().management);
    proxy = await startFaultProxy(moto().server.endpoint, 9);
  });
  afterAll(() => proxy?.close());

  it('converges to exactly one account per DSL entry, retrying every injected fault', async () => {
    const result = await runFaultySync(moto(), proxy, { rounds: 1, accountsPerRound: 6, run: 'fast' });
    expect(result.problems).toEqual([]);
    expect(result.figures).toMatchObject({ runsAttempted: 1, runsConverged: 1, accountsDuplicated: 0 });
    expect(result.figures.faultsThrottled).toBeGreaterThan(5);
    expect(result.figures.faultsServerErrors).toBeGreaterThan(0);
    // Every fault was answered by a retry: 500s are retried in this mode, not surfaced.
    expect(result.retries).toBe(
      (result.figures.faultsThrottled ?? 0) + (result.figures.faultsServerErrors ?? 0),
    );
    expect(FAULT_RATES).toEqual({ throttle: 0.2, serverError: 0.05 });
  });
});

describe('reliability (fast): assumed-role credentials through STS faults and an outage', () => {
  const moto = useMoto();
  let proxy: FaultProxy;
  let accounts: string[];
  beforeAll(async () => {
    accounts = await createMemberAccounts(moto(), 4);
    proxy = await startFaultProxy(moto().server.endpoint, 11);
  });
  afterAll(() => proxy?.close());

  it('acts in the right account with one AssumeRole each, and the clients work again after the outage', async () => {
    const result = await runFaultyCredentials(proxy, { rounds: 4, accounts, outages: 1 });
    expect(result.problems).toEqual([]);
    expect(result.figures).toMatchObject({ runsConverged: 4, stsOutages: 1, credentialCachePoisoned: 0 });
    expect(result.figures.faultsSts).toBeGreaterThan(result.refused);
    // Each call refused in the outage is one fault not retried; every other fault was retried.
    expect(result.refused).toBe(3);
    expect(result.retries + result.refused).toBe(
      (result.figures.faultsThrottled ?? 0) + (result.figures.faultsServerErrors ?? 0),
    );
  });
});
