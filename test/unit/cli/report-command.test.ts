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
import { accountsSection } from '../../../src/plan/section-accounts.js';
import { renderOrganizationPlanJson } from '../../../src/plan/section-render.js';
import { organizationPlan } from '../../../src/plan/sections.js';

const dir = mkdtempSync(join(tmpdir(), 'orgbridge-report-cmd-'));

/** The account plan of the examples against an organization with only its root. */
async function examplesAgainstEmptyOrganization() {
  return planAccountChanges({
    config: await loadConfig('examples'),
    observed: { rootId: 'r-root', managementAccountId: '111111111111', ous: { '': 'r-root' }, accounts: [] },
    now: new Date('2026-11-23T00:00:00Z'),
  });
}

describe('orgbridge report --html', () => {
  it('renders the example organization with its provenance and a saved plan', async () => {
    const planFile = join(dir, 'plan.json');
    const out = join(dir, 'report.html');
    // What `orgbridge plan --json` prints for the examples against an empty organization.
    const plan = await examplesAgainstEmptyOrganization();
    expect(plan.version).toBe(PLAN_VERSION);
    writeFileSync(planFile, renderPlanJson(plan));
    const creates = plan.actions.filter((a) => a.action === 'create-account').length;
    expect(creates).toBeGreaterThan(70);
    const io = memoryIo();
    const code = await main(
      ['node', 'orgbridge', '-c', 'examples', 'report', '--html', out, '--plan', planFile, '--offline'],
      io,
    );
    expect(code, io.stderr.join('\n')).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`<b>Not applied</b>: ${plan.actions.length} actions pending (${planFile})`);
    expect(html.match(/create-account [a-z0-9-]+: /g)).toHaveLength(creates);
    expect(html).toContain('accounts.yml:');
    expect(io.stdout.join('')).toContain(
      `report.html (79 accounts in the config, ${plan.actions.length} planned actions)`,
    );
  });

  it('reads a saved organization plan (version 2) as well', async () => {
    const planFile = join(dir, 'plan-v2.json');
    const accounts = await examplesAgainstEmptyOrganization();
    writeFileSync(
      planFile,
      renderOrganizationPlanJson(
        organizationPlan([accountsSection(accounts)], new Date('2026-11-23T00:00:00Z')),
      ),
    );
    const io = memoryIo();
    const out = join(dir, 'v2.html');
    const code = await main(
      ['node', 'orgbridge', '-c', 'examples', 'report', '--html', out, '--plan', planFile, '--offline'],
      io,
    );
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain(`${accounts.actions.length} actions pending`);
  });

  // Loading the AWS SDK's clients the first time takes seconds on a busy machine: a longer timeout.
  it('with AWS out of reach says how to get a report anyway', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    try {
      const io = memoryIo();
      const code = await main(
        ['node', 'orgbridge', '-c', 'examples', 'report', '--html', join(dir, 'y.html')],
        io,
      );
      expect(code).toBe(1);
      expect(io.stderr.join('\n')).toMatch(
        /REPORT_AWS_UNREACHABLE[\s\S]*--offline for a report of the configuration alone/,
      );
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }, 30_000);

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

  it.each([
    [
      '--html in a directory that does not exist',
      ['--html', '/nonexistent-orgbridge/r.html'],
      'cannot write --html /nonexistent-orgbridge/r.html: no such file or directory',
    ],
    ['--html naming a directory', ['--html', dir], `cannot write --html ${dir}: it is a directory`],
    [
      '--plan that does not exist',
      ['--html', join(dir, 'y.html'), '--plan', join(dir, 'none.json')],
      `cannot read --plan ${join(dir, 'none.json')}: no such file or directory`,
    ],
  ])('says which file it cannot use and why: %s', async (_what, args, message) => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', 'examples', 'report', '--offline', ...args], io);
    expect(code).toBe(1);
    const err = io.stderr.join('\n');
    expect(err).toContain(message);
    expect(err).toContain('[REPORT_FILE]');
    expect(err).not.toContain('unexpected error');
  });
});
