import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description('show what sync-accounts would change (exit 0: nothing, 2: changes pending, 1: error)')
    .option('--json', 'the stable machine format (docs/plan.md)')
    .option('--markdown', 'Markdown ready to paste as a pull-request comment')
    .action(async (options: { json?: boolean; markdown?: boolean }, cmd: Command) => {
      const [{ loadConfig }, { accountsGatewayFromEnvironment }, { syncAccounts }] = await Promise.all([
        import('../../config/index.js'),
        import('../../pipeline/accounts-gateway.js'),
        import('../../pipeline/sync-accounts.js'),
      ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const { gateway, close } = await accountsGatewayFromEnvironment(process.env, { config });
      try {
        const result = await syncAccounts({
          config,
          gateway,
          now: new Date(),
          execute: false,
          output: ctx.io,
          format: options.json ? 'json' : options.markdown ? 'markdown' : 'text',
        });
        ctx.exitCode = result.exitCode;
      } finally {
        await close();
      }
    });
}
