import type { Command } from 'commander';
import { OrgbridgeError } from '../../errors.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge effective-policy <account> --type tag|backup`: the account's effective tag or
 * backup policy computed offline from the config's OU chain, as DescribeEffectivePolicy would
 * answer once the policies are deployed. Operators AWS would ignore are listed on stderr.
 */
export function registerEffectivePolicy(program: Command, ctx: CliContext): void {
  program
    .command('effective-policy')
    .description("compute an account's effective tag or backup policy from its OU chain, offline")
    .argument('<account>', 'account key, name or id')
    .requiredOption('-t, --type <type>', 'policy type: tag or backup')
    .option('--json', 'print {account, ou, type, policy, diagnostics}')
    .action(async (ref: string, options: { type: string; json?: boolean }, cmd: Command) => {
      if (options.type !== 'tag' && options.type !== 'backup') {
        throw new OrgbridgeError(
          'CLI_INVALID_POLICY_TYPE',
          `--type must be tag or backup, not '${options.type}'`,
          {
            hint: 'SCPs have no effective document; test them with `orgbridge scp test`',
          },
        );
      }
      const type = options.type;
      const { didYouMean, loadConfig } = await import('../../config/index.js');
      const { effectivePolicyForAccount, ouChain } = await import('../../config/policy-inheritance.js');
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const account = config.accounts.find((a) => a.key === ref || a.name === ref || a.id === ref);
      if (!account) {
        const guess = didYouMean(
          ref,
          config.accounts.map((a) => a.key),
        );
        throw new OrgbridgeError(
          'DSL_UNKNOWN_ACCOUNT',
          `no account '${ref}'${guess ? `; did you mean '${guess}'?` : ''}`,
          {
            hint: 'run `orgbridge accounts` to list account keys',
          },
        );
      }
      const result = effectivePolicyForAccount(config, account, type);
      if (options.json) {
        ctx.io.out(
          JSON.stringify(
            {
              account: account.key,
              ou: account.organization_unit,
              type,
              policy: result.policy,
              diagnostics: result.diagnostics,
            },
            null,
            2,
          ),
        );
      } else {
        const chain = ouChain(account.organization_unit).map((ou) => ou || 'Root');
        ctx.io.err(`effective ${type} policy of ${account.key} (${chain.join(' -> ')})`);
        ctx.io.out(JSON.stringify(result.policy, null, 2));
        for (const d of result.diagnostics)
          ctx.io.err(`warning: ${d.target} ${d.policy}: ${d.message} [${d.code}]`);
      }
    });
}
