import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { BASE } from '../config/support.js';

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orgbridge-ignored-'));
  writeFileSync(join(dir, 'accounts.yml'), BASE);
  return dir;
}

/** Every error line of stderr (`file:line:col: message [CODE]`). */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /\[[A-Z_]+\]$/.test(l));

describe('nothing under the config directory is ignored silently', () => {
  it('a file under policies/ that is not a .json policy is an error saying why, one per file', async () => {
    const dir = configDir();
    mkdirSync(join(dir, 'policies', 'scp'), { recursive: true });
    writeFileSync(join(dir, 'policies', 'scp', 'deny-all.yml'), 'x: 1\n');
    writeFileSync(join(dir, 'policies', 'scp', 'old.JSON'), '{}');
    writeFileSync(join(dir, 'policies', 'scp', 'x.json.bak'), '{}');
    const { code, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    const lines = errorLines(stderr);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^policies\/scp\/deny-all\.yml:1:1: .*is not read.*\[DSL_POLICY_FILE_NOT_READ\]$/,
    );
    expect(lines[1]).toMatch(/^policies\/scp\/old\.JSON:1:1: /);
    expect(lines[2]).toMatch(/^policies\/scp\/x\.json\.bak:1:1: /);
    expect(stderr).toContain('rename it to policies/scp/old.json');
    expect(stderr).toContain('convert it to .json');
  });

  it('a symbolic link under policies/ or stacks/ is an error, not followed and not skipped', async () => {
    const dir = configDir();
    const shared = mkdtempSync(join(tmpdir(), 'orgbridge-shared-'));
    writeFileSync(join(shared, 'deny.json'), '{"Version":"2012-10-17","Statement":[]}');
    mkdirSync(join(dir, 'policies', 'scp', 'Internal'), { recursive: true });
    symlinkSync(join(shared, 'deny.json'), join(dir, 'policies', 'scp', 'Internal', 'deny.json'));
    symlinkSync(shared, join(dir, 'policies', 'scp', 'Other'));
    mkdirSync(join(dir, 'stacks', 'params'), { recursive: true });
    writeFileSync(join(dir, 'stacks', 'params', 'stack.yml'), 'targets: {all: true}\n');
    symlinkSync(join(shared, 'deny.json'), join(dir, 'stacks', 'params', 'template.yml'));
    const { code, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    const links = errorLines(stderr).filter((l) => l.endsWith('[DSL_FILE_IS_LINK]'));
    expect(links.map((l) => l.split(':')[0])).toEqual([
      'policies/scp/Internal/deny.json',
      'policies/scp/Other',
      'stacks/params/template.yml',
    ]);
    expect(stderr).toContain('is a symbolic link: orgbridge does not follow links');
  });

  it('policies/ or stacks/ that is itself a symbolic link is an error, and nothing under it is read', async () => {
    const dir = configDir();
    const shared = mkdtempSync(join(tmpdir(), 'orgbridge-shared-'));
    mkdirSync(join(shared, 'policies', 'scp'), { recursive: true });
    writeFileSync(join(shared, 'policies', 'scp', 'broken.json'), '{');
    mkdirSync(join(shared, 'stacks', 'params'), { recursive: true });
    writeFileSync(join(shared, 'stacks', 'params', 'stack.yml'), 'nonsense: [\n');
    symlinkSync(join(shared, 'policies'), join(dir, 'policies'));
    symlinkSync(join(shared, 'stacks'), join(dir, 'stacks'));
    const { code, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    // Only the two links: what they point at is never parsed.
    expect(errorLines(stderr).map((l) => l.replace(/: .*\[/, ' ['))).toEqual([
      'policies:1:1 [DSL_FILE_IS_LINK]',
      'stacks:1:1 [DSL_FILE_IS_LINK]',
    ]);
  });

  it('a policy file starting with a byte order mark is read like one without', async () => {
    const dir = configDir();
    mkdirSync(join(dir, 'policies', 'tag', 'Internal'), { recursive: true });
    const tags = '{"tags":{"team":{"tag_key":{"@@assign":"team"}}}}';
    writeFileSync(join(dir, 'policies', 'tag', 'Internal', 'team.json'), `\ufeff${tags}`);
    const { code, stderr, stdout } = await run('-c', dir, 'validate');
    expect(stderr).not.toContain('DSL_POLICY_INVALID_JSON');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('valid');
  });

  it('accounts.yaml is named in the error', async () => {
    const dir = configDir();
    renameSync(join(dir, 'accounts.yml'), join(dir, 'accounts.yaml'));
    const { code, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    expect(stderr).toContain('but there is accounts.yaml');
    expect(stderr).toContain('rename accounts.yaml to accounts.yml');
  });

  it('`local -c <dir without accounts.yml>` is an error, not a run of the bundled examples', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-empty-'));
    const { code, stderr, stdout } = await run('-c', dir, 'local');
    expect(code).toBe(1);
    expect(stderr).toContain(`no accounts.yml in ${dir}`);
    expect(stdout).not.toContain('examples');
    // Loading the local runner's modules (the SDK clients) takes seconds on a loaded machine.
  }, 60_000);

  it('validate checks policies/scp-tests.yml: a malformed case is an error', async () => {
    const dir = configDir();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'scp-tests.yml'), '- name: x\n  account: mgmt\n  expect: maybe\n');
    const { code, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    expect(errorLines(stderr).every((l) => l.startsWith('policies/scp-tests.yml:'))).toBe(true);
    expect(stderr).toContain('[SCP_TESTS_INVALID]');
  });

  it('a case or an ECR grant naming what accounts.yml no longer lists is a warning naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-retire-'));
    cpSync('examples', dir, { recursive: true });
    writeFileSync(
      join(dir, 'policies', 'scp-tests.yml'),
      "- name: retired\n  account: gone-account\n  action: 's3:GetObject'\n  expect: allow\n",
    );
    // ...and a pull grant for a service whose last account left accounts.yml.
    const ecr = readFileSync(join(dir, 'ecr.yml'), 'utf8');
    writeFileSync(join(dir, 'ecr.yml'), `${ecr}- name: old-tool\n  pull:\n    - services: [old-tool]\n`);
    const grantLine = ecr.split('\n').length + 2;
    const { code, stdout, stderr } = await run('-c', dir, 'validate');
    expect(code).toBe(0);
    expect(stdout).toContain('2 warnings');
    expect(stderr).toMatch(/^warning: policies\/scp-tests\.yml:1:\d+: no account 'gone-account'/m);
    expect(stderr).toMatch(
      new RegExp(
        `^warning: ecr\\.yml:${grantLine}:\\d+: repository 'old-tool': no account runs service 'old-tool'`,
        'm',
      ),
    );
  });
});
