import { describe, expect, it } from 'vitest';
import { templateInputs } from '../../../src/templates/inputs.js';
import { renderTemplates } from '../../../src/templates/synth.js';
import { cfnLint } from '../../support/cfn-lint.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * cfn-lint (AWS's CloudFormation linter) over every template, AWS and local variants, through
 * the run's one cfn-lint process (test/support/cfn-lint.ts): starting cfn-lint takes seconds.
 */
describe('cfn-lint', () => {
  it('finds no error, warning or informational finding in any generated template', {
    timeout: 120_000,
  }, async () => {
    const inputs = templateInputs(syntheticConfig(20), {
      organizationId: 'o-abcdefghij',
      bundleKeys: BUNDLE_KEYS,
    });
    const templates = (['aws', 'local'] as const).flatMap((variant) =>
      renderTemplates(inputs, { local: variant === 'local' }).map((t) => ({
        name: `${variant}-${t.name}.template.json`,
        body: t.body,
      })),
    );
    const result = await cfnLint({ templates });
    expect(result.findings).toEqual([]);
  });

  it('reports what is wrong, so a clean result means something', async () => {
    const broken = JSON.stringify({
      Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 'soon' } } },
    });
    const result = await cfnLint({ templates: [{ name: 'broken.json', body: broken }] });
    // The error, and the informational advice the generated templates follow too (a queue
    // without an explicit DeletionPolicy).
    expect(result.findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^broken\.json:\d+:\d+:\d+:\d+:E3012:/),
        expect.stringMatching(/^broken\.json:\d+:\d+:\d+:\d+:I3011:'DeletionPolicy'/),
      ]),
    );
  });
});
