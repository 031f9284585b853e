/**
 * Lambda bundles: minified size of each handler bundle (goal < 1 MB) and its cold import time
 * (a fresh Node process importing the bundle, what a Lambda cold start pays on top of the
 * runtime), plus the time to render the templates of a 5,000-account organization.
 * `npx tsx bench/bundles.ts` prints them alone; `npm run bench` includes them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildBundles, MAX_BUNDLE_BYTES } from '../src/templates/bundles.js';
import { templateInputs } from '../src/templates/inputs.js';
import { renderTemplates } from '../src/templates/synth.js';
import { BUNDLE_KEYS, syntheticConfig } from '../test/unit/templates/fixtures.js';
import { type BenchResult, median } from './types.js';

const IMPORT_RUNS = 5;

/**
 * Median wall and CPU time of importing `file` in a fresh Node process. The CPU time (user +
 * system of the process during the import) barely moves when the machine is busy; the wall time
 * is what a cold start waits.
 */
function coldImport(file: string): { wallMs: number; cpuMs: number } {
  const script = `const c=process.cpuUsage();const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1000);`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`importing ${file} failed: ${run.stderr}`);
    const [w, c] = run.stdout.split(' ').map(Number);
    wall.push(w ?? Number.NaN);
    cpu.push(c ?? Number.NaN);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function benchBundles(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const started = performance.now();
  const bundles = await buildBundles();
  results.push({
    name: 'esbuild, all handler bundles',
    value: Math.round(performance.now() - started),
    unit: 'ms',
  });
  // Inside the project so the bundles' externals (the AWS SDK, which the Lambda runtime provides)
  // resolve from node_modules, as they resolve from the runtime's own copy in Lambda.
  const cache = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'orgbridge-bench-bundles-'));
  try {
    for (const b of bundles) {
      const index = b.files[0];
      results.push({
        name: `${b.kind} bundle, minified, ${b.files.length} files`,
        value: Math.round(b.bytes / 1024),
        unit: 'KiB',
        goal: `< ${MAX_BUNDLE_BYTES / 1024} KiB`,
      });
      results.push({
        name: `${b.kind} bundle, index.mjs`,
        value: Math.round((index?.contents.byteLength ?? 0) / 1024),
        unit: 'KiB',
      });
      results.push({
        name: `${b.kind} bundle, what its import loads (index.mjs + static chunks)`,
        value: Math.round(b.importedBytes / 1024),
        unit: 'KiB',
      });
      results.push({ name: `${b.kind} bundle, zipped`, value: Math.round(b.zip.length / 1024), unit: 'KiB' });
      const root = join(dir, b.kind);
      for (const f of b.files) {
        mkdirSync(dirname(join(root, f.path)), { recursive: true });
        writeFileSync(join(root, f.path), f.contents);
      }
      const cold = coldImport(join(root, 'index.mjs'));
      results.push({
        name: `${b.kind} cold import`,
        value: Math.round(cold.wallMs * 10) / 10,
        unit: 'ms',
        goal: '< 150 ms',
      });
      results.push({
        name: `${b.kind} cold import, CPU`,
        value: Math.round(cold.cpuMs * 10) / 10,
        unit: 'ms',
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const config = syntheticConfig(5_000);
  const renderStart = performance.now();
  const templates = renderTemplates(
    templateInputs(config, { organizationId: 'o-abcdefghij', bundleKeys: BUNDLE_KEYS }),
  );
  results.push({
    name: `render ${templates.length} templates, 5,000 accounts`,
    value: Math.round(performance.now() - renderStart),
    unit: 'ms',
  });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchBundles())
    console.log(`${r.name.padEnd(48)} ${r.value} ${r.unit}${r.goal ? `  (goal ${r.goal})` : ''}`);
}
