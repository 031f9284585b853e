import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CfnLintProcess } from '../../support/cfn-lint-service.js';

const dir = mkdtempSync(join(tmpdir(), 'orgbridge-cfn-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in interpreter: reports a cfn-lint version, starts, then dies on the first request. */
const crashing = join(dir, 'crashing-python');
writeFileSync(
  crashing,
  `#!/bin/sh
case "$*" in
  *importlib.metadata*) echo 1.0.0 ;;
  *) echo '{"ready": true}'; read line; echo "Traceback: cfnlint blew up" >&2; exit 3 ;;
esac
`,
);
chmodSync(crashing, 0o755);

const request = { templates: [{ name: 't', body: '{"Resources": {}}' }] };

describe('the cfn-lint service of the template tests', () => {
  it('fails, saying how to install cfn-lint, when no Python has it (never a skip)', async () => {
    const lint = new CfnLintProcess(undefined, () => [join(dir, 'no-such-python')]);
    await expect(lint.lint(request)).rejects.toThrow(/no Python with cfn-lint .*pip install cfn-lint/);
  });

  it('fails with the Python side last words and the hint when the service crashes', async () => {
    const lint = new CfnLintProcess(undefined, () => [crashing]);
    try {
      await expect(lint.lint(request)).rejects.toThrow(
        /cfn-lint exited with 3: Traceback: cfnlint blew up.*pip install cfn-lint/s,
      );
    } finally {
      lint.stop();
    }
  });
});
