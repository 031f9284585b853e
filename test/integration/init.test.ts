import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { useProcessEnv } from '../support/env.js';
import { createOrganization, useMoto } from '../support/moto.js';

const cli = async (...args: string[]) => {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
};
const fresh = () => join(mkdtempSync(join(tmpdir(), 'orgbridge-init-')), 'org');

describe('orgbridge init', () => {
  const moto = useMoto();
  useProcessEnv(() => ({
    AWS_ENDPOINT_URL: moto().server.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
  }));
  let management: { id: string; email: string };
  beforeAll(async () => {
    await createOrganization(moto().management);
    const { Organization } = await moto()
      .management.organizations()
      .send(new DescribeOrganizationCommand({}));
    management = {
      id: Organization?.MasterAccountId as string,
      email: Organization?.MasterAccountEmail as string,
    };
  });

  it('fills in the management account from the credentials, and the scaffold validates', async () => {
    const dir = fresh();
    const init = await cli('init', dir);
    expect(init.code).toBe(0);
    const accounts = parse(readFileSync(join(dir, 'accounts.yml'), 'utf8'));
    expect(accounts.accounts.management).toMatchObject({ id: management.id, email: management.email });
    const validate = await cli('-c', dir, 'validate');
    expect(validate.err).not.toMatch(/error/i);
    expect(validate.code).toBe(0);
    const scp = await cli('-c', dir, 'scp', 'test');
    expect(scp.code).toBe(0);
  });

  it('without an organization (--offline) leaves placeholders that still validate', async () => {
    const dir = fresh();
    expect((await cli('init', dir, '--offline')).code).toBe(0);
    const text = readFileSync(join(dir, 'accounts.yml'), 'utf8');
    expect(text).toContain('# yaml-language-server: $schema=./accounts.schema.json');
    expect(text).not.toContain(management.id);
    expect((await cli('-c', dir, 'validate')).code).toBe(0);
  });

  it('writes a workflow that validates and plans pull requests and applies main', async () => {
    const dir = fresh();
    await cli('init', dir, '--offline');
    const workflow = parse(readFileSync(join(dir, '.github/workflows/orgbridge.yml'), 'utf8'));
    expect(workflow.permissions['id-token']).toBe('write');
    const runs = (job: string) =>
      (workflow.jobs[job].steps as { run?: string }[]).flatMap((s) => (s.run ? [s.run] : [])).join('\n');
    expect(runs('plan')).toContain('orgbridge validate');
    expect(runs('plan')).toContain('orgbridge plan --markdown');
    for (const action of ['sync-accounts', 'pipeline', 'sync-policies', 'sync-ecr'])
      expect(runs('apply')).toContain(`orgbridge run --action ${action} --execute`);
    expect(runs('plan')).not.toContain('npx orgbridge');
    // The CLI is installed pinned to the version that wrote the scaffold.
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(workflow.env.ORGBRIDGE_PACKAGE).toBe(`orgbridge@${version}`);
    for (const job of ['plan', 'apply'])
      expect(runs(job)).toContain('npm install --global "$ORGBRIDGE_PACKAGE"');
  });

  it('refuses a non-empty directory without --force', async () => {
    const dir = fresh();
    await cli('init', dir, '--offline');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const again = await cli('init', dir, '--offline');
    expect(again.code).toBe(1);
    expect(again.err).toContain('INIT_OUT_EXISTS');
    expect((await cli('init', dir, '--offline', '--force')).code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
