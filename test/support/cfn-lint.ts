import { inject } from 'vitest';
import { CfnLintProcess, type LintRequest, type LintResult } from './cfn-lint-service.js';

export type { LintResult } from './cfn-lint-service.js';

/**
 * Lints templates with the run's one cfn-lint process (started by the global setup on first
 * use). Without the global setup (a file run under another config) each call starts its own.
 * Throws when cfn-lint is missing or its process crashed, saying how to install it: a template
 * test never passes or skips without the linter.
 */
export async function cfnLint(request: LintRequest): Promise<LintResult> {
  const url = inject('cfnLintUrl');
  if (!url) {
    const own = new CfnLintProcess();
    try {
      return await own.lint(request);
    } finally {
      own.stop();
    }
  }
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(request) });
  if (!response.ok) throw new Error(`cfn-lint service: ${response.status} ${await response.text()}`);
  return (await response.json()) as LintResult;
}
