import type { Command } from 'commander';
import { exitCodeOf } from '../exit-codes.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge init DIR [--force]`: a config repository to start from (src/pipeline/init.ts). With
 * credentials that can describe the organization, its management account is filled in.
 */
export function registerInit(program: Command, ctx: CliContext): void {
  program
    .command('init')
    .description('write a config repository to start from: accounts.yml, a starter SCP, a CI workflow')
    .argument('<dir>', 'directory to write (refused when it exists and is not empty)')
    .option('--force', 'overwrite the scaffold files in an existing directory')
    .option('--offline', 'do not look up the management account (placeholders instead)')
    .action(async (dir: string, options: { force?: boolean; offline?: boolean }) => {
      const { initRepository, describeManagement } = await import('../../pipeline/init.js');
      let management: Awaited<ReturnType<typeof describeManagement>>;
      if (!options.offline) {
        const { AwsClients, awsContextFromEnv } = await import('../../aws/index.js');
        const clients = new AwsClients(awsContextFromEnv(process.env));
        try {
          management = await describeManagement(clients);
        } finally {
          clients.destroy();
        }
      }
      ctx.exitCode = exitCodeOf(
        initRepository({ out: dir, force: options.force ?? false, management, output: ctx.io }),
      );
    });
}
