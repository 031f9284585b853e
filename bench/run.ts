/**
 * `npm run bench`: every benchmark of the project, one table. Each module under bench/ exports
 * one async function returning BenchResult[]; a module that is missing or fails is reported,
 * never hidden.
 */
import { dropSdkNodeNotice } from '../src/cli/warnings.js';
import type { BenchResult } from './types.js';

dropSdkNodeNotice();

interface Suite {
  readonly title: string;
  readonly module: string;
  readonly fn: string;
}

const SUITES: readonly Suite[] = [
  { title: 'DSL resolve', module: './dsl.js', fn: 'benchDsl' },
  { title: 'Plan', module: './plan.js', fn: 'benchPlan' },
  { title: 'Messaging', module: './messaging.js', fn: 'benchMessaging' },
  { title: 'Account sync', module: './sync.js', fn: 'benchSync' },
  { title: 'Provisioning', module: './provision.js', fn: 'benchProvision' },
  { title: 'Customizations', module: './customizations.js', fn: 'benchCustomizations' },
  { title: 'Bundles', module: './bundles.js', fn: 'benchBundles' },
  { title: 'CLI start', module: './cli.js', fn: 'benchCli' },
  { title: 'Import', module: './import.js', fn: 'benchImport' },
  { title: 'Real-AWS time (modelled)', module: './aws-time.js', fn: 'benchAwsTime' },
];

function formatValue(r: BenchResult): string {
  const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 2 : 1);
  return `${v} ${r.unit}`;
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const rows: [string, string, string, string][] = [];
  let failures = 0;
  for (const suite of SUITES) {
    if (only.length && !only.some((o) => suite.title.toLowerCase().includes(o.toLowerCase()))) continue;
    process.stderr.write(`running ${suite.title}...\n`);
    try {
      const mod = (await import(suite.module)) as Record<string, () => Promise<BenchResult[]>>;
      const fn = mod[suite.fn];
      if (!fn) throw new Error(`${suite.module} exports no ${suite.fn}`);
      for (const r of await fn()) rows.push([suite.title, r.name, formatValue(r), r.goal ?? '']);
    } catch (e) {
      failures++;
      rows.push([suite.title, 'FAILED', (e as Error).message.split('\n')[0] ?? '', '']);
    }
  }
  const header: [string, string, string, string] = ['suite', 'measure', 'value', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  return failures ? 1 : 0;
}

process.exitCode = await main();
