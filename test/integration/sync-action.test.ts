import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DetachPolicyCommand,
  ListOrganizationalUnitsForParentCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { CallRecorder } from '../../bench/peer/calls.js';
import type { Client } from '../../src/aws/clients.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { useProcessEnv } from '../support/env.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { accountsYaml, HOME_REGION } from '../support/provisioning.js';
import { silentServer } from '../support/silent-server.js';

/** The root and every OU below it: the parents a walk of the tree lists once each. */
async function parentsIn(org: Client<OrganizationsClient>): Promise<number> {
  const rootId = (await org.send(new ListRootsCommand({}))).Roots?.[0]?.Id;
  let count = 0;
  const visit = async (id: string | undefined): Promise<void> => {
    count += 1;
    const children = await org.send(new ListOrganizationalUnitsForParentCommand({ ParentId: id }));
    for (const ou of children.OrganizationalUnits ?? []) await visit(ou.Id);
  };
  await visit(rootId);
  return count;
}

const DENY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'DenyLeave', Effect: 'Deny', Action: ['organizations:LeaveOrganization'], Resource: '*' },
  ],
};

/**
 * `run --action sync` with the direct gateway reads the organization while the config loads and
 * the policies beside the accounts (src/pipeline/actions/sync.ts). What the reader must not see:
 * a config error behind a network one, a run that waits on reads after its config failed, or a
 * policy sync planned from a reading the account step made stale.
 */
describe('run --action sync, direct: reads overlap, results do not change', () => {
  const moto = useMoto();
  const dir = mkdtempSync(join(tmpdir(), 'orgbridge-sync-'));

  const cli = async (...args: string[]) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', dir, ...args], io);
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  beforeAll(async () => {
    const { managementId } = await createOrganization(moto().management);
    writeFileSync(join(dir, 'accounts.yml'), accountsYaml(managementId, '  api:\n    scope: dev\n'));
    mkdirSync(join(dir, 'policies/scp/Internal/Dev'), { recursive: true });
    writeFileSync(join(dir, 'policies/scp/Internal/Dev/deny-leave.json'), JSON.stringify(DENY));
  });
  useProcessEnv(() => ({
    AWS_ENDPOINT_URL: moto().server.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: HOME_REGION,
    ORGBRIDGE_ACCOUNTS_GATEWAY: 'direct',
  }));

  it('policies for OUs the same run creates; a re-run still finds a policy detached by hand', async () => {
    // The OU Internal/Dev does not exist before this run: the policies must be read after the
    // account step, or the SCP's target would be missing from what they were planned on.
    const first = await cli('run', '--action', 'sync', '--execute');
    expect(first.code, `${first.out}\n${first.err}`).toBe(0);
    expect(first.out).toContain('+ create scp orgbridge-scp-deny-leave');
    expect(first.out).toContain('applied 3 of 3 policy changes');

    const org = moto().management.organizations();
    const scp = (
      await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))
    ).Policies?.find((p) => p.Name === 'orgbridge-scp-deny-leave');
    const targets = await org.send(new ListTargetsForPolicyCommand({ PolicyId: scp?.Id }));
    const dev = targets.Targets?.[0];
    expect(dev?.Name).toBe('Dev');
    await org.send(new DetachPolicyCommand({ PolicyId: scp?.Id, TargetId: dev?.TargetId }));

    // Nothing changes among the accounts: the policies read beside them are the ones planned on.
    const second = await cli('run', '--action', 'sync', '--execute');
    expect(second.code, `${second.out}\n${second.err}`).toBe(0);
    expect(second.out).toContain('Plan: no changes');
    expect(second.out).toContain('attach scp orgbridge-scp-deny-leave');
    expect(second.out).toContain('applied 1 of 1 policy changes');

    // Nothing to do: the accounts and the policies are read beside each other, and share one
    // walk of the OU tree (one ListRoots, one listing per parent).
    const recorder = new CallRecorder(moto().server.endpoint);
    await recorder.start();
    const third = await cli('run', '--action', 'sync', '--execute');
    const calls = (await recorder.stop()).byOperation;
    expect(third.code).toBe(0);
    expect(third.out).toContain('policies (scp, tag): no changes');
    expect(calls.ListRoots).toBe(1);
    expect(calls.ListOrganizationalUnitsForParent).toBe(await parentsIn(org));
  });

  it('a config error comes first, and the run ends without waiting for the reads it began', async () => {
    // A read to it would wait forever.
    const silent = await silentServer();
    const broken = mkdtempSync(join(tmpdir(), 'orgbridge-sync-broken-'));
    cpSync(dir, broken, { recursive: true });
    writeFileSync(join(broken, 'accounts.yml'), 'defaults:\n  region: [\n');
    const cliPath = fileURLToPath(new URL('./fixtures/cli.ts', import.meta.url));
    try {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', cliPath, '-c', broken, 'run', '--action', 'sync'],
        {
          cwd: dirname(dirname(dirname(cliPath))),
          env: { ...process.env, AWS_ENDPOINT_URL: silent.endpoint },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      proc.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const exited = await Promise.race([
        new Promise<number | null>((r) => proc.on('exit', (code) => r(code))),
        new Promise<string>((r) => setTimeout(() => r('still running after 30 s'), 30_000)),
      ]);
      proc.kill();
      expect(exited, err).toBe(1);
      expect(err).toContain('accounts.yml:3');
      expect(err).toContain('DSL_YAML_SYNTAX');
    } finally {
      silent.close();
    }
  }, 60_000);
});
