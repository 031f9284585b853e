/**
 * Sync of 500 accounts on the emulator from an empty organization, then a no-change re-sync:
 * wall time and AWS calls (AwsCallCounter). Run alone with `npx tsx bench/sync.ts`.
 */
import { pathToFileURL } from 'node:url';
import { AwsClients, emulatorContext, startMoto } from '../src/aws/index.js';
import { organizationsPort } from '../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../src/pipeline/sync-accounts.js';
import { createOrganization } from '../test/support/moto.js';
import { organization } from '../test/unit/plan/fixtures.js';
import { syntheticAccount, syntheticScopes } from './accounts.js';
import type { BenchResult } from './types.js';

const N = Number(process.env.ORGBRIDGE_BENCH_SYNC_ACCOUNTS ?? 500);
const SCOPES = ['dev', 'standard', 'infra'];

export async function benchSync(): Promise<BenchResult[]> {
  const server = await startMoto();
  const clients = new AwsClients(emulatorContext(server.endpoint));
  try {
    await createOrganization(clients);
    const config = {
      organization: organization(),
      scopes: syntheticScopes(SCOPES),
      accounts: Array.from({ length: N }, (_, i) => syntheticAccount(i, SCOPES[i % SCOPES.length] as string)),
    };
    const gateway = directAccountsGateway(organizationsPort(clients.organizations()));
    const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };
    const before = clients.counter.total;
    let start = performance.now();
    const first = await syncAccounts({ config, gateway, now: new Date(), execute: true, output: quiet });
    const syncMs = performance.now() - start;
    if (first.failures.length) throw new Error(`sync failed: ${first.failures[0]?.message}`);
    const syncCalls = clients.counter.total - before;
    const creates = clients.counter.snapshot();
    start = performance.now();
    const again = await syncAccounts({ config, gateway, now: new Date(), execute: false, output: quiet });
    const resyncMs = performance.now() - start;
    if (again.plan.actions.length) throw new Error(`re-sync planned ${again.plan.actions.length} actions`);
    const resyncCalls = clients.counter.total - before - syncCalls;
    const detail = Object.entries(creates)
      .map(([k, v]) => `${k.replace('Organizations.', '')} ${v}`)
      .join(', ');
    process.stderr.write(`sync of ${N} accounts, AWS calls: ${detail}\n`);
    return [
      { name: `sync ${N} accounts from empty (emulator)`, value: syncMs / 1000, unit: 's' },
      { name: `AWS calls for that sync`, value: syncCalls, unit: 'calls' },
      { name: `re-sync ${N} accounts, nothing to do`, value: resyncMs / 1000, unit: 's' },
      {
        name: `AWS calls for the re-sync`,
        value: resyncCalls,
        unit: 'calls',
        goal: `~${Math.ceil(N * 1.1)}`,
      },
    ];
  } finally {
    clients.destroy();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchSync())
    console.log(`${r.name}: ${r.value.toFixed(r.unit === 's' ? 1 : 0)} ${r.unit}`);
}
