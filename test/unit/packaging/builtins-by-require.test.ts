import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinsByRequire } from '../../../scripts/bundle-cli.js';
import { ESM_REQUIRE_BANNER } from '../../../src/templates/bundles.js';

const dir = mkdtempSync(join(tmpdir(), 'orgbridge-builtins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(
  source: string,
  modules: string[],
  getters?: Record<string, string[]>,
): Promise<string> {
  writeFileSync(join(dir, 'entry.mjs'), source);
  await build({
    entryPoints: [join(dir, 'entry.mjs')],
    outfile: join(dir, 'out.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    banner: { js: ESM_REQUIRE_BANNER },
    plugins: [builtinsByRequire(modules, getters)],
    logLevel: 'silent',
  });
  return readFileSync(join(dir, 'out.mjs'), 'utf8');
}

describe('the CLI bundle takes Node modules with require()', () => {
  it('static and dynamic imports of a listed module become requires that behave the same; others stay imports', async () => {
    const out = await bundle(
      [
        "import http, { request, Agent } from 'node:http';",
        "import { join } from 'path';",
        "const dynamic = await import('node:http');",
        'const same = request === http.request && dynamic.default.Agent === Agent && dynamic.request === request;',
        "console.log(JSON.stringify({ same, joined: join('a', 'b'), getter: 'WebSocket' in dynamic }));",
      ].join('\n'),
      ['http'],
    );
    expect(out).not.toMatch(/from\s*["'](node:)?http["']|import\(["'](node:)?http["']\)/);
    expect(out).toContain('require("node:http")');
    expect(out).toMatch(/from\s*["']path["']/);
    const run = spawnSync(process.execPath, [join(dir, 'out.mjs')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    // The getters (undici's WebSocket, on Node 22) are what the ES module view would have loaded.
    expect(JSON.parse(run.stdout)).toEqual({ same: true, joined: join('a', 'b'), getter: false });
  });

  it('a getter imported by name fails the build until it is listed, then is exported', async () => {
    const source = "import { promises } from 'node:fs';\nconsole.log(typeof promises.readFile);";
    await expect(bundle(source, ['fs'])).rejects.toThrow(
      /No matching export in "builtin-by-require:fs" for import "promises"/,
    );
    await bundle(source, ['fs'], { fs: ['promises'] });
    const run = spawnSync(process.execPath, [join(dir, 'out.mjs')], { encoding: 'utf8' });
    expect(run.stdout.trim()).toBe('function');
  });
});
