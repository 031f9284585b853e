import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/**
 * `orgbridge events [--since 1h] [--type T] [--status S] [--account A]`: audited events, newest
 * first, from the audit store (src/pipeline/audit-events.ts), read like `orgbridge trace` with
 * the read-only role in the audit account. See docs/operations.md, "Following a request".
 */
export function registerEvents(program: Command, ctx: CliContext): void {
  program
    .command('events')
    .description('audited events, newest first, with filters (from the audit store)')
    .option('--since <when>', 'back to this time (30m, 1h, 2d or an ISO time)', '1h')
    .option('--type <detail-type>', "the event's detail-type (with --status: the request's)")
    .option('--status <outcome>', 'request outcomes only: handled, duplicate, rejected, retrying, failed')
    .option('--account <account>', 'events addressed to this account (id or key)')
    .option('--limit <n>', 'at most n events', '50')
    .option('--role <name>', 'the role to assume in the audit account (default orgbridge-audit-reader)')
    .option('--json', 'the events as JSON')
    .action(
      async (
        options: {
          since: string;
          type?: string;
          status?: string;
          account?: string;
          limit: string;
          role?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const [
          { loadConfig },
          { AwsClients, awsContextFromEnv },
          { organizationView },
          { AUDIT_NAMES, ROLE_NAMES },
          { parseSince, s3AuditReader },
          { listAuditEvents, renderAuditEvents },
        ] = await Promise.all([
          import('../../config/index.js'),
          import('../../aws/index.js'),
          import('../../pipeline/organization-topology.js'),
          import('../../protocol/names.js'),
          import('../../pipeline/trace.js'),
          import('../../pipeline/audit-events.js'),
        ]);
        const since = parseSince(options.since, new Date());
        const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
        const management = new AwsClients(awsContextFromEnv(process.env));
        try {
          const { topology, accountIds } = await organizationView(config, management);
          const audit = management.forAccount(
            topology.auditAccountId,
            options.role ?? ROLE_NAMES.auditReader,
          );
          const reader = s3AuditReader(
            audit.s3(),
            AUDIT_NAMES.bucket(topology.auditAccountId, topology.region),
          );
          const account = options.account ? (accountIds[options.account] ?? options.account) : undefined;
          const rows = await listAuditEvents(reader, {
            since,
            limit: Number(options.limit),
            ...(options.type ? { type: options.type } : {}),
            ...(options.status ? { status: options.status } : {}),
            ...(account ? { account } : {}),
          });
          if (options.json) {
            ctx.io.out(JSON.stringify(rows, null, 2));
          } else {
            const kinds = new Map(topology.accounts.map((a) => [a.accountId, a.kind]));
            const name = (id: string) => (kinds.has(id) ? `${kinds.get(id)} ${id}` : id);
            for (const line of renderAuditEvents(rows, name)) ctx.io.out(line);
            ctx.io.out(`${rows.length} event(s) since ${since.toISOString()}`);
          }
          ctx.exitCode = 0;
        } finally {
          management.destroy();
        }
      },
    );
}
