import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

async function run(...args: string[]) {
  const io = memoryIo();
  const code = await main(['node', 'orgbridge', ...args], io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

/** Runs the bash completion function on a command line and returns what it offers. */
function bashComplete(script: string, line: string[]): string[] {
  const words = line.map((w) => `'${w}'`).join(' ');
  const program = `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=${line.length - 1}; _orgbridge; printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync('bash', ['-c', program], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('orgbridge --version and completion', () => {
  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const { code, stdout } = await run('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it('bash completion offers commands, then the options of the command typed', async () => {
    const { code, stdout } = await run('completion', 'bash');
    expect(code).toBe(0);
    expect(bashComplete(stdout, ['orgbridge', 'va'])).toEqual(['validate']);
    expect(bashComplete(stdout, ['orgbridge', '-c', 'examples', 'plan', '--mark'])).toEqual(['--markdown']);
    expect(bashComplete(stdout, ['orgbridge', 'completion', ''])).toEqual(['--help']);
  });

  it('zsh completion is a valid #compdef script listing every command', async () => {
    const { code, stdout } = await run('completion', 'zsh');
    expect(code).toBe(0);
    expect(stdout.startsWith('#compdef orgbridge')).toBe(true);
    for (const name of ['validate', 'plan', 'local', 'completion']) expect(stdout).toContain(`'${name}:`);
    execFileSync('zsh', ['-n'], { input: stdout });
  });

  it('an unknown shell is an error naming the ones there are', async () => {
    const { code, stderr } = await run('completion', 'fish');
    expect(code).toBe(1);
    expect(stderr).toContain('orgbridge completion bash, or orgbridge completion zsh');
  });
});
