import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResolvedAccount, ResolvedConfig } from '../../src/config/model.js';
import { renderHtmlReport } from '../../src/report/html.js';

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0,
);

// Debian: apt-get install chromium. Without it the rendering check cannot run here.
describe.skipIf(!chromium)('HTML report in headless Chromium', () => {
  it('renders the organization tree and the accounts as a browser parses them', () => {
    const account: ResolvedAccount = {
      key: 'foo',
      name: 'foo-nonprod-us-east-1',
      email: 'aws+foo@example.com',
      kind: 'member',
      scope: 'dev',
      organization_unit: 'Internal/Dev',
      region: 'us-east-1',
      environment: 'nonprod',
      service: 'foo',
      tags: { scope: 'dev' },
      protect: false,
      allowed_dns_domains: [],
      access: {},
      settings: { create_vpc: true },
      provenance: { create_vpc: { layer: 'scope', file: '/cfg/accounts.yml', line: 7, column: 3 } },
    };
    const html = renderHtmlReport({
      config: { directory: '/cfg', accounts: [account] } as unknown as ResolvedConfig,
      plan: [{ action: 'create-account', target: 'foo', reason: 'new' }],
      generatedAt: new Date(),
    });
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const run = spawnSync(
      chromium as string,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--dump-dom',
        `file://${file}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    // The browser's serialised DOM: the tree nests Internal > Dev > the account link.
    expect(run.stdout).toMatch(
      /<span>Internal\/<\/span><ul><li class="ou"><span>Dev\/<\/span><ul><li class="account">/,
    );
    expect(run.stdout).toContain('href="#acct-foo"');
    expect(run.stdout).toContain('create-account: 1');
  });
});
