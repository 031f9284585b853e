import { describe, expect, it } from 'vitest';
import { BASE, lineOf, resolveOk, withAccounts } from './support.js';

const TEXT = withAccounts(`  foo:
    scope: dev
    region: us-east-1
    create_vpc: false
    tags:
      owner: alice
  bar:
    service: billing
    scope: dev
    regions: [us-east-1]
    region: us-east-1
    access:
      rw: ReadOnly
`);

describe('resolution: defaults -> scope -> account', () => {
  const config = resolveOk(TEXT);
  const foo = config.accounts.find((a) => a.key === 'foo');
  const bar = config.accounts.find((a) => a.key === 'bar');
  if (!foo || !bar) throw new Error('accounts missing');

  it('sorts accounts by key', () => {
    expect(config.accounts.map((a) => a.key)).toEqual([
      'audit',
      'bar',
      'cicd',
      'dns',
      'foo',
      'identity',
      'logs',
      'mgmt',
    ]);
  });

  it('takes the most specific layer and records where each value came from', () => {
    expect(foo.settings.create_vpc).toBe(false);
    expect(foo.provenance.create_vpc).toEqual({
      layer: 'account',
      file: 'accounts.yml',
      line: lineOf(TEXT, 'create_vpc: false'),
      column: 5,
    });
    expect(bar.settings.create_vpc).toBe(true);
    expect(bar.provenance.create_vpc).toMatchObject({
      layer: 'scope',
      line: lineOf(TEXT, 'create_vpc: true'),
    });
    expect(foo.provenance.region).toMatchObject({
      layer: 'account',
      line: lineOf(TEXT, 'region: us-east-1'),
    });
    const mgmt = config.accounts.find((a) => a.key === 'mgmt');
    expect(mgmt?.region).toBe('ap-southeast-2');
    expect(mgmt?.provenance.region).toMatchObject({
      layer: 'defaults',
      line: lineOf(TEXT, 'region: ap-southeast-2'),
    });
  });

  it('falls back to builtin defaults, marked as such', () => {
    expect(foo.environment).toBe('nonprod');
    expect(foo.provenance.environment).toMatchObject({ layer: 'builtin' });
    expect(foo.settings.nat_gateway_count).toBe(1);
    expect(foo.settings.global_region).toBe('us-east-1');
    expect(foo.protect).toBe(false);
  });

  it('replaces lists and merges maps', () => {
    expect(foo.settings.regions).toEqual(['ap-southeast-2', 'us-east-1']);
    expect(bar.settings.regions).toEqual(['us-east-1']);
    expect(foo.tags).toEqual({
      team: 'platform',
      owner: 'alice',
      scope: 'dev',
      'service-name': 'foo',
      environment: 'nonprod',
      region: 'us-east-1',
    });
    expect(foo.provenance['tags.team']).toMatchObject({
      layer: 'defaults',
      line: lineOf(TEXT, 'team: platform'),
    });
    const mgmt = config.accounts.find((a) => a.key === 'mgmt');
    expect(mgmt?.tags.team).toBe('sre');
    expect(mgmt?.provenance['tags.team']).toMatchObject({ layer: 'scope', line: lineOf(TEXT, 'team: sre') });
  });

  it('expands name and email templates (default name template: {key}-{environment}-{region})', () => {
    expect(foo.name).toBe('foo-nonprod-us-east-1');
    expect(foo.email).toBe('aws+foo-nonprod-us-east-1@example.com');
    expect(foo.provenance.name).toMatchObject({ layer: 'builtin' });
    expect(foo.provenance.email).toMatchObject({ layer: 'template', line: lineOf(TEXT, 'email_template') });
    expect(bar.service).toBe('billing');
    expect(bar.tags['service-name']).toBe('billing');
  });

  it('places a bare OU name under root_ou and keeps paths from the root', () => {
    expect(foo.organization_unit).toBe('Internal/Dev');
    expect(config.accounts.find((a) => a.key === 'mgmt')?.organization_unit).toBe('Internal/Infra');
  });

  it('parses access patterns into group -> roles, account entries overriding by group', () => {
    expect(foo.access).toEqual({ all: ['Admin'], rw: ['PowerUser', 'Developer'] });
    expect(bar.access).toEqual({ all: ['Admin'], rw: ['ReadOnly'] });
    expect(bar.provenance['access.rw']).toMatchObject({
      layer: 'account',
      line: lineOf(TEXT, 'rw: ReadOnly'),
    });
  });

  it('marks the special accounts by kind', () => {
    const kinds = Object.fromEntries(config.accounts.map((a) => [a.key, a.kind]));
    expect(kinds).toMatchObject({ mgmt: 'management', cicd: 'cicd', dns: 'dns', foo: 'member' });
  });

  it('fills organization defaults and limits', () => {
    expect(config.organization).toMatchObject({
      event_source: 'app.infra',
      name_template: '{key}-{environment}-{region}',
      access_role_name: 'OrganizationAccountAccessRole',
      close_retired_accounts: false,
      limits: { scp_max_chars: 5120, scp_per_target: 5, tags_per_account: 50, ou_depth: 5 },
    });
  });

  it('is JSON-serialisable as it is', () => {
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });

  it('resolves the same through the library path (anchors) as through the fast path', () => {
    const viaLibrary = resolveOk(`${TEXT}  anchored: &a\n    scope: dev\n  copy: *a\n`);
    expect(viaLibrary.accounts.find((a) => a.key === 'foo')).toEqual(foo);
    expect(viaLibrary.accounts.find((a) => a.key === 'copy')?.scope).toBe('dev');
  });

  it('reads merge keys: the entries merged in, the account entries winning', () => {
    const text = `${TEXT}  base: &base\n    scope: dev\n    region: us-east-1\n  merged:\n    <<: *base\n    region: ap-southeast-2\n`;
    const merged = resolveOk(text).accounts.find((a) => a.key === 'merged');
    expect({ scope: merged?.scope, region: merged?.region }).toEqual({
      scope: 'dev',
      region: 'ap-southeast-2',
    });
    // The account's own entry, after the merge key (defaults has the same line before it).
    expect(merged?.provenance.region?.line).toBe(
      text.split('\n').lastIndexOf('    region: ap-southeast-2') + 1,
    );
  });

  it('reads account overrides of limits', () => {
    const limited = resolveOk(
      BASE.replace('  event_bus: bus\n', '  event_bus: bus\n  limits:\n    scp_per_target: 10\n'),
    );
    expect(limited.organization.limits.scp_per_target).toBe(10);
    expect(limited.organization.limits.backup_policies_per_target).toBe(10);
  });
});
