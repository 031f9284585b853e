/**
 * DSL benchmark: parse + validate + resolve a generated 10,000-account accounts.yml, in memory
 * (no file system), median of 3 runs. Goal: under 1 s on the project's 2-core machine.
 * `npx tsx bench/dsl.ts` prints the figures; `npm run bench` includes them in its table.
 */
import { pathToFileURL } from 'node:url';
import { analyzeConfig } from '../src/config/parse.js';
import { type BenchResult, median, timeMedian } from './types.js';

const SCOPES = ['dev', 'standard', 'cde', 'infra', 'infra-ro', 'audit', 'scp'] as const;
const REGIONS = ['ap-southeast-2', 'us-east-1', 'us-west-1', 'us-west-2'] as const;

/** A realistic config of `count` accounts: 3-6 lines each, some with overrides, tags and domains. */
export function generateAccountsYaml(count: number): string {
  const lines = [
    'organization:',
    ...['management', 'cicd', 'identity', 'dns', 'logs', 'audit'].map((k) => `  ${k}: ${k}`),
    '  root_ou: Internal',
    '  morgue_ou: Morgue',
    '  event_bus: orgbridge-bus',
    "  name_template: '{key}-{environment}-{region}'",
    "  email_template: 'aws+{name}@example.com'",
    'defaults:',
    '  region: ap-southeast-2',
    `  regions: [${REGIONS.join(', ')}]`,
    '  create_vpc: false',
    '  nat_gateway_count: 3',
    '  tags:',
    '    cost-centre: platform',
    'scopes:',
  ];
  for (const scope of SCOPES) {
    lines.push(
      `  ${scope}:`,
      `    organization_unit: Internal/${scope}`,
      '    access:',
      '      all: ReadOnly',
      '      rw: PowerUser,Developer',
    );
    if (scope !== 'dev' && scope !== 'scp') lines.push('    environment: prod');
  }
  lines.push('accounts:');
  for (const key of ['management', 'cicd', 'identity', 'dns', 'logs', 'audit'])
    lines.push(`  ${key}:`, '    scope: infra');
  for (let i = 0; i < count - 6; i++) {
    const key = `svc-${i}`;
    lines.push(
      `  ${key}:`,
      `    service: service-${Math.floor(i / 2)}`,
      `    scope: ${SCOPES[i % SCOPES.length]}`,
    );
    if (i % 3 === 0) lines.push(`    region: ${REGIONS[i % REGIONS.length]}`);
    if (i % 5 === 0) lines.push('    create_vpc: true');
    if (i % 7 === 0) lines.push('    tags:', `      team: team-${i % 40}`);
    if (i % 11 === 0) lines.push(`    allowed_dns_domains: [${key}.example.com]`);
  }
  return `${lines.join('\n')}\n`;
}

export async function benchDsl(): Promise<BenchResult[]> {
  const count = 10_000;
  const text = generateAccountsYaml(count);
  const files = [{ path: 'accounts.yml', text }];
  // Warm-up run, and a correctness check: a benchmark of a failing parse would measure nothing.
  const first = analyzeConfig(files);
  if (!first.ok) throw new Error(`generated config is invalid: ${first.errors[0]?.format()}`);
  if (first.config.accounts.length !== count) throw new Error(`expected ${count} accounts`);
  const cpu: number[] = [];
  const ms = await timeMedian(3, () => {
    const before = process.cpuUsage();
    analyzeConfig(files);
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  });
  return [
    {
      name: `parse+validate+resolve ${count.toLocaleString('en')} accounts`,
      value: ms,
      unit: 'ms',
      goal: '< 1000 ms',
    },
    // CPU time of this process: near what an idle machine would take (the 2 cores are shared).
    { name: 'same, CPU time', value: median(cpu), unit: 'ms' },
    { name: 'per account', value: (ms * 1000) / count, unit: 'µs' },
    { name: 'accounts.yml size', value: text.length / 1024, unit: 'KiB' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchDsl()) {
    console.log(`${r.name}: ${r.value.toFixed(1)} ${r.unit}${r.goal ? ` (goal ${r.goal})` : ''}`);
  }
}
