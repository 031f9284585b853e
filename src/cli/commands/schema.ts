import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of accounts.yml (for `# yaml-language-server: $schema=...`)')
    .action(async () => {
      const { accountsJsonSchema } = await import('../../config/index.js');
      ctx.io.out(JSON.stringify(accountsJsonSchema(), null, 2));
    });
}
