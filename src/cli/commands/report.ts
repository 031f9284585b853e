import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { CliContext } from '../main.js';

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description(
      'render the organization tree, every account with the provenance of its settings, and a plan as one HTML page',
    )
    .requiredOption('--html <file>', 'where to write the page')
    .option('--plan <file>', 'a saved `orgbridge plan --json` to include')
    .action(async (options: { html: string; plan?: string }, cmd: Command) => {
      const [{ loadConfig }, { renderHtmlReport }, { planActionsFromJson }] = await Promise.all([
        import('../../config/index.js'),
        import('../../report/html.js'),
        import('../../report/plan-file.js'),
      ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const plan = options.plan
        ? planActionsFromJson(await readFile(options.plan, 'utf8'), options.plan)
        : undefined;
      await writeFile(
        options.html,
        renderHtmlReport({ config, ...(plan ? { plan } : {}), generatedAt: new Date() }),
      );
      ctx.io.out(
        `wrote ${options.html} (${config.accounts.length} accounts${plan ? `, ${plan.length} planned actions` : ''})`,
      );
    });
}
