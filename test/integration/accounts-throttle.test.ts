import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, DEFAULT_RETRY_POLICY, emulatorContext } from '../../src/aws/index.js';
import { memoryIo } from '../../src/cli/io.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../src/pipeline/sync-accounts.js';
import { MARKERS } from '../../src/plan/markers.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { config, desired } from '../unit/plan/fixtures.js';

describe('sync-accounts under 20 % Organizations throttling', () => {
  const moto = useMoto();
  let proxy: FaultProxy;
  let clients: AwsClients;
  beforeAll(async () => {
    await createOrganization(moto().management);
    proxy = await startFaultProxy(moto().server.endpoint, 7, [{ match: /^Organizations\./, throttle: 0.2 }]);
    clients = new AwsClients(
      emulatorContext(proxy.endpoint, { retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 10 } }),
    );
  });
  // Safe when beforeAll failed half way (the emulator did not start): nothing to release then.
  afterAll(async () => {
    clients?.destroy();
    await proxy?.close();
  });

  it('converges to exactly one account per DSL entry, and a second run plans nothing', async () => {
    const accounts = [
      ...Array.from({ length: 8 }, (_, i) => desired(`svc${i}`)),
      ...Array.from({ length: 4 }, (_, i) => desired(`std${i}`, { scope: 'standard' })),
    ];
    const gateway = directAccountsGateway(organizationsPort(clients.organizations()), {
      clock: { now: () => new Date(), sleep: async () => {} },
    });
    const run = async (execute: boolean) => {
      const io = memoryIo();
      return syncAccounts({ config: config(accounts), gateway, now: new Date(), execute, output: io });
    };
    const first = await run(true);
    expect(first.failures).toEqual([]);
    expect((await run(false)).plan.actions).toEqual([]);
    expect(proxy.injected.throttled).toBeGreaterThan(10);
    expect(clients.retries.count).toBe(proxy.injected.throttled);

    const org = await observeOrganization(organizationsPort(moto().management.organizations()));
    for (const d of accounts) {
      const same = org.accounts.filter((a) => a.email === d.email);
      expect(same, d.key).toHaveLength(1);
      expect(same[0]?.ou).toBe(d.organization_unit);
      expect(same[0]?.tags[MARKERS.key]).toBe(d.key);
    }
  });
});
