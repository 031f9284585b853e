import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/** The documented `--json` shape (docs/dsl.md): stable keys, in this order. */
export const ACCOUNT_JSON_KEYS = [
  'key',
  'name',
  'email',
  'scope',
  'organization_unit',
  'region',
  'environment',
  'service',
  'tags',
  'settings',
] as const;

export function registerAccounts(program: Command, ctx: CliContext): void {
  program
    .command('accounts')
    .description('list the resolved accounts (name, OU, region, environment)')
    .option(
      '--json',
      'print a JSON array (keys: key, name, email, scope, organization_unit, region, environment, service, tags, settings)',
    )
    .action(async (options: { json?: boolean }, cmd: Command) => {
      const { loadConfig } = await import('../../config/index.js');
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      if (options.json) {
        const rows = config.accounts.map((account) =>
          Object.fromEntries(ACCOUNT_JSON_KEYS.map((key) => [key, account[key]])),
        );
        ctx.io.out(JSON.stringify(rows, null, 2));
        return;
      }
      const header = ['KEY', 'NAME', 'OU', 'REGION', 'ENVIRONMENT', 'KIND'];
      const rows = config.accounts.map((a) => [
        a.key,
        a.name,
        a.organization_unit,
        a.region,
        a.environment,
        a.kind,
      ]);
      ctx.io.out(formatTable([header, ...rows]));
      ctx.io.out(`${config.accounts.length} accounts`);
    });
}

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
