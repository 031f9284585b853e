import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, DEFAULT_RETRY_POLICY, emulatorContext } from '../../src/aws/index.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * Organizations throttles by rate. Reading the organization means one ListTagsForResource per
 * account, many in flight: with standard retries alone every throttled attempt is retried at
 * once and spends the client's retry quota (500, 5 per throttled retry), and reads fail once it
 * is spent; the clients' adaptive rate paces them to what the service accepts instead. The
 * proxy throttles by rate, as AWS does (a probabilistic throttle would say nothing about it).
 */
describe('reading the organization against a rate-limited Organizations', () => {
  const moto = useMoto();
  let proxy: FaultProxy;
  const ACCOUNTS = 150;
  const RATE = 25;
  // Short backoff, as a busy client retrying at once: the quota, not time, is what runs out.
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 20 };

  beforeAll(async () => {
    const org = moto().management.organizations();
    await createOrganization(moto().management);
    for (let i = 0; i < ACCOUNTS; i++) {
      await org.send(new CreateAccountCommand({ AccountName: `a${i}`, Email: `a${i}@example.com` }));
    }
    proxy = await startFaultProxy(moto().server.endpoint, 3);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const read = async (adaptive: boolean) => {
    proxy.setRules([]);
    // A fresh bucket per run: the rule object is new.
    proxy.setRules([{ match: /^Organizations\./, ratePerSecond: RATE }]);
    const before = proxy.snapshot().throttled;
    const clients = new AwsClients(emulatorContext(proxy.endpoint, { retry: { ...policy, adaptive } }));
    try {
      const observed = await observeOrganization(organizationsPort(clients.organizations()), {
        tagConcurrency: 16,
      });
      return { accounts: observed.accounts.length, throttled: proxy.snapshot().throttled - before };
    } catch (e) {
      return { failed: String(e), throttled: proxy.snapshot().throttled - before };
    } finally {
      clients.destroy();
    }
  };

  it('paced, every account is read and few calls are throttled; unpaced, reads fail', {
    timeout: 120_000,
  }, async () => {
    const paced = await read(true);
    expect(paced).toMatchObject({ accounts: ACCOUNTS + 1 });
    // The quota allows 100 throttled retries per client: pacing stays well under it.
    expect(paced.throttled).toBeLessThan(50);

    // Unpaced, a read fails once one call has been throttled on every attempt; how many calls
    // were throttled by then depends on how fast this machine sends them (a loaded CI machine
    // fails after as few as 10), so only the failure is asserted.
    const unpaced = await read(false);
    expect(unpaced.throttled).toBeGreaterThan(0);
    expect(unpaced).toMatchObject({ failed: expect.stringMatching(/TooManyRequests|quota|Rate exceeded/i) });
  });
});
