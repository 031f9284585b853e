import type { Command } from 'commander';
import { didYouMean } from '../../config/did-you-mean.js';
import { OrgbridgeError } from '../../errors.js';
import { PLAN_SECTION_KINDS, type PlanSectionKind } from '../../plan/section-kinds.js';
import type { CliContext } from '../main.js';

/** Section kinds `--only` accepts: every section of the plan. */
export const PLAN_ONLY_CHOICES = PLAN_SECTION_KINDS;

function parseOnly(value: string): string[] {
  const kinds = value
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const kind of kinds) {
    if (!(PLAN_ONLY_CHOICES as readonly string[]).includes(kind)) {
      const guess = didYouMean(kind, [...PLAN_ONLY_CHOICES]);
      throw new OrgbridgeError(
        'CLI_UNKNOWN_PLAN_SECTION',
        `--only: unknown section '${kind}'${guess ? `; did you mean '${guess}'?` : ''}`,
        { hint: `sections: ${PLAN_ONLY_CHOICES.join(', ')}` },
      );
    }
  }
  return kinds;
}

export function registerPlan(program: Command, ctx: CliContext): void {
  program
    .command('plan')
    .description(
      'show what orgbridge would change: accounts and OUs, policies, ECR repositories, its own stacks, provisioning, and drift (exit 0: nothing, 2: changes pending, 1: error)',
    )
    .option('--json', 'the stable machine format (docs/plan.md)')
    .option('--markdown', 'Markdown for a pull-request comment, within GitHub comment size limit')
    .option(
      '--only <sections>',
      `comma-separated sections to plan: ${PLAN_ONLY_CHOICES.join(', ')}`,
      parseOnly,
    )
    .action(async (options: { json?: boolean; markdown?: boolean; only?: string[] }, cmd: Command) => {
      const [
        { loadConfig },
        { managementConnectionFromEnvironment },
        { planOrganization },
        render,
        { homeRegionOf },
      ] = await Promise.all([
        import('../../config/index.js'),
        import('../../pipeline/gateways/accounts-gateway.js'),
        import('../../pipeline/organization-plan.js'),
        import('../../plan/section-render.js'),
        import('../../templates/inputs.js'),
      ]);
      const config = await loadConfig(cmd.optsWithGlobals<{ config: string }>().config);
      // The bus, the reply queue and the artifact bucket are in the home region.
      const connection = await managementConnectionFromEnvironment(process.env, {
        config,
        region: homeRegionOf(config),
      });
      try {
        const plan = await planOrganization({
          config,
          connection,
          now: new Date(),
          ...(options.only ? { only: options.only as PlanSectionKind[] } : {}),
          output: ctx.io,
        });
        ctx.io.out(
          options.json
            ? render.renderOrganizationPlanJson(plan)
            : options.markdown
              ? render.renderOrganizationPlanMarkdown(plan)
              : render.renderOrganizationPlanText(plan),
        );
        const apply = plan.sections.flatMap((s) => (s.apply ? [s.apply] : []));
        if (apply.length && !options.json) {
          ctx.io.err(
            `plan only reads: nothing was changed. To apply, after review:\n  ${apply.join('\n  ')}`,
          );
        }
        ctx.exitCode = plan.summary.exitCode;
      } finally {
        await connection.close();
      }
    });
}
