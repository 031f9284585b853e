import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/main.js';
import { buildBundles, MAX_BUNDLE_BYTES } from '../../../src/templates/bundles.js';

const out = mkdtempSync(join(tmpdir(), 'orgbridge-synth-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('orgbridge synth', () => {
  it('writes every template, a bundle under 1 MB per kind and a manifest, from the example config', {
    timeout: 60_000,
  }, async () => {
    const io = memoryIo();
    const code = await main(['node', 'orgbridge', '-c', resolve('examples'), 'synth', '--out', out], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.templates.map((t: { name: string }) => t.name)).toContain('handlers-member');
    for (const t of manifest.templates) expect(existsSync(join(out, `${t.name}.template.json`))).toBe(true);
    const zips = readdirSync(join(out, 'lambdas'));
    expect(zips).toHaveLength(7);
    for (const b of manifest.bundles) {
      expect(b.bytes, b.kind).toBeLessThan(MAX_BUNDLE_BYTES);
      expect(statSync(join(out, b.key)).size).toBeGreaterThan(0);
    }
    // The example's special accounts have no ids yet: synth says so instead of inventing silently.
    expect(io.stderr.join('\n')).toContain('placeholder ids');
    expect(io.stdout.at(-1)).toMatch(/^wrote \d+ templates and 7 bundles/);
  });

  it('bundles an unchanged source tree once per process (cached by the content of every input)', async () => {
    const first = await buildBundles();
    const started = performance.now();
    const again = await buildBundles();
    expect(again).toBe(first);
    // Hashing the inputs again is far cheaper than esbuild (~0.7 s here).
    expect(performance.now() - started).toBeLessThan(500);
    expect(new Set(first.map((b) => b.key)).size).toBe(7);
  });
});
