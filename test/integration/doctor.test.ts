import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivateOrganizationsAccessCommand } from '@aws-sdk/client-cloudformation';
import { EnablePolicyTypeCommand, ListRootsCommand } from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadConfig } from '../../src/config/index.js';
import type { DoctorCheck } from '../../src/pipeline/doctor.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { accountsYaml, bootstrapOrganization, HOME_REGION } from '../support/provisioning.js';

/**
 * `orgbridge doctor` against the emulator, as a person runs it: the CLI with the management
 * account's credentials from the environment. On a fresh organization it says what the bootstrap
 * still needs; once the accounts exist and the prerequisites are on, it passes; it changes nothing.
 */
describe('orgbridge doctor', () => {
  const moto = useMoto();
  const saved: Record<string, string | undefined> = {};
  let managementId: string;
  let freshDir: string;

  beforeAll(async () => {
    ({ managementId } = await createOrganization(moto().management));
    const env = {
      AWS_ENDPOINT_URL: moto().server.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: HOME_REGION,
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    // The same accounts.yml, before any account of it exists.
    freshDir = mkdtempSync(join(tmpdir(), 'orgbridge-doctor-'));
    writeFileSync(join(freshDir, 'accounts.yml'), accountsYaml(managementId, ''));
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const doctor = async (dir: string) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', dir, 'doctor', '--json'], io);
    const out = JSON.parse(io.stdout.join('\n')) as {
      checks: DoctorCheck[];
      summary: { pass: number; warn: number; fail: number };
    };
    const byId = Object.fromEntries(out.checks.map((c) => [c.id, c]));
    return { code, byId, summary: out.summary, stderr: io.stderr.join('\n') };
  };

  it('on a fresh organization, says what the bootstrap still needs, with the fix of each', async () => {
    const { code, byId, summary, stderr } = await doctor(freshDir);
    expect(code, stderr).toBe(1);
    expect(byId.caller).toMatchObject({ status: 'pass', message: expect.stringContaining(managementId) });
    expect(byId['all-features']?.status).toBe('pass');
    expect(byId['stacksets-trusted-access']).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('activate-organizations-access'),
    });
    expect(byId['policy-type-scp']).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('sync-policies'),
    });
    // The management account exists (it is the caller's); the others are still to be created.
    expect(byId['account-management']?.status).toBe('pass');
    for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit'])
      expect(byId[`account-${kind}`], kind).toMatchObject({
        status: 'fail',
        fix: expect.stringContaining('sync-accounts'),
      });
    expect(byId['home-region']?.status).toBe('pass');
    expect(byId['account-quota']?.status).toBe('pass');
    expect(byId['scp-limits']?.status).toBe('pass');
    expect(byId.node?.status).not.toBe('fail');
    expect(summary.fail).toBe(5);
  });

  it('prints one line per check, and the fix under each that is not a pass', async () => {
    const io = memoryIo();
    await main(['node', 'orgbridge', '-c', freshDir, 'doctor'], io);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^PASS {2}caller /m);
    expect(text).toMatch(/^FAIL {2}account-cicd .*\n\s+fix: .*sync-accounts/m);
    expect(io.stdout.at(-1)).toMatch(/^\d+ passed, \d+ warnings, \d+ failed$/);
  });

  it('passes once the accounts exist and the prerequisites are on, and changed nothing itself', async () => {
    const { management } = moto();
    // Doctor is read-only: StackSets trusted access is still off after the first run.
    const org = await bootstrapOrganization(management, managementId, '');
    const before = await doctor(org.configDir);
    expect(before.byId['stacksets-trusted-access']?.status).toBe('warn');
    await management.cloudFormation(HOME_REGION).send(new ActivateOrganizationsAccessCommand({}));
    const root = (await management.organizations().send(new ListRootsCommand({}))).Roots?.[0]?.Id;
    await management
      .organizations()
      .send(new EnablePolicyTypeCommand({ RootId: root, PolicyType: 'SERVICE_CONTROL_POLICY' }));

    const { code, byId, summary, stderr } = await doctor(org.configDir);
    expect(code, stderr).toBe(0);
    expect(summary.fail).toBe(0);
    for (const kind of ['management', 'cicd', 'identity', 'dns', 'logs', 'audit'])
      expect(byId[`account-${kind}`]?.message, kind).toContain(
        'reachable through OrganizationAccountAccessRole',
      );
    expect(byId['stacksets-trusted-access']?.status).toBe('pass');
    expect(byId['policy-type-scp']?.status).toBe('pass');
    // bootstrapOrganization created the artifact buckets of both regions.
    expect(byId[`artifacts-${HOME_REGION}`]?.status).toBe('pass');
    expect(byId['artifacts-us-west-2']?.status).toBe('pass');
    const config = await loadConfig(org.configDir);
    expect(byId['scp-limits']?.message).toContain(`limit ${config.organization.limits.scp_per_target}`);
  });
});
