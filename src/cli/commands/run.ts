import type { Command } from 'commander';
import { didYouMean } from '../../config/index.js';
import { OrgbridgeError } from '../../errors.js';
import { ACTIONS, actionNames } from '../../pipeline/actions.js';
import type { CliContext } from '../main.js';

/** The actions with one line each, for `run --help` (the registry loads no action module). */
function actionList(): string {
  const names = actionNames();
  const width = Math.max(...names.map((n) => n.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${ACTIONS[name]?.summary ?? ''}`);
  return `\nActions (a dry run unless --execute):\n${lines.join('\n')}\n`;
}

export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('run one pipeline action; a dry run unless --execute is given')
    .requiredOption('-a, --action <name>', 'the action to run (e.g. sync-accounts)')
    .option('--execute', 'make the changes instead of only printing them', false)
    .option(
      '--allow-mass-change',
      'allow a sync that deletes or detaches more than half (or all) of the managed policies, or retires more than half (or all) of the managed accounts',
      false,
    )
    .addHelpText('after', actionList)
    .action(async (options: { action: string; execute: boolean; allowMassChange: boolean }, cmd: Command) => {
      const registered = ACTIONS[options.action];
      if (!registered) {
        const guess = didYouMean(options.action, actionNames());
        throw new OrgbridgeError(
          'CLI_UNKNOWN_ACTION',
          `unknown action '${options.action}'${guess ? `; did you mean '${guess}'?` : ''}`,
          { hint: `actions: ${actionNames().join(', ')}` },
        );
      }
      const action = await registered.load();
      ctx.exitCode = await action.run({
        configDir: cmd.optsWithGlobals<{ config: string }>().config,
        execute: options.execute,
        ...(options.allowMassChange ? { allowMassChange: true } : {}),
        output: ctx.io,
        env: process.env,
        now: () => new Date(),
      });
    });
}
