import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { ACTIONS, actionNames } from '../../../src/pipeline/actions.js';

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, stdout: io.stdout.join(''), stderr: io.stderr.join('') };
}

describe('orgbridge run --help', () => {
  it('lists every action with its one-line summary', async () => {
    const { code, stdout } = await run('run', '--help');
    expect(code).toBe(0);
    expect(actionNames().length).toBeGreaterThanOrEqual(7);
    for (const name of actionNames()) {
      const line = stdout.split('\n').find((l) => l.trimStart().startsWith(`${name} `));
      expect(line, `a line for ${name}`).toBeDefined();
      expect(line).toContain(ACTIONS[name]?.summary);
    }
  });
});

describe('unknown commands', () => {
  it.each([
    [['deploy'], 'deploy'],
    [['deploy', '--help'], 'deploy'],
    [['help', 'deploy'], 'deploy'],
    [['-c', 'examples', '--debug', 'deploy', '--help'], 'deploy'],
  ])('orgbridge %j is an error with exit 1, not the main help', async (args, name) => {
    const { code, stdout, stderr } = await run(...args);
    expect(code).toBe(1);
    expect(stderr).toContain(`unknown command '${name}'`);
    expect(stdout).not.toContain('Usage: orgbridge');
  });

  it('suggests the command meant', async () => {
    expect((await run('plann', '--help')).stderr).toContain("did you mean 'plan'?");
  });

  it('leaves the help of real commands alone', async () => {
    for (const args of [
      ['--help'],
      ['plan', '--help'],
      ['-c', 'examples', 'run', '--help'],
      ['help', 'run'],
    ]) {
      const { code, stdout } = await run(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout).toContain('Usage: orgbridge');
    }
  });
});
