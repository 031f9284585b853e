import type { Command } from 'commander';
import { BACKUP_VAULT_NAME } from '../../config/backup-names.js';
import type { ResolvedAccount, ResolvedConfig } from '../../config/model.js';
import { OrgbridgeError } from '../../errors.js';
import type { AccountBackupPlan } from '../../plan/backup.js';
import { RUNTIME_STACKS } from '../../protocol/names.js';
import type { CliContext } from '../main.js';

/**
 * `orgbridge effective-policy <account> --type tag|backup`: the account's effective tag or
 * backup policy computed offline from the config's OU chain, as DescribeEffectivePolicy would
 * answer once the policies are deployed. Operators AWS would ignore are listed on stderr. For a
 * backup policy, also what the provisioning pipeline creates for it in the account, region by
 * region, and the copy targets it leaves alone (docs/provisioning.md#backup).
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
      const backup = type === 'backup' ? await backupOf(config, account) : undefined;
      if (options.json) {
        ctx.io.out(
          JSON.stringify(
            {
              account: account.key,
              ou: account.organization_unit,
              type,
              policy: result.policy,
              diagnostics: result.diagnostics,
              ...(backup ? { backup: backupJson(backup) } : {}),
            },
            null,
            2,
          ),
        );
      } else {
        const chain = ouChain(account.organization_unit).map((ou) => ou || 'Root');
        if (config.account_policies.some((p) => p.type === type && p.account === account.key))
          chain.push(`account ${account.key}`);
        ctx.io.err(`effective ${type} policy of ${account.key} (${chain.join(' -> ')})`);
        ctx.io.out(JSON.stringify(result.policy, null, 2));
        for (const d of result.diagnostics)
          ctx.io.err(`warning: ${d.target} ${d.policy}: ${d.message} [${d.code}]`);
        if (backup) for (const line of backupLines(account.key, backup)) ctx.io.err(line);
      }
    });
}

/** What the pipeline creates for the account's backup, or the error that stops it doing so. */
type BackupOutcome = { readonly plan: AccountBackupPlan } | { readonly error: OrgbridgeError };

async function backupOf(config: ResolvedConfig, account: ResolvedAccount): Promise<BackupOutcome> {
  const { accountBackup } = await import('../../plan/backup.js');
  const { configuredRegions, homeRegionOf } = await import('../../config/regions.js');
  try {
    return {
      plan: accountBackup(config, account, {
        homeRegion: homeRegionOf(config),
        regions: configuredRegions(config),
      }),
    };
  } catch (e) {
    if (e instanceof OrgbridgeError) return { error: e };
    throw e;
  }
}

const BASELINE_STACK = RUNTIME_STACKS.accountBaseline;
const VAULTS_STACK = RUNTIME_STACKS.backupVaults;

/** `--json`'s `backup` field (docs/policies.md#backup-policies-what-each-account-needs). */
function backupJson(outcome: BackupOutcome) {
  if ('error' in outcome) return { error: { code: outcome.error.code, message: outcome.error.message } };
  const { plan } = outcome;
  return {
    roles: plan.roles,
    vaults: [
      { region: plan.homeRegion, stack: BASELINE_STACK, vaults: plan.vaults },
      ...plan.regional.map((r) => ({ region: r.region, stack: VAULTS_STACK, vaults: r.vaults })),
    ],
    not_created: plan.outside,
    left_alone: plan.leftAlone,
  };
}

function backupLines(key: string, outcome: BackupOutcome): string[] {
  if ('error' in outcome) {
    return [
      `warning: the pipeline creates no backup names in ${key}: ${outcome.error.message} [${outcome.error.code}]`,
    ];
  }
  const { plan } = outcome;
  const row = (label: string, value: string) => `  ${label.padEnd(28)} ${value}`;
  // Default is never a stack's: the baseline's handler makes sure of it (Backup API).
  const where = (vaults: readonly string[], stack: string) =>
    vaults
      .map((v) => (v === BACKUP_VAULT_NAME ? `${v} (Backup API, if missing)` : `${v} (stack ${stack})`))
      .join(', ');
  return [
    `backup: what the pipeline creates in ${key}`,
    row('roles (IAM, every region)', plan.roles.join(', ')),
    row(`vaults in ${plan.homeRegion}`, where(plan.vaults, BASELINE_STACK)),
    ...plan.regional.map((r) => row(`vaults in ${r.region}`, where(r.vaults, VAULTS_STACK))),
    ...plan.outside.map((r) =>
      row(
        `NOT created in ${r.region}`,
        `${r.vaults.join(', ')}: not in defaults.regions (no artifact bucket)`,
      ),
    ),
    ...plan.leftAlone.map((arn) => row('left alone', `${arn} (another account's vault: create it there)`)),
  ];
}
