import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isOrgbridgeError, OrgbridgeError } from '../../errors.js';
import type { CliContext } from '../main.js';

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description(
      'one HTML page: what AWS holds next to what the config wants (ids, names, OUs, drift, the plan), with search and filters, the OU tree and every setting with its provenance',
    )
    .requiredOption('--html <file>', 'where to write the page')
    .option('--plan <file>', 'a saved `orgbridge plan --json` to show instead of planning now')
    .option('--offline', 'do not read AWS: a report of the configuration (and --plan) alone')
    .action(async (options: { html: string; plan?: string; offline?: boolean }, cmd: Command) => {
      const [{ loadConfig }, { renderHtmlReport }, { accountPlanFromJson }] = await Promise.all([
        import('../../config/index.js'),
        import('../../report/html.js'),
        import('../../report/plan-file.js'),
      ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      const saved = options.plan
        ? accountPlanFromJson(await readPlanFile(options.plan), options.plan)
        : undefined;
      const now = new Date();
      const observed = options.offline ? undefined : await readOrganization(config);
      let plan = saved;
      if (!plan && observed) {
        const { planAccountChanges } = await import('../../plan/accounts.js');
        plan = planAccountChanges({ config, observed, now });
      }
      await writeHtmlFile(
        options.html,
        renderHtmlReport({
          config,
          ...(observed ? { observed } : {}),
          ...(plan ? { plan, planSource: options.plan ?? 'computed now, not applied' } : {}),
          generatedAt: now,
        }),
      );
      ctx.io.out(
        `wrote ${options.html} (${config.accounts.length} accounts in the config${observed ? `, ${observed.accounts.length} in AWS` : ''}${plan ? `, ${plan.actions.length} planned actions` : ''})`,
      );
    });
}

/** One snapshot of the organization, through the gateway the plan and the sync use. */
async function readOrganization(config: import('../../config/model.js').ResolvedConfig) {
  const [{ accountsGatewayFromEnvironment }, { homeRegionOf }] = await Promise.all([
    import('../../pipeline/gateways/accounts-gateway.js'),
    import('../../templates/inputs.js'),
  ]);
  try {
    const { gateway, close } = await accountsGatewayFromEnvironment(process.env, {
      config,
      region: homeRegionOf(config),
    });
    try {
      return await gateway.list();
    } finally {
      await close();
    }
  } catch (e) {
    // A configuration mistake speaks for itself; AWS being out of reach gets the way around it.
    if (isOrgbridgeError(e) && e.source !== 'aws') throw e;
    throw new OrgbridgeError(
      'REPORT_AWS_UNREACHABLE',
      `could not read the organization: ${e instanceof Error ? e.message : String(e)}`,
      {
        source: 'aws',
        cause: e,
        hint: "run with the management account's (or the cicd account's) credentials, or add --offline for a report of the configuration alone",
      },
    );
  }
}

async function readPlanFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new OrgbridgeError('REPORT_FILE', `cannot read --plan ${path}: ${fileProblem(e)}`, {
      cause: e,
      hint: 'give the file `orgbridge plan --json > FILE` wrote',
    });
  }
}

async function writeHtmlFile(path: string, html: string): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (e) {
    throw new OrgbridgeError('REPORT_FILE', `cannot write --html ${path}: ${fileProblem(e)}`, {
      cause: e,
      hint: 'give a file name in a directory that exists and that you may write to',
    });
  }
}

/** What went wrong with a file, in words rather than an errno code. */
function fileProblem(e: unknown): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
