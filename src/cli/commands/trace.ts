import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/**
 * `orgbridge trace <nonce | account id | account key>`: a request's path read from the audit
 * store (src/pipeline/trace.ts), with the management credentials and the read-only role they
 * assume in the audit account. See docs/operations.md, "Following a request".
 */
export function registerTrace(program: Command, ctx: CliContext): void {
  program
    .command('trace <what>')
    .description(
      'the path of a request (by nonce) or of the requests addressed to an account (by id or key), from the audit store',
    )
    .option('--since <when>', 'for an account: back to this time (30m, 1h, 2d or an ISO time)', '24h')
    .option('--limit <n>', 'for an account: at most n requests, newest first', '20')
    .option('--role <name>', 'the role to assume in the audit account (default orgbridge-audit-reader)')
    .option('--json', 'the trace as JSON')
    .action(
      async (
        what: string,
        options: { since: string; limit: string; role?: string; json?: boolean },
        cmd: Command,
      ) => {
        const [
          { loadConfig },
          { AwsClients, awsContextFromEnv },
          { organizationView },
          { AUDIT_NAMES, ROLE_NAMES },
          trace,
        ] = await Promise.all([
          import('../../config/index.js'),
          import('../../aws/index.js'),
          import('../../pipeline/organization-topology.js'),
          import('../../protocol/names.js'),
          import('../../pipeline/trace.js'),
        ]);
        const since = trace.parseSince(options.since, new Date());
        const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
        const management = new AwsClients(awsContextFromEnv(process.env));
        try {
          const { topology, accountIds } = await organizationView(config, management);
          const audit = management.forAccount(
            topology.auditAccountId,
            options.role ?? ROLE_NAMES.auditReader,
          );
          const reader = trace.s3AuditReader(
            audit.s3(),
            AUDIT_NAMES.bucket(topology.auditAccountId, topology.region),
          );
          const result = await trace.runTrace(reader, what, {
            accountIds,
            since,
            limit: Number(options.limit),
          });
          if (options.json) {
            ctx.io.out(JSON.stringify(result, null, 2));
          } else {
            const kinds = new Map(topology.accounts.map((a) => [a.accountId, a.kind]));
            const name = (id: string) => (kinds.has(id) ? `${kinds.get(id)} ${id}` : id);
            const traces = result.kind === 'request' ? [result.trace] : result.traces;
            for (const t of traces) ctx.io.out(trace.renderTrace(t, name).join('\n'));
            if (result.kind === 'account') {
              ctx.io.out(
                `${traces.length} request(s) addressed to ${name(result.accountId)} since ${since.toISOString()}`,
              );
            }
          }
          ctx.exitCode = 0;
        } finally {
          management.destroy();
        }
      },
    );
}
