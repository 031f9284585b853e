import { describe, expect, it } from 'vitest';
import type { ResolvedAccount, ResolvedConfig } from '../../../src/config/model.js';
import { buildOuTree, escapeHtml, renderHtmlReport } from '../../../src/report/html.js';

function account(key: string, ou: string, extra: Partial<ResolvedAccount> = {}): ResolvedAccount {
  return {
    key,
    name: `${key}-nonprod-us-east-1`,
    email: `aws+${key}@example.com`,
    kind: 'member',
    scope: 'dev',
    organization_unit: ou,
    region: 'us-east-1',
    environment: 'nonprod',
    service: key,
    tags: { scope: 'dev' },
    protect: false,
    allowed_dns_domains: [],
    access: {},
    settings: { create_vpc: false },
    provenance: { create_vpc: { layer: 'account', file: '/cfg/accounts.yml', line: 42, column: 5 } },
    ...extra,
  };
}

const config = (accounts: ResolvedAccount[]): ResolvedConfig =>
  ({
    directory: '/cfg',
    accounts,
    scopes: {},
    defaults: {},
    ecr: [],
    policies: [],
  }) as unknown as ResolvedConfig;

describe('HTML report', () => {
  it('nests accounts under their OU path', () => {
    const tree = buildOuTree([
      account('a', 'Internal/Dev'),
      account('b', 'Internal/Dev'),
      account('c', 'Internal'),
    ]);
    const internal = tree.children.get('Internal');
    expect(internal?.accounts.map((a) => a.key)).toEqual(['c']);
    expect(internal?.children.get('Dev')?.accounts.map((a) => a.key)).toEqual(['a', 'b']);
  });

  it('renders provenance, ids, plan counts and escapes every value', () => {
    const html = renderHtmlReport({
      config: config([account('foo', 'Internal/Dev', { tags: { owner: '<script>alert(1)</script>' } })]),
      accountIds: { foo: '111122223333' },
      plan: [
        { action: 'create-account', target: 'foo', reason: 'new in accounts.yml' },
        { action: 'create-account', target: 'bar', reason: 'new' },
        { action: 'move-account', target: 'baz', reason: 'scope changed' },
      ],
      generatedAt: new Date('2026-11-23T00:00:00Z'),
    });
    expect(html).toContain('accounts.yml:42');
    expect(html).toContain('111122223333');
    expect(html).toContain('create-account: 2 · move-account: 1');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toMatch(/<li class="ou"><span>Internal\/<\/span><ul><li class="ou"><span>Dev\/<\/span>/);
  });

  it('says when there is nothing to do, and when no plan was computed', () => {
    expect(renderHtmlReport({ config: config([]), plan: [], generatedAt: new Date() })).toContain(
      'Nothing to do',
    );
    expect(renderHtmlReport({ config: config([]), generatedAt: new Date() })).toContain(
      'No plan was computed',
    );
  });

  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
