import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachPolicyCommand,
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesCommand,
  MoveAccountCommand,
  TagResourceCommand,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, emulatorContext } from '../../src/aws/index.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { importInto } from '../../src/pipeline/import.js';
import { createOrganization, useMoto } from '../support/moto.js';

/**
 * `orgbridge import` on one hand-made organization: OUs at several depths, accounts at the root,
 * tags shared by an OU's accounts, one SCP on the root, two OUs and an account, a tag policy, and
 * FullAWSAccess detached from one OU. The round-trip property test (import-roundtrip.test.ts)
 * covers random organizations.
 */
describe('orgbridge import on the emulator', () => {
  const moto = useMoto();
  const dir = join(tmpdir(), `orgbridge-import-${process.pid}`);
  const saved: Record<string, string | undefined> = {};
  const ids: Record<string, string> = {};
  const ous: Record<string, string> = {};

  const cli = async (...args: string[]) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', ...args], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  beforeAll(async () => {
    const env = {
      AWS_ENDPOINT_URL: moto().server.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'eu-west-1',
      ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
    const { rootId } = await createOrganization(moto().management);
    const org = moto().management.organizations();
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'SERVICE_CONTROL_POLICY' }));
    await org.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: 'TAG_POLICY' }));
    ous[''] = rootId;
    const ou = async (path: string) => {
      const parent = ous[path.split('/').slice(0, -1).join('/')] as string;
      const out = await org.send(
        new CreateOrganizationalUnitCommand({ ParentId: parent, Name: path.split('/').at(-1) }),
      );
      ous[path] = out.OrganizationalUnit?.Id as string;
    };
    for (const path of ['Workloads', 'Workloads/Prod', 'Workloads/Prod/Payments', 'Sandbox', 'Empty'])
      await ou(path);
    const account = async (name: string, where: string, tags: Record<string, string>) => {
      const email = `${name.toLowerCase().replace(/\W+/g, '.')}@example.com`;
      const created = await org.send(new CreateAccountCommand({ AccountName: name, Email: email }));
      const id = created.CreateAccountStatus?.AccountId as string;
      if (where !== '')
        await org.send(
          new MoveAccountCommand({ AccountId: id, SourceParentId: rootId, DestinationParentId: ous[where] }),
        );
      const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      if (list.length) await org.send(new TagResourceCommand({ ResourceId: id, Tags: list }));
      ids[name] = id;
    };
    await account('Payments API', 'Workloads/Prod/Payments', { team: 'payments', 'cost-centre': '042' });
    await account('Payments Ledger', 'Workloads/Prod/Payments', { team: 'payments', 'cost-centre': '043' });
    // Made by a CloudFormation stack: AWS's own aws:cloudformation:* tags, which nobody may set or remove.
    await account('Shared Tools', '', { team: 'platform', 'aws:cloudformation:stack-name': 'shared-tools' });
    await account('Sandbox 1', 'Sandbox', {});
    const policy = async (name: string, type: 'SERVICE_CONTROL_POLICY' | 'TAG_POLICY', content: object) =>
      (
        await org.send(
          new CreatePolicyCommand({
            Name: name,
            Type: type,
            Description: name,
            Content: JSON.stringify(content),
          }),
        )
      ).Policy?.PolicySummary?.Id as string;
    const denyLeave = await policy('DenyLeaveOrganization', 'SERVICE_CONTROL_POLICY', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
    });
    for (const target of [rootId, ous.Workloads, ous.Sandbox, ids['Sandbox 1']])
      await org.send(new AttachPolicyCommand({ PolicyId: denyLeave, TargetId: target }));
    const costTags = await policy('cost-centre', 'TAG_POLICY', {
      tags: { 'cost-centre': { tag_key: { '@@assign': 'cost-centre' } } },
    });
    await org.send(new AttachPolicyCommand({ PolicyId: costTags, TargetId: ous.Workloads }));
    // An allow-list OU: FullAWSAccess replaced by the SCP attached there.
    await org.send(new DetachPolicyCommand({ PolicyId: 'p-FullAWSAccess', TargetId: ous.Sandbox }));
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads only: every call it makes is a List or Describe', async () => {
    const clients = new AwsClients(emulatorContext(moto().server.endpoint));
    const scratch = join(dir, 'read-only');
    try {
      const io = memoryIo();
      const run = await importInto({ clients, out: scratch, force: false, output: io });
      expect(run.invalid).toEqual([]);
      const calls = Object.keys(clients.counter.snapshot());
      expect(calls.length).toBeGreaterThan(3);
      expect(
        calls.filter((c) => !/^(Organizations\.(List|Describe)|STS\.GetCallerIdentity)/.test(c)),
      ).toEqual([]);
      expect(io.stderr.join('\n')).toContain('import: reading organization o-');
    } finally {
      clients.destroy();
    }
  });

  it('writes accounts.yml, policies/ and README.md that describe the organization as it is', async () => {
    const out = join(dir, 'repo');
    const run = await cli('import', '--out', out);
    expect(run.err).not.toContain('DSL_');
    expect(run.code).toBe(0);
    expect(run.out).toContain('imported 5 accounts');
    const yml = readFileSync(join(out, 'accounts.yml'), 'utf8');
    // The management account and Shared Tools sit at the root; names and emails are kept.
    expect(yml).toContain('organization_unit: ""');
    expect(yml).toContain('name: "Payments API"');
    expect(yml).toContain('email: payments.api@example.com');
    // The tag both Payments accounts share is lifted to their scope; cost-centre stays on each.
    expect(yml).toMatch(
      /payments:\n {4}organization_unit: Workloads\/Prod\/Payments\n {4}tags:\n {6}team: payments/,
    );
    expect(yml).toContain('cost-centre: "042"');
    expect(yml).not.toContain('aws:cloudformation');
    expect(yml).not.toMatch(/^ +morgue_ou:/m);
    expect(yml).toContain('# cicd: not set');
    // One SCP with four targets stays one document, under its real name.
    expect(readdirSync(join(out, 'policies', 'scp'))).toEqual(['DenyLeaveOrganization.json']);
    expect(
      JSON.parse(readFileSync(join(out, 'policies', 'scp', 'DenyLeaveOrganization.json'), 'utf8')),
    ).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
    });
    expect(yml).toMatch(
      /DenyLeaveOrganization:\n {6}organization_units:\n {8}- ""\n {8}- Sandbox\n {8}- Workloads\n {6}accounts:\n {8}- sandbox-1/,
    );
    expect(yml).toMatch(/FullAWSAccess:\n {6}detached_from:\n {8}organization_units:\n {10}- Sandbox/);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('## Review before the first sync');

    // Nothing to do right after the import.
    expect((await cli('-c', out, 'validate')).code).toBe(0);
    const plan = await cli('-c', out, 'plan');
    expect(plan.out).toMatch(/^Accounts and OUs: no changes \(5 unchanged\)$/m);
    expect(plan.code).toBe(0);
    const sync = await cli('-c', out, 'run', '--action', 'sync-policies');
    expect(sync.out).toContain('policies (scp, tag): no changes');
    expect(sync.code).toBe(0);
  });

  it('manages the adopted policies from then on: a change updates the existing policy, never a copy', async () => {
    const out = join(dir, 'repo');
    const file = join(out, 'policies', 'scp', 'DenyLeaveOrganization.json');
    const document = JSON.parse(readFileSync(file, 'utf8'));
    document.Statement.push({ Effect: 'Deny', Action: 'account:CloseAccount', Resource: '*' });
    writeFileSync(file, JSON.stringify(document, null, 2));
    const dry = await cli('-c', out, 'run', '--action', 'sync-policies');
    expect(dry.code).toBe(2);
    expect(dry.out).toMatch(
      /policies \(scp, tag\): 1 update-policy\n {2}~ update scp DenyLeaveOrganization /,
    );
    expect((await cli('-c', out, 'run', '--action', 'sync-policies', '--execute')).code).toBe(0);
    const org = moto().management.organizations();
    const scps =
      (await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))).Policies ?? [];
    expect(scps.map((p) => p.Name).sort()).toEqual(['DenyLeaveOrganization', 'FullAWSAccess']);
    const id = scps.find((p) => p.Name === 'DenyLeaveOrganization')?.Id;
    const stored = await org.send(new DescribePolicyCommand({ PolicyId: id }));
    expect(JSON.parse(stored.Policy?.Content ?? '{}')).toEqual(document);
    expect((await cli('-c', out, 'run', '--action', 'sync-policies')).code).toBe(0);
  });

  it('refuses an existing directory unless --force, which replaces the policy folders', async () => {
    const out = join(dir, 'forced');
    mkdirSync(join(out, 'policies', 'scp'), { recursive: true });
    writeFileSync(join(out, 'policies', 'scp', 'stale.json'), '{"Statement": []}');
    const refused = await cli('import', '--out', out);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('[IMPORT_OUT_EXISTS]');
    const forced = await cli('import', '--out', out, '--force');
    expect(forced.code).toBe(0);
    expect(readdirSync(join(out, 'policies', 'scp'))).toEqual(['DenyLeaveOrganization.json']);
  });

  it('the commands that need special accounts say so', async () => {
    const out = join(dir, 'repo');
    const bootstrap = await cli('-c', out, 'run', '--action', 'bootstrap');
    expect(bootstrap.code).toBe(1);
    expect(bootstrap.err).toContain('[SPECIAL_ACCOUNT_UNSET]');
    expect(bootstrap.err).toContain('cicd');
  });
});
