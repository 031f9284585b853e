import type { Command } from 'commander';
import { PROCESS_CALLS } from '../../aws/clients.js';
import { didYouMean } from '../../config/did-you-mean.js';
import { isOrgbridgeError, OrgbridgeError } from '../../errors.js';
import { ACTIONS, actionNames } from '../../pipeline/actions.js';
import type { Outcome, Output } from '../../pipeline/output.js';
import { exitCodeOf } from '../exit-codes.js';
import { jsonLinesIo, progressIo } from '../io.js';
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
      '--json',
      'print one JSON object per step and a last one with the result (stdout); text goes to stderr',
      false,
    )
    .option(
      '--allow-mass-change',
      'allow a sync that deletes or detaches more than half (or all) of the managed policies, or retires more than half (or all) of the managed accounts',
      false,
    )
    .addHelpText('after', actionList)
    .action(
      async (
        options: { action: string; execute: boolean; json: boolean; allowMassChange: boolean },
        cmd: Command,
      ) => {
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
        const output: Output = options.json ? jsonLinesIo(ctx.io) : progressIo(ctx.io);
        const started = performance.now();
        const callsBefore = PROCESS_CALLS.total;
        const result = (outcome: Outcome, error?: unknown) =>
          output.emit?.({
            type: 'result',
            action: options.action,
            execute: options.execute,
            outcome,
            exitCode: exitCodeOf(outcome),
            durationMs: Math.round(performance.now() - started),
            calls: PROCESS_CALLS.total - callsBefore,
            ...(isOrgbridgeError(error) ? { code: error.code } : {}),
            ...(error instanceof Error ? { message: error.message } : {}),
          });
        let outcome: Outcome;
        try {
          outcome = await action.run({
            configDir: cmd.optsWithGlobals<{ config: string }>().config,
            execute: options.execute,
            ...(options.allowMassChange ? { allowMassChange: true } : {}),
            output,
            env: process.env,
            now: () => new Date(),
          });
        } catch (e) {
          result('failed', e);
          throw e;
        }
        ctx.exitCode = exitCodeOf(outcome);
        result(outcome);
      },
    );
}
