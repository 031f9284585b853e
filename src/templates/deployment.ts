import { accountKinds, type TemplateInputs } from './inputs.js';
import type { RenderedTemplate } from './synth.js';

/**
 * Where and in which order the bootstrap deploys the rendered templates: pure, so `synth` and the
 * guardrails (./references.ts) check the very order `run --action bootstrap` follows.
 *
 * Phases, each waiting for the one before (a stack may name what an earlier phase created):
 * 1. the artifact buckets (cicd, every region);
 * 2. every account's event bus and the rule-target DLQ: in AWS the `stack-sets` stack in the
 *    management account (the event bus stack set reaches every other account, and the member
 *    handlers stack set waits for it by DependsOn) plus the management account's own bus, which
 *    service-managed stack sets never reach; locally the event bus template in every account;
 * 3. the handlers of the special accounts (their rules are on the bus of phase 2; the logs
 *    handler stack creates the logs bucket's service role), and locally of every member;
 * 4. the logs bucket (deployed with that role);
 * 5. the cicd account's forward shards.
 */
export interface DeployStep {
  readonly template: string;
  readonly stackName: string;
  readonly accountKey: string;
  readonly accountId: string;
  readonly region: string;
  readonly serviceRoleName?: string;
  readonly parameters?: Readonly<Record<string, string>>;
}

export interface DeploymentInput {
  readonly inputs: TemplateInputs;
  readonly templates: readonly RenderedTemplate[];
  readonly local: boolean;
  /** The organization root, the stack sets' target (AWS only). */
  readonly rootId: string;
}

export const DEPLOY_PHASES = ['artifacts', 'event-bus', 'handlers', 'log-buckets', 'forward'] as const;
export type DeployPhase = (typeof DEPLOY_PHASES)[number];

/** The phase of a template, by name. */
export function phaseOf(template: string): DeployPhase {
  if (template === 'event-bus' || template === 'stack-sets') return 'event-bus';
  if (template === 'log-buckets') return 'log-buckets';
  const prefix = template.slice(0, template.indexOf('-'));
  if (prefix === 'artifacts' || prefix === 'handlers' || prefix === 'forward') return prefix;
  throw new Error(`no bootstrap phase for template ${template}`);
}

/** The stacks to deploy, in phase order; stack sets expand to one stack per account in local mode. */
export function deploySteps(rendering: DeploymentInput): DeployStep[] {
  const { inputs } = rendering;
  const kinds = accountKinds(inputs.config);
  const management = inputs.config.organization.accounts.management;
  const idOf = (key: string) => inputs.accountIds[key] as string;
  const steps: DeployStep[] = [];
  for (const t of rendering.templates) {
    const p = t.placement;
    if (p.type === 'account') {
      steps.push({
        template: t.name,
        stackName: p.stackName,
        accountKey: p.accountKey,
        accountId: idOf(p.accountKey),
        region: p.region,
        ...(p.serviceRoleName ? { serviceRoleName: p.serviceRoleName } : {}),
        ...(t.name === 'stack-sets' ? { parameters: { TargetOrganizationalUnitIds: rendering.rootId } } : {}),
      });
      continue;
    }
    // Stack sets: in AWS the stack-sets template (management) deploys them; service-managed stack
    // sets skip the management account, so its bus is a plain stack. Locally: every account.
    const targets = Object.keys(inputs.accountIds)
      .filter((key) => (p.accounts === 'all' ? true : kinds.get(key) === 'member'))
      .filter((key) => rendering.local || (p.accounts === 'all' && key === management))
      .sort();
    for (const key of targets) {
      steps.push({
        template: t.name,
        stackName: p.stackName,
        accountKey: key,
        accountId: idOf(key),
        region: p.region,
      });
    }
  }
  const rank = (s: DeployStep) => DEPLOY_PHASES.indexOf(phaseOf(s.template));
  // A stable sort: within a phase, the order of the rendered templates.
  return steps
    .map((s, i) => [s, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map(([s]) => s);
}

/**
 * The deploy steps cut into the phases of DEPLOY_PHASES, in that order. Within a phase every step
 * is in another account or region (or, for the forward shards, has its own name), so they deploy
 * concurrently.
 */
export function deployPhases(steps: readonly DeployStep[]): DeployStep[][] {
  return DEPLOY_PHASES.map((phase) => steps.filter((s) => phaseOf(s.template) === phase)).filter(
    (p) => p.length > 0,
  );
}
