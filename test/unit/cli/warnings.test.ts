import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

/** A process that drops the SDK notice as bin/orgbridge.js does, makes a client, then warns. */
const SCRIPT = `
const { dropSdkNodeNotice } = await import('./src/cli/warnings.ts');
if (process.argv[1] === 'drop') dropSdkNodeNotice();
const { STSClient } = await import('@aws-sdk/client-sts');
new STSClient({ region: 'us-east-1' });
process.emitWarning('something else', 'DeprecationWarning');
await new Promise((r) => setTimeout(r, 50));
`;

async function stderrOf(mode: 'drop' | 'keep'): Promise<string> {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete env.NODE_OPTIONS;
  const { stderr } = await run(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, mode],
    { cwd: ROOT, env },
  );
  return stderr;
}

describe('dropSdkNodeNotice', () => {
  it("drops only the SDK's Node version notice; Node still prints every other warning", async () => {
    const dropped = await stderrOf('drop');
    expect(dropped).not.toContain('NodeVersionSupportWarning');
    expect(dropped).toMatch(/\(node:\d+\) DeprecationWarning: something else/);
  }, 30_000);

  it.runIf(Number(process.versions.node.split('.')[0]) < 22)(
    'is needed on Node 20: without it the SDK prints its notice',
    async () => {
      expect(await stderrOf('keep')).toContain('NodeVersionSupportWarning');
    },
    30_000,
  );
});
