import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/config/index.js';
import { planAccountChanges } from '../../../src/plan/accounts.js';
import { PLAN_VERSION } from '../../../src/plan/model.js';
import { renderPlanJson } from '../../../src/plan/render.js';

const dir = mkdtempSync(join(tmpdir(), 'orgbridge-report-cmd-'));

describe('orgbridge report --html', () => {
  it('renders the example organization with its provenance and a saved plan', async () => {
    const planFile = join(dir, 'plan.json');
    const out = join(dir, 'report.html');
    // What `orgbridge plan --json` prints for the examples against an empty organization.
    const config = await loadConfig('examples');
    const plan = planAccountChanges({
      config,
      observed: {
        rootId: 'r-root',
        managementAccountId: '111111111111',
        ous: { '': 'r-root' },
        accounts: [],
      },
      now: new Date('2026-11-23T00:00:00Z'),
    });
    expect(plan.version).toBe(PLAN_VERSION);
    writeFileSync(planFile, renderPlanJson(plan));
    const creates = plan.actions.filter((a) => a.action === 'create-account').length;
    expect(creates).toBeGreaterThan(70);
    const io = memoryIo();
    const code = await main(
      ['node', 'orgbridge', '-c', 'examples', 'report', '--html', out, '--plan', planFile],
      io,
    );
    expect(code, io.stderr.join('\n')).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`create-account: ${creates}`);
    expect(html).toContain('accounts.yml:');
    expect(io.stdout.join('')).toContain(`report.html (79 accounts, ${plan.actions.length} planned actions)`);
  });

  it('refuses a file that is not a plan, naming it', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"hello": 1}');
    const io = memoryIo();
    const code = await main(
      ['node', 'orgbridge', '-c', 'examples', 'report', '--html', join(dir, 'x.html'), '--plan', bad],
      io,
    );
    expect(code).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/bad\.json is not an orgbridge plan.*REPORT_PLAN_INVALID/s);
  });
});
