import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of accounts.yml (for `# yaml-language-server: $schema=...`)')
    .option('--stack', 'the JSON Schema of a customization definition (stacks/<name>/stack.yml) instead')
    .action(async (options: { stack?: boolean }) => {
      const { accountsJsonSchema, customizationJsonSchema } = await import('../../config/index.js');
      ctx.io.out(JSON.stringify(options.stack ? customizationJsonSchema() : accountsJsonSchema(), null, 2));
    });
}
