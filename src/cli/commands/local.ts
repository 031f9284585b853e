import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerLocal(program: Command, ctx: CliContext): void {
  program
    .command('local')
    .description('start an emulated AWS organization and run the whole pipeline against it')
    .action(async () => {
      const { runLocal } = await import('../../pipeline/local.js');
      ctx.exitCode = await runLocal(ctx.io, program.opts());
    });
}
