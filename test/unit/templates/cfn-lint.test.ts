import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { templateInputs } from '../../../src/templates/inputs.js';
import { renderTemplates } from '../../../src/templates/synth.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * cfn-lint (AWS's CloudFormation linter, preinstalled) over every template, AWS and local
 * variants, in ONE invocation: it takes seconds to start.
 */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const dir = mkdtempSync(join(tmpdir(), 'orgbridge-cfn-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(cfnLint.status !== 0)('cfn-lint', () => {
  it('finds no error and no warning in any generated template', { timeout: 120_000 }, () => {
    const inputs = templateInputs(syntheticConfig(20), {
      organizationId: 'o-abcdefghij',
      bundleKeys: BUNDLE_KEYS,
    });
    const files: string[] = [];
    for (const [variant, templates] of [
      ['aws', renderTemplates(inputs)],
      ['local', renderTemplates(inputs, { local: true })],
    ] as const) {
      for (const t of templates) {
        const file = join(dir, `${variant}-${t.name}.template.json`);
        writeFileSync(file, t.body);
        files.push(file);
      }
    }
    const run = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
    const findings = run.stdout.split('\n').filter(Boolean);
    expect(run.error).toBeUndefined();
    expect(findings).toEqual([]);
    expect(run.status).toBe(0);
  });
});
