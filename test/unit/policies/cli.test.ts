import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', '-c', 'examples', ...args], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

function testFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'orgbridge-scp-')), 'scp-tests.yml');
  writeFileSync(path, yaml);
  return path;
}

describe('orgbridge scp test', () => {
  it('passes the example cases and exits 0', async () => {
    const { code, stdout } = await run('scp', 'test');
    expect(code).toBe(0);
    // Every check of the example file passes, whatever their number (one per case and action).
    expect(stdout).toMatch(/^(\d+) passed, 0 failed \(\1 checks\)$/m);
    expect(stdout).not.toMatch(/^FAIL/m);
  });

  it('exits 1 on a wrong expectation and says why, with file:line', async () => {
    const path = testFile(
      '- name: dev may leave\n  account: payments-api-dev\n  action: organizations:LeaveOrganization\n  expect: allow\n',
    );
    const { code, stdout } = await run('scp', 'test', path);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL        dev may leave');
    expect(stdout).toMatch(
      /scp-tests\.yml:1: expected allow; explicitly denied by deny-leave-organization \(DenyLeaveOrganization\) on Internal/,
    );
  });

  it('reports absent condition keys on failure and gives JSON on request', async () => {
    const path = testFile(
      '- name: s3 anywhere\n  ou: Internal/Dev\n  action: s3:GetObject\n  expect: allow\n',
    );
    const { code, stdout } = await run('scp', 'test', path);
    expect(code).toBe(1);
    expect(stdout).toContain('absent condition keys: aws:PrincipalARN, aws:RequestedRegion');
    const json = await run('scp', 'test', path, '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ name: 's3 anywhere', decision: 'deny', expected: 'allow', pass: false }),
    ]);
  });

  it('rejects malformed cases and unknown accounts with their position', async () => {
    const bad = await run(
      'scp',
      'test',
      testFile('- name: x\n  account: a\n  action: s3:GetObject\n  expect: maybe\n'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/scp-tests\.yml:4:\d+: case 1 \('x'\), expect: .* \[SCP_TESTS_INVALID\]/);
    // An action or region no statement could match would let a case pass without testing anything.
    const vacuous = await run(
      'scp',
      'test',
      testFile(
        '- name: x\n  account: a\n  action: s3:GetObject\n  expect: allow\n- name: y\n  account: a\n  action: [s3:GetObject, s3 PutObject]\n  region: mars-1\n  expect: allow\n',
      ),
    );
    expect(vacuous.code).toBe(1);
    expect(vacuous.stderr).toContain(
      "case 2 ('y'), action[2]: must be one action written service:ActionName, e.g. s3:GetObject",
    );
    expect(vacuous.stderr).toContain("case 2 ('y'), region: must be an AWS region code such as us-east-1");
    const both = await run(
      'scp',
      'test',
      testFile('- name: x\n  account: a\n  ou: b\n  action: s3:GetObject\n  expect: deny\n'),
    );
    expect(both.stderr).toContain('give exactly one of `account` or `ou`');
    const unknown = await run(
      'scp',
      'test',
      testFile('- name: x\n  account: payments-api-devv\n  action: s3:GetObject\n  expect: allow\n'),
    );
    expect(unknown.stderr).toContain(
      "no account 'payments-api-devv'; did you mean 'payments-api-dev'? [SCP_TESTS_UNKNOWN_ACCOUNT]",
    );
  });
});

describe('orgbridge effective-policy', () => {
  it('prints the merged tag policy of an account without operators', async () => {
    const { code, stdout, stderr } = await run('effective-policy', 'card-vault', '--type', 'tag');
    expect(code).toBe(0);
    expect(stderr).toContain('Root -> Internal -> Internal/Cde');
    const policy = JSON.parse(stdout);
    expect(policy.tags['cost-centre'].tag_key).toBe('cost-centre');
    expect(policy.tags['data-classification'].enforced_for).toEqual([
      's3:bucket',
      'dynamodb:table',
      'rds:db',
    ]);
    expect(stdout).not.toContain('@@');
  });

  it('gives backup policies by OU and JSON with diagnostics', async () => {
    const { code, stdout } = await run('effective-policy', 'payments-api', '--type', 'backup', '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      account: 'payments-api',
      ou: 'Internal/Standard',
      type: 'backup',
      diagnostics: [],
    });
    expect(out.policy.plans.Monthly_Backup_Plan.regions).toEqual(['ap-southeast-2', 'us-east-1']);
    // What the pipeline creates: roles once, the home region's vaults in the baseline, the
    // plan's other region in its own stack.
    expect(out.backup).toEqual({
      roles: ['orgbridge-backup', 'MyMonthlyBackupIamRole'],
      vaults: [
        { region: 'ap-southeast-2', stack: 'orgbridge-account-baseline', vaults: ['Default'] },
        { region: 'us-east-1', stack: 'orgbridge-backup-vaults', vaults: ['Default'] },
      ],
      not_created: [],
      left_alone: [],
    });
  });

  it("prints where the backup policy's vaults and roles are created, copy targets included", async () => {
    const { code, stdout, stderr } = await run('effective-policy', 'card-vault', '--type', 'backup');
    expect(code).toBe(0);
    // stdout stays the policy JSON alone.
    expect(JSON.parse(stdout).plans.Daily_Backup_Plan).toBeDefined();
    expect(stderr).toContain('backup: what the pipeline creates in card-vault');
    expect(stderr).toMatch(/roles \(IAM, every region\)\s+orgbridge-backup, BackupRole/);
    expect(stderr).toMatch(/vaults in ap-southeast-2\s+Default \(Backup API, if missing\)/);
    // Cde's daily plan copies to the account's own vault Default in us-west-2.
    expect(stderr).toMatch(/vaults in us-west-2\s+Default \(Backup API, if missing\)/);
    expect((await run('effective-policy', 'card-vault', '--type', 'tag')).stderr).not.toContain('backup:');
  });

  it('refuses scp and unknown accounts', async () => {
    expect((await run('effective-policy', 'card-vault', '--type', 'scp')).stderr).toContain(
      '[CLI_INVALID_POLICY_TYPE]',
    );
    expect((await run('effective-policy', 'card-vaul', '--type', 'tag')).stderr).toContain(
      "did you mean 'card-vault'?",
    );
  });
});
