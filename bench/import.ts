/**
 * `orgbridge import` of an organization of 1,000 accounts on the emulator (50 OUs two levels
 * deep, 2 tags per account, 5 SCPs and 2 tag policies shared by several targets, accounts at the
 * root): wall time and AWS calls, and the same at a fifth of the size, so the calls per account
 * and OU show they grow linearly. Run alone with `npx tsx bench/import.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  EnablePolicyTypeCommand,
  MoveAccountCommand,
  type OrganizationsClient,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import type { Client } from '../src/aws/clients.js';
import { AwsClients, emulatorContext, startMoto } from '../src/aws/index.js';
import { mapWithConcurrency } from '../src/handlers/accounts/ports.js';
import { importInto } from '../src/pipeline/import.js';
import { createOrganization } from '../test/support/moto.js';
import type { BenchResult } from './types.js';

const N = Number(process.env.ORGBRIDGE_BENCH_IMPORT_ACCOUNTS ?? 1000);

interface Measured {
  readonly accounts: number;
  readonly ous: number;
  readonly seconds: number;
  readonly calls: number;
  readonly detail: Record<string, number>;
}

/** An organization of `accounts` accounts and accounts/20 OUs, built through the SDK. */
async function build(org: Client<OrganizationsClient>, rootId: string, accounts: number): Promise<number> {
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
  await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'TAG_POLICY' }));
  const parents: string[] = [];
  for (let i = 0; i < 5; i++) {
    const out = await org.send(
      new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: `Division ${i}` }),
    );
    parents.push(out.OrganizationalUnit?.Id as string);
  }
  const ous: string[] = [...parents];
  for (let i = ous.length; i < Math.max(5, Math.floor(accounts / 20)); i++) {
    const out = await org.send(
      new CreateOrganizationalUnitCommand({
        ParentId: parents[i % 5],
        Name: `Team ${String(i).padStart(3, '0')}`,
      }),
    );
    ous.push(out.OrganizationalUnit?.Id as string);
  }
  const ids = await mapWithConcurrency(
    Array.from({ length: accounts }, (_, i) => i),
    8,
    async (i) => {
      const created = await org.send(
        new CreateAccountCommand({ AccountName: `Workload ${i}`, Email: `workload-${i}@example.com` }),
      );
      const id = created.CreateAccountStatus?.AccountId as string;
      // One account in 25 stays at the root, as hand-made organizations have them.
      if (i % 25 !== 0)
        await org.send(
          new MoveAccountCommand({
            AccountId: id,
            SourceParentId: rootId,
            DestinationParentId: ous[i % ous.length],
          }),
        );
      await org.send(
        new TagResourceCommand({
          ResourceId: id,
          Tags: [
            { Key: 'cost-centre', Value: String(1000 + (i % ous.length)) },
            { Key: 'owner', Value: `team-${i % 7}` },
          ],
        }),
      );
      return id;
    },
  );
  const scp = { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }] };
  for (let p = 0; p < 7; p++) {
    const type = p < 5 ? 'SERVICE_CONTROL_POLICY' : 'TAG_POLICY';
    const content = p < 5 ? scp : { tags: { owner: { tag_key: { '@@assign': 'owner' } } } };
    const out = await org.send(
      new CreatePolicyCommand({
        Name: `policy-${p}`,
        Type: type,
        Description: 'bench',
        Content: JSON.stringify(content),
      }),
    );
    const id = out.Policy?.PolicySummary?.Id as string;
    for (const target of [rootId, ...parents.slice(0, 2), ous[5 + p] ?? rootId, ids[p + 1] as string]) {
      await org.send(new AttachPolicyCommand({ PolicyId: id, TargetId: target })).catch(() => undefined);
    }
  }
  return ous.length;
}

async function measure(accounts: number): Promise<Measured> {
  const server = await startMoto();
  const clients = new AwsClients(emulatorContext(server.endpoint));
  const out = mkdtempSync(join(tmpdir(), 'orgbridge-bench-import-'));
  try {
    const { rootId } = await createOrganization(clients);
    const ous = await build(clients.organizations(), rootId, accounts);
    const reader = new AwsClients(emulatorContext(server.endpoint));
    const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };
    const start = performance.now();
    const run = await importInto({ clients: reader, out: join(out, 'repo'), force: false, output: quiet });
    const seconds = (performance.now() - start) / 1000;
    reader.destroy();
    if (run.outcome !== 'done') throw new Error(`import did not validate: ${run.invalid[0]}`);
    if (run.result.summary.accounts !== accounts + 1)
      throw new Error(`imported ${run.result.summary.accounts}`);
    return {
      accounts: accounts + 1,
      ous,
      seconds,
      calls: reader.counter.total,
      detail: reader.counter.snapshot(),
    };
  } finally {
    clients.destroy();
    await server.stop();
    rmSync(out, { recursive: true, force: true });
  }
}

export async function benchImport(): Promise<BenchResult[]> {
  const small = await measure(Math.max(20, Math.floor(N / 5)));
  const large = await measure(N);
  const perUnit = (m: Measured) => m.calls / (m.accounts + m.ous);
  const detail = Object.entries(large.detail)
    .map(([k, v]) => `${k.replace('Organizations.', '')} ${v}`)
    .join(', ');
  process.stderr.write(`import of ${large.accounts} accounts in ${large.ous} OUs, AWS calls: ${detail}\n`);
  return [
    {
      name: `import ${large.accounts} accounts, ${large.ous} OUs (emulator)`,
      value: large.seconds,
      unit: 's',
    },
    {
      name: 'AWS calls for that import',
      value: large.calls,
      unit: 'calls',
      goal: 'linear in accounts and OUs',
    },
    {
      name: `AWS calls per account or OU at ${large.accounts} / at ${small.accounts} accounts`,
      value: perUnit(large) / perUnit(small),
      unit: `x (${perUnit(large).toFixed(2)} / ${perUnit(small).toFixed(2)})`,
      goal: '~1 (linear)',
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchImport())
    console.log(`${r.name}: ${r.value.toFixed(r.unit === 'calls' ? 0 : 2)} ${r.unit}`);
}
