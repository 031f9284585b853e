import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { runs } from '../../support/property.js';
import { BASE, lineOf } from '../config/support.js';

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

function configDir(accountsYml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'orgbridge-dsl-'));
  writeFileSync(join(dir, 'accounts.yml'), accountsYml);
  return dir;
}

describe('orgbridge validate', () => {
  it('exits 0 on the example configuration', async () => {
    const { code, stdout } = await run('-c', 'examples', 'validate');
    expect(code).toBe(0);
    expect(stdout).toMatch(/valid \(79 accounts, 7 scopes, 11 policies, 7 ECR repositories\)/);
  });

  it('exits 1 with every error as file:line:col on stderr, no stack trace', async () => {
    const dir = configDir(
      'organization:\n  management: m\n  root_ou: Internal\n  morgue_ou: Morgue\n  event_bus: bus\n  email_template: aws+{name}@example.com\nscopes:\n  dev:\n    organization_unit: Dev\naccounts:\n  m:\n    scope: deev\n    regoin: x\n',
    );
    const { code, stderr, stdout } = await run('-c', dir, 'validate');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      "accounts.yml:13:5: unknown key 'regoin' in accounts.m; did you mean 'region'? [DSL_UNKNOWN_KEY]",
    );
    expect(stderr).toContain('2 errors in the configuration');
    expect(stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('reports YAML syntax errors with a position', async () => {
    const { code, stderr } = await run('-c', configDir('organization:\n  management: [m\n'), 'validate');
    expect(code).toBe(1);
    expect(stderr).toMatch(/accounts\.yml:\d+:\d+: invalid YAML: .*\[DSL_YAML_SYNTAX\]/);
  });

  it('exits 1 when there is no accounts.yml', async () => {
    const { code, stderr } = await run('-c', mkdtempSync(join(tmpdir(), 'orgbridge-empty-')), 'validate');
    expect(code).toBe(1);
    expect(stderr).toContain('[DSL_MISSING_FILE]');
  });

  it('given accounts.yml instead of its directory, says -c takes the directory', async () => {
    const dir = configDir(BASE);
    const { code, stderr } = await run('-c', join(dir, 'accounts.yml'), 'validate');
    expect(code).toBe(1);
    expect(stderr).toContain('[DSL_READ_FAILED]');
    expect(stderr).toContain(`hint: -c takes the config repository's directory, e.g. -c ${dir}`);
  });
});

describe('orgbridge validate on damaged files', () => {
  it('exits 1 with only positioned, coded messages (or 0 when the damage is harmless)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-fuzz-'));
    const lines = BASE.split('\n');
    await fc.assert(
      fc.asyncProperty(fc.nat(lines.length - 1), fc.string({ maxLength: 20 }), async (line, text) => {
        const damaged = [...lines];
        damaged[line] = text;
        writeFileSync(join(dir, 'accounts.yml'), damaged.join('\n'));
        const { code, stderr } = await run('-c', dir, 'validate');
        if (code === 0) return;
        expect(code).toBe(1);
        const messages = stderr
          .split('\n')
          .filter((l) => !l.startsWith('  hint:') && !/ errors? in the configuration$/.test(l));
        expect(messages.length).toBeGreaterThan(0);
        for (const message of messages)
          expect(message).toMatch(/^accounts\.yml:\d+:\d+: .* \[DSL_[A-Z_]+\]$/s);
      }),
      { numRuns: runs(40) },
    );
  });
});

describe('orgbridge accounts', () => {
  it('--json prints the documented keys for every account', async () => {
    const { code, stdout } = await run('-c', 'examples', 'accounts', '--json');
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(79);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual([
        'key',
        'name',
        'email',
        'scope',
        'organization_unit',
        'region',
        'environment',
        'service',
        'tags',
        'settings',
      ]);
    }
    expect(rows.find((r) => r.key === 'ledger')).toMatchObject({
      name: 'ledger-prod-ap-southeast-2',
      organization_unit: 'Internal/Standard',
      settings: { nat_gateway_count: 3, protect: true, create_vpc: true },
    });
  });

  it('prints a table without --json', async () => {
    const { code, stdout } = await run('-c', 'examples', 'accounts');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^KEY\s+NAME\s+OU\s+REGION\s+ENVIRONMENT\s+KIND/);
    expect(stdout).toMatch(
      /\ncicd\s+cicd-prod-ap-southeast-2\s+Internal\/Infra\s+ap-southeast-2\s+prod\s+cicd\n/,
    );
    expect(stdout).toContain('79 accounts');
  });
});

describe('orgbridge explain', () => {
  // Lines of the example config, found in it rather than counted (a comment added above moves them).
  const example = readFileSync('examples/accounts.yml', 'utf8');

  it('says which layer and line set a setting', async () => {
    const { code, stdout } = await run('-c', 'examples', 'explain', 'data-lake-dev', 'create_vpc');
    expect(code).toBe(0);
    expect(stdout).toMatch(/create_vpc\s+false\s+account accounts\.yml:\d+:5/);
    const scoped = await run('-c', 'examples', 'explain', 'auth-dev', 'create_vpc');
    // auth-dev is in scope dev, the first to set create_vpc: true.
    expect(scoped.stdout).toMatch(
      new RegExp(`create_vpc\\s+true\\s+scope accounts\\.yml:${lineOf(example, 'create_vpc: true')}:5`),
    );
  });

  it('lists every setting, and a prefix selects a group', async () => {
    const all = await run('-c', 'examples', 'explain', 'cicd');
    expect(all.stdout).toMatch(
      new RegExp(
        `nat_gateway_count\\s+3\\s+defaults accounts\\.yml:${lineOf(example, 'nat_gateway_count: 3')}:3`,
      ),
    );
    expect(all.stdout).toMatch(
      new RegExp(
        `name\\s+"cicd-prod-ap-southeast-2"\\s+template accounts\\.yml:${lineOf(example, 'name_template:')}:3`,
      ),
    );
    const tags = await run('-c', 'examples', 'explain', 'cicd', 'tags', '--json');
    expect(Object.keys(JSON.parse(tags.stdout))).toEqual(
      expect.arrayContaining([
        'tags.scope',
        'tags.service-name',
        'tags.environment',
        'tags.region',
        'tags.cost-centre',
      ]),
    );
  });

  it('suggests the account or setting meant', async () => {
    const account = await run('-c', 'examples', 'explain', 'cicdd');
    expect(account.code).toBe(1);
    expect(account.stderr).toContain("no account 'cicdd'; did you mean 'cicd'? [DSL_UNKNOWN_ACCOUNT]");
    const setting = await run('-c', 'examples', 'explain', 'cicd', 'nat_gateway');
    expect(setting.code).toBe(1);
    expect(setting.stderr).toContain("did you mean 'nat_gateway_count'?");
  });
});

describe('orgbridge schema', () => {
  it('prints the JSON Schema of accounts.yml', async () => {
    const { code, stdout } = await run('schema');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as {
      properties: Record<string, unknown>;
      additionalProperties: boolean;
    };
    expect(Object.keys(schema.properties)).toEqual([
      'organization',
      'defaults',
      'scopes',
      'accounts',
      'unmanaged',
      'policies',
      'notifications',
    ]);
    expect(schema.additionalProperties).toBe(false);
  });

  it('prints the JSON Schema of a customization definition with --stack', async () => {
    const { code, stdout } = await run('schema', '--stack');
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual([
      'description',
      'targets',
      'exclude',
      'regions',
      'parameters',
      'depends_on',
      'termination_protection',
      'keep_on_retire',
    ]);
    expect(schema.required).toEqual(['targets']);
  });
});
