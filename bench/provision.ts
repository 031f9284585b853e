/**
 * Provisioning of N new accounts (default 100) end to end on the emulator: accounts created by
 * sync-accounts, stack set instances deployed, then `run --action pipeline` through the direct
 * gateway (wait for stack instances, forward rules, SSM parameters, access roles + backup, VPC
 * for half of them, identity mapping, logs bucket). Reports wall time and AWS calls of the
 * pipeline, and of a no-change re-run. Run alone with `npx tsx bench/provision.ts`.
 */
import { pathToFileURL } from 'node:url';
import { AwsClients, emulatorContext, startMoto } from '../src/aws/index.js';
import { MemoryCompletionStore } from '../src/pipeline/engine/dag.js';
import { directProvisioningGateway } from '../src/pipeline/gateways/provision-gateway.js';
import { provision } from '../src/pipeline/provision.js';
import { createOrganization } from '../test/support/moto.js';
import { bootstrapOrganization, HOME_REGION } from '../test/support/provisioning.js';
import type { BenchResult } from './types.js';

const N = Number(process.env.ORGBRIDGE_BENCH_PROVISION_ACCOUNTS ?? 100);

function members(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(`  svc${i}:`, '    scope: dev');
    if (i % 2) lines.push('    create_vpc: false');
    if (i % 10 === 0) lines.push('    use_cfr: true');
  }
  return `${lines.join('\n')}\n`;
}

export async function benchProvision(): Promise<BenchResult[]> {
  const server = await startMoto();
  const management = new AwsClients(emulatorContext(server.endpoint));
  try {
    const { managementId } = await createOrganization(management);
    let start = performance.now();
    const org = await bootstrapOrganization(management, managementId, members(N));
    const setupMs = performance.now() - start;
    const gateway = directProvisioningGateway({
      management,
      config: org.config,
      accountIds: org.ids,
      specialIds: org.special,
      homeRegion: HOME_REGION,
      deploy: { pollMs: 20 },
    });
    const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };
    const store = new MemoryCompletionStore();
    const options = {
      config: org.config,
      observed: org.observed,
      organizationId: org.organizationId,
      gateway,
      store,
      execute: true,
      output: quiet,
      concurrency: 16,
      waitPollMs: 50,
    };
    const before = management.counter.total;
    start = performance.now();
    const first = await provision(options);
    const provisionMs = performance.now() - start;
    const calls = management.counter.total - before;
    if (!first.run?.ok) {
      const failed = first.run?.outcomes.find((o) => o.status === 'failed');
      throw new Error(`provisioning failed: ${failed?.label}: ${failed?.error?.message}`);
    }
    const steps = first.run.counts.done;
    start = performance.now();
    const again = await provision(options);
    const rerunMs = performance.now() - start;
    const rerunCalls = management.counter.total - before - calls;
    if (again.pending.length) throw new Error(`the re-run still had ${again.pending.length} steps`);
    const perService = new Map<string, number>();
    for (const [key, n] of Object.entries(management.counter.snapshot())) {
      const service = key.split('.')[0] as string;
      perService.set(service, (perService.get(service) ?? 0) + n);
    }
    process.stderr.write(
      `provisioning ${N} accounts (${steps} steps): setup ${(setupMs / 1000).toFixed(1)} s; calls by service (setup included): ${[...perService].map(([s, n]) => `${s} ${n}`).join(', ')}\n`,
    );
    return [
      { name: `pipeline, ${N} new accounts`, value: provisionMs / 1000, unit: 's', goal: '< 60 s' },
      { name: 'pipeline AWS calls', value: calls, unit: 'calls' },
      { name: 'AWS calls per account', value: calls / N, unit: 'calls' },
      { name: 'pipeline steps', value: steps, unit: 'steps' },
      { name: 're-run (nothing to do)', value: rerunMs, unit: 'ms' },
      { name: 're-run AWS calls', value: rerunCalls, unit: 'calls' },
      { name: `setup (sync-accounts + stack sets, ${N} accounts)`, value: setupMs / 1000, unit: 's' },
    ];
  } finally {
    management.destroy();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchProvision())
    console.log(`${r.name}: ${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`);
}
