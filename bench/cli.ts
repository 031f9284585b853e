/**
 * CLI start: what a command costs before its first AWS call, as a fresh process of
 * bin/orgbridge.js over the CLI bundle (scripts/bundle-cli.ts), rebuilt here from the current
 * sources as `npm run build` does.
 * `--version` is process start and the bundle's entry; `validate` of the example organization
 * adds loading the config (79 accounts). Median wall and CPU time (user + system) of 7 runs.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../scripts/bundle-cli.js';
import { type BenchResult, median } from './types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 7;

/** Prints the process's CPU time (user + system) as it exits: loaded with `--import`. */
const CPU_REPORTER = `data:text/javascript,${encodeURIComponent(
  "process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('cpu ' + (u.user + u.system) / 1000 + '\\n'); });",
)}`;

function timeCommand(args: readonly string[]): { wallMs: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--import', CPU_REPORTER, join(ROOT, 'bin', 'orgbridge.js'), ...args],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    wall.push(performance.now() - start);
    if (run.status !== 0) throw new Error(`orgbridge ${args.join(' ')} failed: ${run.stderr}`);
    const used = /^cpu (\d+(?:\.\d+)?)$/m.exec(run.stderr);
    if (!used) throw new Error(`no CPU time from orgbridge ${args.join(' ')}: ${run.stderr}`);
    cpu.push(Number(used[1]));
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

export async function benchCli(): Promise<BenchResult[]> {
  const bundle = await bundleCli();
  const version = timeCommand(['--version']);
  const validate = timeCommand(['-c', 'examples', 'validate']);
  return [
    { name: `CLI bundle, ${bundle.files} files`, value: bundle.bytes / 1024, unit: 'KiB' },
    { name: 'orgbridge --version, wall', value: version.wallMs, unit: 'ms' },
    { name: 'orgbridge --version, CPU', value: version.cpuMs, unit: 'ms' },
    { name: 'orgbridge validate (79 accounts), wall', value: validate.wallMs, unit: 'ms' },
    { name: 'orgbridge validate (79 accounts), CPU', value: validate.cpuMs, unit: 'ms' },
  ];
}
