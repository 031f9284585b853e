import type { Command } from 'commander';
import { didYouMean } from '../../config/index.js';
import { OrgbridgeError } from '../../errors.js';
import type { CliContext } from '../main.js';

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run one pipeline action; a dry run unless --execute is given')
    .requiredOption('-a, --action <name>', 'the action to run (e.g. sync-accounts)')
    .option('--execute', 'make the changes instead of only printing them', false)
    .action(async (options: { action: string; execute: boolean }, cmd: Command) => {
      const { ACTIONS, actionNames } = await import('../../pipeline/actions.js');
      const load = ACTIONS[options.action];
      if (!load) {
        const guess = didYouMean(options.action, actionNames());
        throw new OrgbridgeError(
          'CLI_UNKNOWN_ACTION',
          `unknown action '${options.action}'${guess ? `; did you mean '${guess}'?` : ''}`,
          { hint: `actions: ${actionNames().join(', ')}` },
        );
      }
      const action = await load();
      ctx.exitCode = await action.run({
        configDir: cmd.optsWithGlobals<{ config: string }>().config,
        execute: options.execute,
        output: ctx.io,
        env: process.env,
        now: () => new Date(),
      });
    });
}
