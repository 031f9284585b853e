import type { Command } from 'commander';
import { exitCodeOf } from '../exit-codes.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge import --out DIR [--force]`: a config repository from the live organization, read
 * with the caller's credentials (the management account's); never writes to AWS. docs/import.md.
 */
export function registerImport(program: Command, ctx: CliContext): void {
  program
    .command('import')
    .description('write a config repository (accounts.yml, policies/, README.md) from the live organization')
    .requiredOption('-o, --out <dir>', 'directory to write (refused when it exists and is not empty)')
    .option('--force', 'overwrite accounts.yml, README.md and policies/ in an existing directory')
    .action(async (options: { out: string; force?: boolean }) => {
      const [{ AwsClients, awsContextFromEnv }, { importInto }] = await Promise.all([
        import('../../aws/index.js'),
        import('../../pipeline/import.js'),
      ]);
      const clients = new AwsClients(awsContextFromEnv(process.env));
      try {
        const run = await importInto({
          clients,
          out: options.out,
          force: options.force ?? false,
          output: ctx.io,
        });
        ctx.exitCode = exitCodeOf(run.outcome);
      } finally {
        clients.destroy();
      }
    });
}
