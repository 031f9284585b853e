import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';

/**
 * A corpus of config repositories with one mistake each (test/fixtures/broken): `validate` exits
 * 1 and reports exactly the expected errors at file:line:col, with no follow-on errors.
 */
const ROOT = 'test/fixtures/broken';
const cases = readdirSync(ROOT, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('broken configurations', () => {
  it('the corpus holds at least 40 configs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s: exit 1, exactly the expected errors', async (name) => {
    const dir = join(ROOT, name);
    const expected = readFileSync(join(dir, 'expected.txt'), 'utf8').trim().split('\n');
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', dir, 'validate'], io);
    const reported = io.stderr
      .join('\n')
      .split('\n')
      .flatMap((line) => {
        const m = /^(\S+:\d+:\d+): .*\[([A-Z_]+)\]$/.exec(line);
        return m ? [`${m[1]} ${m[2]}`] : [];
      });
    expect(code).toBe(1);
    expect(reported).toEqual(expected);
  });
});
