import { createHash, randomUUID } from 'node:crypto';
import {
  type Change,
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import type { AwsClients } from '../aws/clients.js';
import { requireSpecialAccounts } from '../config/special-accounts.js';
import { AwsOperationError } from '../errors.js';
import { mapWithConcurrency } from '../handlers/accounts/ports.js';
import {
  type ArtifactUpload,
  resourceChangeLines,
  type StackPlanEntry,
  type StackResourceChange,
  stackWhere,
} from '../plan/section-stacks.js';
import { artifactBucketName, TEMPLATE_PREFIX, templateKey } from '../protocol/names.js';
import type { DeployStep } from '../templates/deployment.js';
import { deploySteps } from '../templates/deployment.js';
import type { RenderedTemplate } from '../templates/synth.js';
import {
  type ArtifactAction,
  DEPLOY_CONCURRENCY,
  describeStack,
  existingKeys,
  missingArtifacts,
  type Rendering,
  stackIsCurrent,
  stackRequest,
  templateUrls,
} from './deployed-state.js';
import { ensureStackSetsTrustedAccess } from './stacksets-access.js';

/**
 * What orgbridge's own stacks would change, read from CloudFormation without changing anything
 * (the bootstrap dry run and the plan's `stacks` section):
 *
 * - no stack yet: it would be created with every resource of its template. No change set is made
 *   for it: a CREATE change set leaves a stack in REVIEW_IN_PROGRESS behind, which a later
 *   CreateStack cannot reuse.
 * - the stack holds this template and these parameters: unchanged (no change set needed).
 * - otherwise an UPDATE change set lists the resources that would be added, modified (with
 *   replacement) or removed; it is deleted right after. `ChangeSetType` is always given: moto
 *   defaults to CREATE when it is missing.
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-create.html
 *
 * Drift (changed outside orgbridge) is read where found, without starting a new detection:
 * - the deployed template is none orgbridge rendered: every template orgbridge deploys is first
 *   uploaded to the cicd artifact bucket under its content hash (`templates/`), so a deployed
 *   template missing there was put by someone else (an update by hand);
 * - CloudFormation's last drift detection on the stack (DescribeStacks' DriftInformation) found
 *   resources edited outside CloudFormation (DRIFTED).
 *   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 */
export interface StackChangeOptions {
  /** Keys under `templates/` of the cicd artifact bucket, when it could be listed. */
  readonly knownTemplateKeys?: ReadonlySet<string>;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long a change set may take to compute (CloudFormation: seconds, rarely minutes). */
  readonly maxWaitMs?: number;
}

const SETTLED = new Set([
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE',
  'IMPORT_COMPLETE',
]);
/** CloudFormation's status reasons for a change set without changes (AWS and moto alike). */
const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

/** The key render-templates uploaded this template body under (same hash as RenderedTemplate). */
export function uploadedTemplateKey(templateName: string, body: string): string | undefined {
  try {
    const canonical = `${JSON.stringify(JSON.parse(body), null, 1)}\n`;
    const sha = createHash('sha256').update(canonical).digest('hex');
    return templateKey(`${templateName}-${sha.slice(0, 16)}`);
  } catch {
    return undefined; // not JSON: not a template orgbridge rendered
  }
}

function templateResources(template: RenderedTemplate): StackResourceChange[] {
  const resources = (template.template.Resources ?? {}) as Record<string, { Type?: string }>;
  return Object.entries(resources)
    .map(([logicalId, r]) => ({ action: 'Add', logicalId, type: r.Type ?? 'unknown' }))
    .sort((a, b) => (a.logicalId < b.logicalId ? -1 : 1));
}

function resourceChange(c: Change): StackResourceChange | undefined {
  const r = c.ResourceChange;
  if (!r?.LogicalResourceId) return undefined;
  return {
    action: r.Action ?? 'Modify',
    logicalId: r.LogicalResourceId,
    type: r.ResourceType ?? 'unknown',
    ...(r.Replacement ? { replacement: r.Replacement } : {}),
  };
}

function stackDrift(
  step: DeployStep,
  stack: Stack,
  deployedBody: string | undefined,
  options: StackChangeOptions,
): string[] {
  const drift: string[] = [];
  const info = stack.DriftInformation;
  if (info?.StackDriftStatus === 'DRIFTED') {
    const when = info.LastCheckTimestamp ? ` (checked ${info.LastCheckTimestamp.toISOString()})` : '';
    drift.push(`CloudFormation drift detection found resources changed outside CloudFormation${when}`);
  }
  if (options.knownTemplateKeys && deployedBody !== undefined) {
    const key = uploadedTemplateKey(step.template, deployedBody);
    if (!key || !options.knownTemplateKeys.has(key)) {
      drift.push(
        'the deployed template is none orgbridge rendered (not in the artifact bucket): the stack was updated outside orgbridge',
      );
    }
  }
  return drift;
}

/** Creates an UPDATE change set, waits for it, reads its resource changes, deletes it. */
async function changeSetResources(
  clients: AwsClients,
  step: DeployStep,
  request: ReturnType<typeof stackRequest>,
  options: StackChangeOptions,
): Promise<StackResourceChange[] | 'no-changes'> {
  const cfn = clients.cloudFormation(step.region);
  const name = `orgbridge-plan-${randomUUID().slice(0, 8)}`;
  const doing = `planning ${step.stackName} in ${step.accountKey} (${step.accountId}) with a change set`;
  try {
    await cfn.send(new CreateChangeSetCommand({ ...request, ChangeSetName: name, ChangeSetType: 'UPDATE' }));
  } catch (e) {
    if (e instanceof Error && NO_CHANGES.test(e.message)) return 'no-changes';
    throw new AwsOperationError(doing, e);
  }
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.maxWaitMs ?? 300_000);
  try {
    let described: DescribeChangeSetCommandOutput;
    for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
      described = await cfn
        .send(new DescribeChangeSetCommand({ StackName: step.stackName, ChangeSetName: name }))
        .catch((e) => {
          throw new AwsOperationError(doing, e);
        });
      if (described.Status === 'FAILED') {
        if (NO_CHANGES.test(described.StatusReason ?? '')) return 'no-changes';
        throw new AwsOperationError(doing, new Error(described.StatusReason ?? 'the change set FAILED'));
      }
      if (described.Status === 'CREATE_COMPLETE') break;
      if (Date.now() > deadline)
        throw new AwsOperationError(doing, new Error(`the change set is still ${described.Status}`));
      await sleep(delay);
    }
    const changes = [...(described.Changes ?? [])];
    for (let token = described.NextToken; token; ) {
      const page = await cfn
        .send(
          new DescribeChangeSetCommand({ StackName: step.stackName, ChangeSetName: name, NextToken: token }),
        )
        .catch((e) => {
          throw new AwsOperationError(doing, e);
        });
      changes.push(...(page.Changes ?? []));
      token = page.NextToken;
    }
    return changes.map(resourceChange).filter((c): c is StackResourceChange => c !== undefined);
  } finally {
    // A change set left behind is harmless but clutters the console: delete it, best effort.
    await cfn
      .send(new DeleteChangeSetCommand({ StackName: step.stackName, ChangeSetName: name }))
      .catch(() => undefined);
  }
}

/** What deploying `template` as `step` would change, without changing anything. */
export async function planStackChange(
  clients: AwsClients,
  step: DeployStep,
  template: RenderedTemplate,
  templateUrl: string | undefined,
  options: StackChangeOptions = {},
): Promise<StackPlanEntry> {
  const base = {
    template: step.template,
    stackName: step.stackName,
    accountKey: step.accountKey,
    accountId: step.accountId,
    region: step.region,
  };
  const stack = await describeStack(clients, step.region, step.stackName);
  if (!stack || stack.StackStatus === 'REVIEW_IN_PROGRESS') {
    return { ...base, change: 'create', resources: templateResources(template), drift: [] };
  }
  if (!SETTLED.has(stack.StackStatus ?? '')) {
    return {
      ...base,
      change: 'not-planned',
      resources: [],
      reason: `the stack is ${stack.StackStatus}${stack.StackStatusReason ? ` (${stack.StackStatusReason})` : ''}; plan again once it settles`,
      drift: [],
    };
  }
  const { current, deployedBody } = await stackIsCurrent(clients, step, template, stack);
  const drift = stackDrift(step, stack, deployedBody, options);
  if (current) return { ...base, change: 'unchanged', resources: [], drift };
  const resources = await changeSetResources(
    clients,
    step,
    stackRequest(step, template, templateUrl),
    options,
  );
  return resources === 'no-changes'
    ? { ...base, change: 'unchanged', resources: [], drift }
    : { ...base, change: 'update', resources, drift };
}

export interface ArtifactPlan {
  readonly stacks: readonly StackPlanEntry[];
  readonly uploads: readonly ArtifactUpload[];
  /** What the bootstrap would do about StackSets trusted access (AWS, stack sets): empty when on. */
  readonly trustedAccess: readonly string[];
  /** True when a stack would change, an artifact is missing or trusted access is off. */
  readonly pending: boolean;
}

/**
 * The dry run of `upload-lambdas`, `render-templates` or `bootstrap`: the artifacts missing from
 * the buckets and, for bootstrap, each stack's change.
 */
export async function planArtifacts(
  action: ArtifactAction,
  management: AwsClients,
  rendering: Rendering & { rootId: string },
  options: Omit<StackChangeOptions, 'knownTemplateKeys'> = {},
): Promise<ArtifactPlan> {
  const { inputs } = rendering;
  const cicdId = inputs.accountIds[
    requireSpecialAccounts(inputs.config, 'bootstrap', ['cicd']).cicd
  ] as string;
  const cicd = management.forAccount(cicdId);
  const concurrency = rendering.local ? DEPLOY_CONCURRENCY.emulator : DEPLOY_CONCURRENCY.aws;
  const uploads: ArtifactUpload[] = [];
  const kinds: ('bundles' | 'templates')[] =
    action === 'bootstrap'
      ? ['bundles', 'templates']
      : [action === 'upload-lambdas' ? 'bundles' : 'templates'];
  for (const what of kinds) {
    const { missing } = await missingArtifacts(rendering, cicd, what, concurrency);
    uploads.push(...missing.map((m) => ({ bucket: m.bucket, key: m.key, bytes: m.body.length })));
  }
  let stacks: StackPlanEntry[] = [];
  const trustedAccess: string[] = [];
  if (action === 'bootstrap' && deploySteps(rendering).some((s) => s.template === 'stack-sets')) {
    // Service-managed stack sets need trusted access first; a permanent refusal stops here.
    await ensureStackSetsTrustedAccess(management.cloudFormation(inputs.homeRegion), false, (t) =>
      trustedAccess.push(t),
    );
  }
  if (action === 'bootstrap') {
    const bucket = artifactBucketName(cicdId, inputs.homeRegion);
    const keys = await existingKeys(cicd.s3(inputs.homeRegion), bucket, TEMPLATE_PREFIX);
    const byName = new Map(rendering.templates.map((t) => [t.name, t]));
    const urls = templateUrls(rendering);
    stacks = await mapWithConcurrency(deploySteps(rendering), concurrency, (step) =>
      planStackChange(
        management.forAccount(step.accountId),
        step,
        byName.get(step.template) as RenderedTemplate,
        urls.get(step.template),
        { ...options, ...(keys.length ? { knownTemplateKeys: new Set(keys) } : {}) },
      ),
    );
  }
  const pending =
    trustedAccess.length > 0 ||
    uploads.length > 0 ||
    stacks.some((s) => s.change === 'create' || s.change === 'update');
  return { stacks, uploads, trustedAccess, pending };
}

const changed = (s: StackPlanEntry) => s.change === 'create' || s.change === 'update';

function stackLines(s: StackPlanEntry): string[] {
  const lines = s.drift.map((d) => `drift: ${stackWhere(s)}: ${d}`);
  if (changed(s)) {
    lines.push(`would ${s.change} ${s.template} as ${stackWhere(s)}`);
    for (const r of resourceChangeLines(s.resources)) lines.push(`    ${r}`);
  } else if (s.change === 'not-planned') lines.push(`not planned: ${stackWhere(s)}: ${s.reason}`);
  return lines;
}

/**
 * The dry run's printout in the order the bootstrap would act (artifact buckets, uploads, trusted
 * access, then the other stacks phase by phase), then a summary line.
 */
export function artifactPlanLines(plan: ArtifactPlan): string[] {
  const isArtifacts = (s: StackPlanEntry) => s.template.startsWith('artifacts-');
  const lines = plan.stacks.filter(isArtifacts).flatMap(stackLines);
  for (const u of plan.uploads) lines.push(`would upload s3://${u.bucket}/${u.key} (${u.bytes} bytes)`);
  lines.push(...plan.trustedAccess);
  lines.push(...plan.stacks.filter((s) => !isArtifacts(s)).flatMap(stackLines));
  const unchanged = plan.stacks.filter((s) => s.change === 'unchanged').length;
  lines.push(
    plan.pending
      ? `${plan.stacks.filter(changed).length} stack(s) to deploy, ${plan.uploads.length} artifact(s) to upload (${unchanged} stacks unchanged); run again with --execute to apply`
      : `nothing to do: ${unchanged} stacks and every artifact are up to date`,
  );
  return lines;
}
