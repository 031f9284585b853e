import { describe, expect, it } from 'vitest';
import type { ResolvedAccount } from '../../../src/config/model.js';
import { buildOuTree, escapeHtml, renderHtmlReport } from '../../../src/report/html.js';
import { reportRows } from '../../../src/report/model.js';
import { reportScenario, SANDBOX_NAME } from '../../support/report-scenario.js';
import { resolveOk, withAccounts } from '../config/support.js';
import { desired, NOW } from '../plan/fixtures.js';

describe('report rows: what AWS holds next to what the config wants', () => {
  const { config, observed, plan } = reportScenario();
  const rows = reportRows(config, observed, plan);
  const row = (key: string) => rows.find((r) => r.key === key);

  it('joins each configured account with its AWS account, and lists the accounts only AWS has', () => {
    expect(row('api')).toMatchObject({ state: 'active', wantedOu: 'Internal/Dev', awsOu: 'Internal/Dev' });
    expect(row('api')?.id).toMatch(/^\d{12}$/);
    // Moved by hand: drift, and the move that puts it back is pending.
    expect(row('web')).toMatchObject({ wantedOu: 'Internal/Dev', awsOu: 'Internal/Standard' });
    expect(row('web')?.drift).toEqual([expect.stringContaining('moved out of band')]);
    expect(row('web')?.actions).toEqual([expect.stringMatching(/^move-account web: /)]);
    expect(row('vault')).toMatchObject({ protect: true, scope: 'standard' });
    expect(row('batch')).toMatchObject({
      state: 'to-create',
      actions: [expect.stringMatching(/^create-account/)],
    });
    expect(row('batch')?.id).toBeUndefined();
    expect(row('legacy')).toMatchObject({ state: 'retired', awsOu: 'Morgue' });
    expect(row('legacy')?.retired).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(row('old')).toMatchObject({
      state: 'removed',
      actions: [expect.stringMatching(/^retire-account old/)],
    });
    expect(rows.find((r) => r.id === '555555555555')).toMatchObject({
      state: 'unmanaged',
      awsName: SANDBOX_NAME,
    });
  });

  it('without an observation, shows the configuration alone', () => {
    const offline = reportRows(config, undefined, undefined);
    expect(offline.map((r) => r.key)).toEqual(config.accounts.map((a) => a.key).sort());
    expect(offline.every((r) => r.state === 'active' && r.awsOu === undefined)).toBe(true);
  });
});

describe('HTML report', () => {
  const { config, observed, plan } = reportScenario();

  it('nests accounts under their OU path', () => {
    const tree = buildOuTree([desired('a'), desired('b'), desired('c', { organization_unit: 'Internal' })]);
    const internal = tree.children.get('Internal');
    expect(internal?.accounts.map((a) => a.key)).toEqual(['c']);
    expect(internal?.children.get('Dev')?.accounts.map((a) => a.key)).toEqual(['a', 'b']);
  });

  it('shows ids, real names and OUs, drift, the plan and filters; escapes every value', () => {
    const html = renderHtmlReport({
      config,
      observed,
      plan,
      planSource: 'computed now, not applied',
      generatedAt: NOW,
    });
    expect(html).toContain('<input type="search" id="search"');
    expect(html).toMatch(
      /<select id="filter-scope"><option value="">all<\/option><option value="dev">dev<\/option><option value="standard">standard<\/option><\/select>/,
    );
    expect(html).toContain('<option value="drift">drift only</option>');
    expect(html).toMatch(/data-ou="Internal\/Dev" data-state="active" data-drift="yes"/);
    expect(html).toContain('<span class="differs" title="what AWS has">AWS: Internal/Standard</span>');
    expect(html).toContain('<span class="flag protect">protected</span>');
    expect(html).toMatch(/<span class="flag retired">retired \d{4}-\d{2}-\d{2}<\/span>/);
    expect(html).toContain('<b>Not applied</b>: 3 actions pending (computed now, not applied)');
    expect(html).toContain('<h3>Drift: changed outside orgbridge (1)</h3>');
    expect(html).toContain('sandbox-by-hand');
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('says whether a run applied the plan, and what is left', () => {
    const html = renderHtmlReport({
      config,
      observed,
      plan: { ...plan, actions: [], drift: [] },
      applied: { applied: 5, failed: 1, total: 6 },
      generatedAt: NOW,
    });
    expect(html).toContain(
      '<b>Applied</b> by this run: 5 of 6 actions, <b class="bad">1 failed</b>. Nothing to do',
    );
  });

  it('names built-in defaults instead of a <builtin>:0 position', () => {
    const html = renderHtmlReport({ config, generatedAt: NOW });
    expect(html).not.toContain('builtin');
    expect(html).toContain('<td>true</td><td><small>orgbridge default</small></td>');
    expect(html).toContain('AWS was not read: the configuration alone');
    expect(html).toContain('No plan was computed for this report.');
  });

  it("lists each account's customizations: stack, regions, interpolated parameters", () => {
    const withStacks = resolveOk(withAccounts('  foo:\n    scope: dev\n    service: payments\n'), [
      {
        path: 'stacks/ssm/stack.yml',
        text: "targets: { accounts: [foo] }\nparameters: { Service: '{service}' }\n",
      },
      {
        path: 'stacks/ssm/template.yml',
        text: 'Parameters:\n  Service: { Type: String }\nResources:\n  P: { Type: AWS::SSM::Parameter, Properties: { Type: String, Value: !Ref Service } }\n',
      },
    ]);
    const html = renderHtmlReport({ config: withStacks, generatedAt: NOW });
    const foo = html.slice(html.indexOf('id="acct-foo"'));
    const section = foo.slice(0, foo.indexOf('</details>'));
    expect(section).toContain('<th>ssm</th><td>custom-ssm</td><td>ap-southeast-2</td>');
    expect(section).toContain('<code>Service=payments</code>');
    // Accounts the customization does not select show none.
    const mgmt = html.slice(html.indexOf('id="acct-mgmt"'));
    expect(mgmt.slice(0, mgmt.indexOf('</details>'))).not.toContain('customization');
  });

  it('keeps file positions relative to the config directory', () => {
    const account: ResolvedAccount = desired('x', {
      settings: { create_vpc: false },
      provenance: { create_vpc: { layer: 'account', file: '/cfg/accounts.yml', line: 42, column: 5 } },
    });
    const html = renderHtmlReport({ config: { ...config, accounts: [account] }, generatedAt: NOW });
    expect(html).toContain('account <small>accounts.yml:42</small>');
  });

  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});
