import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients, Client } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/model.js';
import { AwsOperationError, isOrgbridgeError, OrgbridgeError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { mapWithConcurrency, organizationsPort } from '../handlers/accounts/ports.js';
import { managementTagsToApply } from '../plan/accounts.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { buildBundles, bundleKeys } from '../templates/bundles.js';
import { type DeployStep, deployPhases, deploySteps } from '../templates/deployment.js';
import { assertGuardrails, checkDeployment } from '../templates/guardrails.js';
import { templateInputs } from '../templates/inputs.js';
import { type RenderedTemplate, renderTemplates } from '../templates/synth.js';
import {
  type ArtifactAction,
  bucketRegion,
  cicdKeyOf,
  DEPLOY_CONCURRENCY,
  describeStack,
  missingArtifacts,
  monitoringSinkArnOf,
  type Rendering,
  stackIsCurrent,
  stackRequest,
  templateUrls,
} from './deployed-state.js';
import type { Outcome, Output } from './output.js';
import { ensureStackSetsTrustedAccess } from './stacksets-access.js';

export type { ArtifactAction, Rendering };
// The deploy order is computed with the templates (so synth's guardrails check the same order).
export { type DeployStep, deployPhases, deploySteps };

/**
 * The EventBridge design's bootstrap and the two artifact actions, as one plan of steps over rendered
 * templates: `upload-lambdas` (bundles to every region's artifact bucket), `render-templates`
 * (templates rendered with the organization's real account ids, uploaded), and `bootstrap`
 * (artifact buckets, then the stacks in dependency order). Dry run by default: the steps are
 * printed, nothing is called but the reads that learn the account ids.
 *
 * Local mode (an emulator endpoint): moto runs no Lambda and no stack sets, so the local variant
 * of the handler templates (queues and rules, no function) is deployed as a plain stack in every
 * account instead, and the in-process poller of src/runtime consumes the queues.
 */
/**
 * Observes the organization (account ids as the account sync matches them, the OU map) and its
 * id, bundles, renders.
 */
export async function renderForOrganization(
  config: ResolvedConfig,
  management: AwsClients,
  options: { local: boolean; observed?: ObservedOrganization },
): Promise<Rendering & { rootId: string; observed: ObservedOrganization }> {
  // esbuild runs in its own process: bundle while the organization is being read.
  const bundling = buildBundles();
  bundling.catch(() => undefined);
  // The whole observed organization (management account id, OU map, `orgbridge:key` tags), so
  // accounts are recognised exactly as the account sync recognises them. The plan passes the
  // snapshot it already took.
  const [observed, organization] = await Promise.all([
    options.observed ??
      observeOrganization(organizationsPort(management.organizations()), { tagConcurrency: 8 }),
    management
      .organizations()
      .send(new DescribeOrganizationCommand({}))
      .catch((e) => {
        throw new AwsOperationError('describing the organization (organizations:DescribeOrganization)', e);
      }),
  ]);
  const organizationId = organization.Organization?.Id;
  if (!organizationId)
    throw new OrgbridgeError('BOOTSTRAP_NO_ORGANIZATION', 'the caller is in no organization');
  const bundles = await bundling;
  let inputs = templateInputs(config, {
    observed,
    organizationId,
    bundleKeys: bundleKeys(bundles),
  });
  if (inputs.placeholders.length > 0) {
    throw new OrgbridgeError(
      'BOOTSTRAP_SPECIAL_ACCOUNT_MISSING',
      `the special accounts are not all in the organization (placeholder ids ${inputs.placeholders.join(', ')})`,
      { hint: 'run `orgbridge run --action sync-accounts --execute` first: it creates the special accounts' },
    );
  }
  if (!options.local) {
    // The links of every account to the audit account's sink name its ARN (AWS-generated).
    const monitoringSinkArn = await monitoringSinkArnOf(management, inputs);
    if (monitoringSinkArn) inputs = { ...inputs, monitoringSinkArn };
  }
  return {
    inputs,
    bundles,
    templates: renderTemplates(inputs, { local: options.local }),
    local: options.local,
    rootId: observed.rootId,
    observed,
  };
}

const TERMINAL_OK = new Set(['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE']);

/** The reason of the first resource that failed, from the stack's events (newest first). */
async function firstFailure(
  cfn: Client<CloudFormationClient>,
  stackName: string,
): Promise<string | undefined> {
  try {
    const out = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
    const failed = (out.StackEvents ?? []).filter((e) => e.ResourceStatus?.endsWith('_FAILED'));
    return failed[failed.length - 1]?.ResourceStatusReason;
  } catch {
    return undefined;
  }
}

/** Creates or updates one stack and waits until it settles. Returns what happened. */
export async function deployStack(
  clients: AwsClients,
  step: DeployStep,
  template: RenderedTemplate,
  templateUrl: string | undefined,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<'created' | 'updated' | 'unchanged'> {
  const cfn = clients.cloudFormation(step.region);
  const common = stackRequest(step, template, templateUrl);
  const existing = await describeStack(clients, step.region, step.stackName);
  if (
    existing &&
    TERMINAL_OK.has(existing.StackStatus ?? '') &&
    existing.StackStatus !== 'UPDATE_ROLLBACK_COMPLETE' &&
    (await stackIsCurrent(clients, step, template, existing)).current
  ) {
    return 'unchanged';
  }
  let outcome: 'created' | 'updated' | 'unchanged';
  try {
    if (existing?.StackStatus === 'ROLLBACK_COMPLETE') {
      // A failed first creation leaves nothing but the stack, which cannot be updated: start over.
      await cfn.send(new DeleteStackCommand({ StackName: step.stackName }));
      while (
        (await describeStack(clients, step.region, step.stackName))?.StackStatus === 'DELETE_IN_PROGRESS'
      )
        await sleep(1_000);
    }
    if (
      !existing ||
      existing.StackStatus === 'REVIEW_IN_PROGRESS' ||
      existing.StackStatus === 'ROLLBACK_COMPLETE'
    ) {
      await cfn.send(
        new CreateStackCommand({ ...common, Tags: [{ Key: 'managed-by', Value: 'orgbridge' }] }),
      );
      outcome = 'created';
    } else {
      await cfn.send(new UpdateStackCommand(common));
      outcome = 'updated';
    }
  } catch (e) {
    if (e instanceof Error && /No updates are to be performed/.test(e.message)) return 'unchanged';
    throw new AwsOperationError(
      `deploying ${step.template} as ${step.stackName} in ${step.accountKey} (${step.accountId})`,
      e,
    );
  }
  for (let delay = 1_000; ; delay = Math.min(delay * 2, 15_000)) {
    const stack = await describeStack(clients, step.region, step.stackName);
    const status = stack?.StackStatus ?? 'MISSING';
    if (TERMINAL_OK.has(status) && status !== 'UPDATE_ROLLBACK_COMPLETE') return outcome;
    if (!status.endsWith('_IN_PROGRESS')) {
      const reason = stack?.StackStatusReason ?? (await firstFailure(cfn, step.stackName));
      throw new OrgbridgeError(
        'BOOTSTRAP_STACK_FAILED',
        `${step.stackName} in ${step.accountKey} ${status === 'UPDATE_ROLLBACK_COMPLETE' ? 'rolled back' : `is ${status}`}${reason ? `: ${reason}` : ''}`,
        {
          source: 'aws',
          hint:
            status === 'ROLLBACK_COMPLETE'
              ? 'nothing of it was kept; the next bootstrap deletes it and creates it again'
              : 'see the stack events in the CloudFormation console',
        },
      );
    }
    await sleep(delay);
  }
}

export interface BootstrapRun {
  readonly execute: boolean;
  readonly output: Output;
  /** Clients of the management account (the credentials the pipeline runs with). */
  readonly management: AwsClients;
  readonly config: ResolvedConfig;
  /**
   * `aws` or `local`; by default local exactly when the clients talk to an emulator endpoint.
   * The tests plan the AWS deployment against the emulator with it (dry runs only: moto skips
   * stack sets).
   */
  readonly mode?: 'aws' | 'local';
}

const where = (step: DeployStep) =>
  `${step.stackName} in ${step.accountKey} (${step.accountId}) ${step.region}`;

/** Runs one of the three actions; returns done, or pending on a dry run with work to do. */
export async function runArtifactAction(action: ArtifactAction, run: BootstrapRun): Promise<Outcome> {
  const local = run.mode ? run.mode === 'local' : Boolean(run.management.context.endpoint);
  const rendering = await renderForOrganization(run.config, run.management, { local });
  const { inputs } = rendering;
  const managementTags =
    action === 'bootstrap' ? managementTagsToApply(run.config, rendering.observed) : undefined;
  // Nothing is uploaded or deployed that a guardrail refuses (docs/architecture.md, "Guardrails").
  if (action !== 'upload-lambdas')
    assertGuardrails(checkDeployment(rendering), `${action} refused the rendered templates`);
  const cicdId = inputs.accountIds[cicdKeyOf(inputs.config)] as string;
  const cicd = run.management.forAccount(cicdId);
  const say = (text: string) => run.output.out(text);
  if (local)
    say('local emulator: handler templates without Lambda; stack sets deployed as stacks in each account');

  if (!run.execute) {
    // The dry run reads what each step would change (change sets, the buckets' keys, trusted
    // access), so a dry run right after a bootstrap says there is nothing to do
    // (src/pipeline/stack-changes.ts).
    const { planArtifacts, artifactPlanLines } = await import('./stack-changes.js');
    const planned = await planArtifacts(action, run.management, rendering);
    const lines = artifactPlanLines(planned);
    if (managementTags) lines.splice(-1, 0, managementTagLine(managementTags, 'would tag'));
    for (const line of lines) say(line);
    return planned.pending || managementTags ? 'pending' : 'done';
  }

  const steps = deploySteps(rendering);
  const concurrency = local ? DEPLOY_CONCURRENCY.emulator : DEPLOY_CONCURRENCY.aws;
  const byName = new Map(rendering.templates.map((t) => [t.name, t]));
  const urls = templateUrls(rendering);

  const deploy = async (filter: (s: DeployStep) => boolean) => {
    for (const phase of deployPhases(steps.filter(filter))) {
      // Stop starting stacks once one failed; let those in flight settle, then report.
      const failures: unknown[] = [];
      await mapWithConcurrency(phase, concurrency, async (step) => {
        if (failures.length) return;
        const started = performance.now();
        const message = {
          type: 'step' as const,
          step: 'deploy-stack',
          target: step.stackName,
          account: step.accountId,
          region: step.region,
        };
        try {
          const outcome = await deployStack(
            run.management.forAccount(step.accountId),
            step,
            byName.get(step.template) as RenderedTemplate,
            urls.get(step.template),
          );
          say(`${outcome} ${where(step)}`);
          const durationMs = Math.round(performance.now() - started);
          run.output.emit?.({
            ...message,
            status: outcome === 'unchanged' ? 'unchanged' : 'done',
            durationMs,
          });
        } catch (e) {
          failures.push(e);
          run.output.emit?.({
            ...message,
            status: 'failed',
            durationMs: Math.round(performance.now() - started),
            ...(isOrgbridgeError(e) ? { code: e.code } : {}),
            message: e instanceof Error ? e.message : String(e),
          });
        }
      });
      if (failures.length) throw failures[0];
    }
  };
  const upload = async (what: 'bundles' | 'templates') => {
    const { items, missing } = await missingArtifacts(rendering, cicd, what, concurrency);
    const regionOf = (bucket: string) => bucketRegion(rendering, bucket);
    if (items.length > missing.length) say(`${items.length - missing.length} ${what} already uploaded`);
    await mapWithConcurrency(missing, concurrency, async (item) => {
      await cicd
        .s3(regionOf(item.bucket))
        .send(
          new PutObjectCommand({
            Bucket: item.bucket,
            Key: item.key,
            Body: item.body,
            ContentType: item.type,
          }),
        )
        .catch((e) => {
          throw new AwsOperationError(`uploading s3://${item.bucket}/${item.key}`, e);
        });
      say(`uploaded s3://${item.bucket}/${item.key}`);
    });
  };

  const isArtifacts = (s: DeployStep) => s.template.startsWith('artifacts-');
  if (action === 'bootstrap') await deploy(isArtifacts);
  if (action === 'upload-lambdas' || action === 'bootstrap') await upload('bundles');
  if (action === 'render-templates' || action === 'bootstrap') await upload('templates');
  if (action === 'bootstrap' && steps.some((s) => s.template === 'stack-sets'))
    await ensureStackSetsTrustedAccess(run.management.cloudFormation(inputs.homeRegion), run.execute, say);
  if (action === 'bootstrap') await deploy((s) => !isArtifacts(s));
  if (action === 'bootstrap' && !local && !inputs.monitoringSinkArn) {
    // The first bootstrap created the audit account's monitoring sink: its ARN exists only now,
    // and the event bus stacks link to it, so they are deployed once more (the rest is unchanged).
    if (await monitoringSinkArnOf(run.management, inputs)) {
      say('the monitoring sink is new: deploying again to link every account to it');
      return runArtifactAction(action, run);
    }
  }
  if (managementTags) {
    await organizationsPort(run.management.organizations()).tagResource(
      managementTags.accountId,
      managementTags.set,
    );
    say(managementTagLine(managementTags, 'tagged'));
  }
  return 'done';
}

function managementTagLine(change: { accountId: string; set: Record<string, string> }, verb: string): string {
  const tags = Object.entries(change.set).map(([k, v]) => `${k}=${v}`);
  return `${verb} the management account ${change.accountId}: ${tags.join(', ')} (the DSL's tags; no event changes that account)`;
}
