import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../../src/config/schema.js';

/** docs/dsl.md is the reference: every error code and setting the code knows must be in it. */
function sources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) =>
      e.isDirectory()
        ? sources(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? readFileSync(join(dir, e.name), 'utf8')
          : '',
    )
    .join('\n');
}

describe('docs/dsl.md', () => {
  const docs = readFileSync('docs/dsl.md', 'utf8');

  it('documents every DSL error code', () => {
    const codes = new Set(`${sources('src/config')}\n${sources('src/cli/commands')}`.match(/'DSL_[A-Z_]+'/g));
    expect(codes.size).toBeGreaterThan(30);
    const missing = [...codes].map((c) => c.slice(1, -1)).filter((code) => !docs.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('documents every setting', () => {
    const missing = SETTING_NAMES.filter((name) => !new RegExp(`\\| \`${name}\`\\s+\\|`).test(docs));
    expect(missing).toEqual([]);
  });
});
