import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/**
 * `orgbridge doctor [--json]`: read-only checks of the real organization the credentials reach
 * (src/pipeline/doctor.ts), each pass / warn / fail with its fix. Exit 1 when a check fails,
 * 0 otherwise (warnings are what the bootstrap will do, or worth a look).
 */
export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description("check the organization before a bootstrap: read-only, with the caller's credentials")
    .option('--json', 'the checks as JSON: {checks: [{id, status, message, fix?}], summary}')
    .action(async (options: { json?: boolean }, cmd: Command) => {
      const [{ loadConfig }, { AwsClients, awsContextFromEnv }, { doctorChecks, gatherDoctorFacts }] =
        await Promise.all([
          import('../../config/index.js'),
          import('../../aws/index.js'),
          import('../../pipeline/doctor.js'),
        ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const management = new AwsClients(awsContextFromEnv(process.env));
      try {
        const checks = doctorChecks(config, await gatherDoctorFacts(config, management));
        const count = (status: string) => checks.filter((c) => c.status === status).length;
        const summary = { pass: count('pass'), warn: count('warn'), fail: count('fail') };
        if (options.json) {
          ctx.io.out(JSON.stringify({ checks, summary }, null, 2));
        } else {
          for (const c of checks) {
            ctx.io.out(`${c.status.toUpperCase().padEnd(4)}  ${c.id.padEnd(26)} ${c.message}`);
            if (c.fix) ctx.io.out(`${' '.repeat(33)}fix: ${c.fix}`);
          }
          ctx.io.out(`${summary.pass} passed, ${summary.warn} warnings, ${summary.fail} failed`);
        }
        ctx.exitCode = summary.fail > 0 ? 1 : 0;
      } finally {
        management.destroy();
      }
    });
}
