import type { Command } from 'commander';
import type { CliContext } from '../main.js';

/**
 * `orgbridge dlq list | show <queue> | redrive <queue> [--execute]`: the dead-letter queues of
 * every account (src/pipeline/dlq.ts), read with the caller's (management) credentials and the
 * role they assume in each account. A queue is named `<account id>/<queue name>` as `list`
 * prints it. See docs/operations.md.
 */
export function registerDlq(program: Command, ctx: CliContext): void {
  const dlq = program
    .command('dlq')
    .description(
      "dead-letter queues: every account's, what is in one, and moving it back to be handled again",
    );

  /** The topology of the organization and a client factory per account; closed after `fn`. */
  const withOrganization = async <T>(
    cmd: Command,
    fn: (
      topology: import('../../protocol/topology.js').Topology,
      clientsFor: import('../../pipeline/dlq.js').ClientsFor,
      config: import('../../config/index.js').ResolvedConfig,
    ) => Promise<T>,
  ): Promise<T> => {
    const [{ loadConfig }, { AwsClients, awsContextFromEnv }, { organizationTopology }, { ROLE_NAMES }] =
      await Promise.all([
        import('../../config/index.js'),
        import('../../aws/index.js'),
        import('../../pipeline/organization-topology.js'),
        import('../../protocol/names.js'),
      ]);
    const role = cmd.optsWithGlobals<{ role?: string }>().role ?? ROLE_NAMES.dlqOperator;
    const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
    const management = new AwsClients(awsContextFromEnv(process.env));
    try {
      const topology = await organizationTopology(config, management);
      // The operator role in every account, the management account's own included: the handler
      // queue policies let it (and no other principal but EventBridge and the handler) send.
      return await fn(topology, (id) => management.forAccount(id, role), config);
    } finally {
      management.destroy();
    }
  };

  dlq
    .command('list')
    .description('every dead-letter queue of every account, with its depth')
    .option('--json', 'the queues as JSON')
    .action(async (options: { json?: boolean }, cmd: Command) => {
      const { listDeadLetters } = await import('../../pipeline/dlq.js');
      const rows = await withOrganization(cmd, (topology, clientsFor) =>
        listDeadLetters(topology, clientsFor),
      );
      if (options.json) {
        ctx.io.out(JSON.stringify(rows, null, 2));
      } else {
        for (const r of rows) {
          const what = r.of ? `DLQ of ${r.of}` : 'undelivered events (rule targets)';
          ctx.io.out(
            `${`${r.accountId}/${r.name}`.padEnd(46)} ${String(r.visible).padStart(6)} visible ${String(r.inFlight).padStart(4)} in flight  ${r.kind}, ${what}`,
          );
        }
        const total = rows.reduce((n, r) => n + r.visible + r.inFlight, 0);
        ctx.io.out(`${rows.length} dead-letter queues, ${total} message(s)`);
      }
      ctx.exitCode = 0;
    });

  dlq
    .command('show <queue>')
    .description(
      "the messages of one dead-letter queue: type, nonce, target, receive count, the handler's last error",
    )
    .option('--max <n>', 'read at most n messages', '100')
    .option('--json', 'the messages as JSON')
    .action(async (queue: string, options: { max: string; json?: boolean }, cmd: Command) => {
      const { showDeadLetter } = await import('../../pipeline/dlq.js');
      const shown = await withOrganization(cmd, (topology, clientsFor) =>
        showDeadLetter(topology, clientsFor, queue, { max: Number(options.max) }),
      );
      if (options.json) {
        ctx.io.out(JSON.stringify(shown, null, 2));
      } else {
        for (const m of shown.messages) {
          ctx.io.out(
            `${m.type ?? '(not an orgbridge event)'} nonce=${m.nonce ?? '-'} target=${m.target ?? '-'} from=${m.sender ?? '-'} receives=${m.receiveCount}${m.sentAt ? ` sent=${m.sentAt}` : ''}`,
          );
          ctx.io.out(
            `    last error: ${m.lastError ?? '(none recorded)'}${m.lastErrorAt ? ` at ${m.lastErrorAt}` : ''}`,
          );
        }
        ctx.io.out(`${shown.messages.length} message(s) in ${shown.accountId}/${shown.name}`);
      }
      ctx.exitCode = 0;
    });

  dlq
    .command('redrive <queue>')
    .description(
      'move the messages of a dead-letter queue back to its source queue (dry run unless --execute)',
    )
    .option('--execute', 'move them (default: say what would move)')
    .option('--json', 'the result as JSON')
    .action(async (queue: string, options: { execute?: boolean; json?: boolean }, cmd: Command) => {
      const { redriveDeadLetter } = await import('../../pipeline/dlq.js');
      const result = await withOrganization(cmd, (topology, clientsFor, config) =>
        redriveDeadLetter(topology, clientsFor, queue, {
          execute: options.execute === true,
          ...(config.organization.operators ? { operators: config.organization.operators } : {}),
        }),
      );
      if (options.json) {
        ctx.io.out(JSON.stringify(result, null, 2));
      } else if (!result.executed) {
        ctx.io.out(
          `would move ${result.messages} message(s) from ${result.accountId}/${result.name} to ${result.destination}${result.messages > 0 ? ' (run again with --execute)' : ''}`,
        );
      } else {
        ctx.io.out(
          result.how === 'move-task'
            ? `started moving ${result.messages} message(s) from ${result.accountId}/${result.name} to ${result.destination} (SQS message move task ${result.taskHandle ?? ''})`
            : `moved ${result.moved ?? 0} message(s) from ${result.accountId}/${result.name} to ${result.destination}`,
        );
      }
      ctx.exitCode = 0;
    });
}
