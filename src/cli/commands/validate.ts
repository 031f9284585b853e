import type { Command } from 'commander';
import { ValidationFailed } from '../../errors.js';
import type { CliContext } from '../main.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check accounts.yml, ecr.yml and policies/ and report every error with its file:line')
    .action(async (_options: unknown, cmd: Command) => {
      const { analyzeConfigDirectory } = await import('../../config/index.js');
      const dir = cmd.optsWithGlobals<{ config: string }>().config;
      const result = await analyzeConfigDirectory(dir);
      if (!result.ok) throw new ValidationFailed(result.errors);
      const { accounts, scopes, policies, ecr } = result.config;
      ctx.io.out(
        `${dir}: valid (${accounts.length} accounts, ${Object.keys(scopes).length} scopes, ${policies.length} policies, ${ecr.length} ECR repositories)`,
      );
    });
}
