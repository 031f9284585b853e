import type { Command } from 'commander';
import { OrgbridgeError } from '../../errors.js';
import type { CliContext } from '../main.js';
import { formatTable } from './accounts.js';

export function registerExplain(program: Command, ctx: CliContext): void {
  program
    .command('explain')
    .description('show each resolved setting of an account and the file:line it came from')
    .argument('<account>', 'account key (or full account name)')
    .argument('[setting]', 'one setting, e.g. create_vpc, tags.team or tags (all tags)')
    .option('--json', 'print {setting: {value, layer, file, line, column}}')
    .action(
      async (accountKey: string, setting: string | undefined, options: { json?: boolean }, cmd: Command) => {
        const { didYouMean, loadConfig } = await import('../../config/index.js');
        const { explainAccount, formatProvenance } = await import('../../config/explain.js');
        const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
        const account = config.accounts.find((a) => a.key === accountKey || a.name === accountKey);
        if (!account) {
          const suggestion = didYouMean(
            accountKey,
            config.accounts.map((a) => a.key),
          );
          throw new OrgbridgeError(
            'DSL_UNKNOWN_ACCOUNT',
            `no account '${accountKey}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
            { hint: 'run `orgbridge accounts` to list account keys' },
          );
        }
        let rows = explainAccount(account);
        if (setting !== undefined) {
          const matching = rows.filter((r) => r.setting === setting || r.setting.startsWith(`${setting}.`));
          if (!matching.length) {
            const suggestion = didYouMean(
              setting,
              rows.map((r) => r.setting),
            );
            throw new OrgbridgeError(
              'DSL_UNKNOWN_SETTING',
              `account '${account.key}' has no setting '${setting}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
              { hint: `settings: ${rows.map((r) => r.setting).join(', ')}` },
            );
          }
          rows = matching;
        }
        if (options.json) {
          ctx.io.out(
            JSON.stringify(
              Object.fromEntries(rows.map((r) => [r.setting, { value: r.value, ...r.provenance }])),
              null,
              2,
            ),
          );
          return;
        }
        ctx.io.out(
          `${account.key} (${account.name}, ${account.kind} account in ${account.organization_unit})`,
        );
        ctx.io.out(
          formatTable(
            rows.map((r) => [
              `  ${r.setting}`,
              JSON.stringify(r.value) ?? 'undefined',
              formatProvenance(r.provenance),
            ]),
          ),
        );
      },
    );
}
