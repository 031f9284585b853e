/**
 * One customization (an SSM parameter stack, docs/customizations.md) planned and applied to N
 * accounts (default 100) on the emulator through the direct gateway: the dry run (each account's
 * stacks listed, every create planned from its template), the apply (one stack per account), and
 * a re-run with nothing to do (no change set, no update), then a plan of the deployed stacks,
 * which starts drift detection on each. Reports wall time and AWS calls of each.
 * Run alone with `npx tsx bench/customizations.ts`.
 */
import { pathToFileURL } from 'node:url';
import { AwsClients, emulatorContext, startMoto } from '../src/aws/index.js';
import { loadConfig } from '../src/config/index.js';
import { runCustomizations } from '../src/pipeline/customizations.js';
import { directCustomizationGateway } from '../src/pipeline/gateways/customization-gateway.js';
import { createOrganization } from '../test/support/moto.js';
import { bootstrapOrganization } from '../test/support/provisioning.js';
import type { BenchResult } from './types.js';

const N = Number(process.env.ORGBRIDGE_BENCH_CUSTOMIZATION_ACCOUNTS ?? 100);

const STACK = `targets:
  scopes: [dev]
parameters:
  ServiceName: '{service}'
`;
const TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  ServiceName: { Type: String }
Resources:
  Service:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '/platform/\${ServiceName}'
      Type: String
      Value: !Ref ServiceName
`;

function members(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`  svc${i}:`, '    scope: dev');
  return `${lines.join('\n')}\n`;
}

export async function benchCustomizations(): Promise<BenchResult[]> {
  const server = await startMoto();
  const management = new AwsClients(emulatorContext(server.endpoint));
  try {
    const { managementId } = await createOrganization(management);
    const org = await bootstrapOrganization(management, managementId, members(N), {
      stackInstancesFor: () => false,
      files: {
        'stacks/service-parameter/stack.yml': STACK,
        'stacks/service-parameter/template.yml': TEMPLATE,
      },
    });
    const config = await loadConfig(org.configDir);
    const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };
    const run = async (execute: boolean) => {
      const before = management.counter.total;
      const start = performance.now();
      const result = await runCustomizations({
        config,
        accountIds: org.ids,
        gateway: directCustomizationGateway({
          management,
          specialIds: org.special,
          deploy: { pollMs: 20 },
        }),
        execute,
        output: quiet,
        concurrency: 16,
      });
      if (result.outcome === 'failed')
        throw new Error(`customizations failed: ${JSON.stringify(result.failures)}`);
      return { ms: performance.now() - start, calls: management.counter.total - before, result };
    };
    const dry = await run(false);
    const creates = dry.result.decisions.filter((d) => d.action === 'create').length;
    if (creates < N) throw new Error(`the dry run planned ${creates} creates for ${N} accounts`);
    const apply = await run(true);
    const again = await run(true);
    const left = again.result.decisions.filter((d) => d.action !== 'unchanged').length;
    if (left) throw new Error(`the re-run still had ${left} stacks to change`);
    // A plan of the deployed stacks: every list starts drift detection on its account's stacks.
    const plan = await run(false);
    const drifted = plan.result.decisions.filter((d) => d.drift.length || d.drift_note).length;
    if (drifted) throw new Error(`the plan found drift or notes on ${drifted} untouched stacks`);
    return [
      { name: `dry run, ${creates} stacks to create`, value: dry.ms / 1000, unit: 's' },
      { name: 'dry run AWS calls', value: dry.calls, unit: 'calls' },
      { name: `apply, ${creates} stacks`, value: apply.ms / 1000, unit: 's' },
      { name: 'apply AWS calls', value: apply.calls, unit: 'calls' },
      { name: 're-run (nothing to do)', value: again.ms / 1000, unit: 's' },
      { name: 're-run AWS calls', value: again.calls, unit: 'calls' },
      { name: `plan with drift detection, ${creates} stacks deployed`, value: plan.ms / 1000, unit: 's' },
      { name: 'plan with drift detection AWS calls', value: plan.calls, unit: 'calls' },
    ];
  } finally {
    management.destroy();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchCustomizations())
    console.log(`${r.name}: ${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`);
}
