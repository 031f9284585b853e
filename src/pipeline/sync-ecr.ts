import { type CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import {
  type ECRClient,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
  PutLifecyclePolicyCommand,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { DescribeOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Client } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/model.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { awsErrorName, organizationsPort } from '../handlers/accounts/ports.js';
import { deployStack } from '../handlers/provisioning/deploy-stack.js';
import { cloudFormationPort } from '../handlers/provisioning/ports.js';
import { roleArn } from '../partitions.js';
import { sameJsonDocument, unifiedJsonDiff } from '../plan/json-diff.js';
import type { ObservedOrganization } from '../plan/observed.js';
import {
  type EcrDriftEntry,
  type EcrRepositoryPlan,
  ecrSection,
  repositoryDocument,
} from '../plan/section-ecr.js';
import type { PlanSection } from '../plan/sections.js';
import { ROLE_NAMES } from '../protocol/names.js';
import {
  ECR_STACK_NAME,
  type EcrTemplateInputs,
  type RenderedEcrTemplate,
  renderEcrTemplate,
} from '../templates/ecr.js';
import { resolveAccountIds } from '../templates/inputs.js';
import type { Outcome, Output } from './output.js';

/**
 * `orgbridge run --action sync-ecr [--execute]`: renders ecr.yml into the `orgbridge-ecr` stack
 * and deploys it in the cicd account's home region with the CloudFormation service role
 * `orgbridge-ecr-deployer` (the cicd handler stack holds it; STACK_DEPLOYMENTS in
 * src/templates/permissions.ts says what it may do). Account ids, the organization id and OU ids
 * come from Organizations, so pull grants follow the accounts that exist now.
 *
 * On the emulator (moto), CloudFormation ignores LifecyclePolicy and RepositoryPolicyText, so
 * `local` mode also sets both through the ECR API after the deploy.
 */
/** CloudFormation's limit for an inline TemplateBody. */
const TEMPLATE_BODY_MAX_BYTES = 51_200;

export interface SyncEcrOptions {
  readonly config: ResolvedConfig;
  /** Organizations as the management account (reads only). */
  readonly organizations: Client<OrganizationsClient>;
  /** CloudFormation and ECR in the cicd account. */
  readonly cloudFormation: Client<CloudFormationClient>;
  readonly ecr: Client<ECRClient>;
  /** The service role CloudFormation deploys the stack with (ecrDeployerRoleArn). */
  readonly serviceRoleArn: string;
  readonly execute: boolean;
  readonly output: Output;
  readonly local: boolean;
  /** Already read from Organizations (the action needs the cicd id first). */
  readonly inputs?: EcrTemplateInputs;
}

export interface RepositoryChange {
  readonly repository: string;
  readonly change: 'add' | 'update' | 'remove';
}

export interface SyncEcrResult {
  readonly rendered: RenderedEcrTemplate;
  readonly changes: readonly RepositoryChange[];
  readonly outcome: Outcome;
}

/**
 * OU path -> its `aws:PrincipalOrgPaths` value (`o-id/r-id/ou-a/ou-b/`; the root `''` is
 * `o-id/r-id/`), for every OU whose chain is known.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths
 */
export function orgPathsOf(
  organizationId: string,
  rootId: string,
  ous: Readonly<Record<string, string>>,
): Record<string, string> {
  const orgPaths: Record<string, string> = { '': `${organizationId}/${rootId}/` };
  for (const path of Object.keys(ous)) {
    if (path === '') continue;
    const parts = path.split('/');
    const ids = parts.map((_, i) => ous[parts.slice(0, i + 1).join('/')]);
    if (ids.every(Boolean)) orgPaths[path] = `${organizationId}/${rootId}/${ids.join('/')}/`;
  }
  return orgPaths;
}

/**
 * What the template needs, from a snapshot of the organization (LIST_ACCOUNTS or observed
 * in-process) instead of Organizations calls: the plan has one, from either gateway.
 */
export function ecrTemplateInputsFromObserved(
  config: ResolvedConfig,
  observed: ObservedOrganization,
  organizationId: string,
): EcrTemplateInputs {
  return {
    repositories: config.ecr,
    accounts: config.accounts,
    accountIds: resolveAccountIds(config, observed),
    organizationId,
    orgPaths: orgPathsOf(organizationId, observed.rootId, observed.ous),
  };
}

/** What the template needs from the organization. */
export async function ecrTemplateInputs(
  config: ResolvedConfig,
  organizations: Client<OrganizationsClient>,
): Promise<EcrTemplateInputs> {
  let organizationId: string;
  try {
    organizationId = (await organizations.send(new DescribeOrganizationCommand({}))).Organization?.Id ?? '';
  } catch (e) {
    throw new AwsOperationError('reading the organization id', e);
  }
  // Accounts are matched as the account sync matches them (key marker, email, name), so the
  // sync and `orgbridge plan` grant pulls to the same accounts.
  const observed = await observeOrganization(organizationsPort(organizations), { tagConcurrency: 8 });
  return ecrTemplateInputsFromObserved(config, observed, organizationId);
}

export async function deployedTemplate(
  cfn: Client<CloudFormationClient>,
): Promise<Record<string, unknown> | undefined> {
  try {
    const out = await cfn.send(new GetTemplateCommand({ StackName: ECR_STACK_NAME }));
    return out.TemplateBody ? (JSON.parse(out.TemplateBody) as Record<string, unknown>) : undefined;
  } catch (e) {
    if (awsErrorName(e) === 'ValidationError') return undefined; // the stack does not exist
    throw new AwsOperationError(`reading the template of stack ${ECR_STACK_NAME}`, e);
  }
}

type Resources = Record<string, { Properties?: { RepositoryName?: string } & Record<string, unknown> }>;
function repositoriesOf(template: Record<string, unknown> | undefined): Map<string, Record<string, unknown>> {
  const map = new Map<string, Record<string, unknown>>();
  for (const r of Object.values((template?.Resources ?? {}) as Resources)) {
    if (r.Properties?.RepositoryName) map.set(r.Properties.RepositoryName, r.Properties);
  }
  return map;
}

/**
 * Repository by repository: what the deploy adds, changes (lifecycle or pull policy) or removes,
 * with the settings before and after (for the plan's diff).
 */
export function repositoryPlans(
  deployed: Record<string, unknown> | undefined,
  rendered: Record<string, unknown>,
): EcrRepositoryPlan[] {
  const before = repositoriesOf(deployed);
  const after = repositoriesOf(rendered);
  const plans: EcrRepositoryPlan[] = [];
  for (const [name, props] of after) {
    const old = before.get(name);
    if (!old) plans.push({ repository: name, change: 'add', after: repositoryDocument(props) });
    else if (JSON.stringify(old) !== JSON.stringify(props))
      plans.push({
        repository: name,
        change: 'update',
        before: repositoryDocument(old),
        after: repositoryDocument(props),
      });
  }
  for (const [name, props] of before)
    if (!after.has(name))
      plans.push({ repository: name, change: 'remove', before: repositoryDocument(props) });
  return plans.sort((a, b) => (a.repository < b.repository ? -1 : 1));
}

/** Repository by repository: what the deploy adds, changes (lifecycle or pull policy) or removes. */
export function diffRepositories(
  deployed: Record<string, unknown> | undefined,
  rendered: Record<string, unknown>,
): RepositoryChange[] {
  return repositoryPlans(deployed, rendered).map(({ repository, change }) => ({ repository, change }));
}

/** One policy of a repository as ECR has it now; undefined when it has none. */
async function currentPolicy(
  ecr: Client<ECRClient>,
  repository: string,
  which: 'pull' | 'lifecycle',
): Promise<string | undefined | 'no-repository'> {
  try {
    if (which === 'pull') {
      const out = await ecr.send(new GetRepositoryPolicyCommand({ repositoryName: repository }));
      return out.policyText;
    }
    const out = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: repository }));
    return out.lifecyclePolicyText;
  } catch (e) {
    const name = awsErrorName(e);
    if (name === 'RepositoryNotFoundException') return 'no-repository';
    if (name === 'RepositoryPolicyNotFoundException' || name === 'LifecyclePolicyNotFoundException')
      return undefined;
    throw new AwsOperationError(`reading the ${which} policy of repository ${repository}`, e);
  }
}

/**
 * Repositories of the deployed stack whose pull or lifecycle policy in ECR is not the one the
 * stack set (edited, added or removed by hand), or that were deleted. CloudFormation does not
 * notice such edits: a deploy of an unchanged template leaves them as they are.
 */
export async function ecrDrift(
  ecr: Client<ECRClient>,
  deployed: Record<string, unknown> | undefined,
): Promise<EcrDriftEntry[]> {
  const drift: EcrDriftEntry[] = [];
  for (const [name, props] of repositoriesOf(deployed)) {
    const wanted = {
      pull: props.RepositoryPolicyText === undefined ? undefined : JSON.stringify(props.RepositoryPolicyText),
      lifecycle: (props.LifecyclePolicy as { LifecyclePolicyText?: string } | undefined)?.LifecyclePolicyText,
    };
    for (const which of ['pull', 'lifecycle'] as const) {
      const now = await currentPolicy(ecr, name, which);
      if (now === 'no-repository') {
        drift.push({ repository: name, detail: 'deleted outside orgbridge (the stack still lists it)' });
        break;
      }
      const expected = wanted[which];
      if (expected === undefined && now === undefined) continue;
      if (expected !== undefined && now !== undefined && sameJsonDocument(expected, now)) continue;
      const what = now === undefined ? 'removed' : expected === undefined ? 'added' : 'edited';
      drift.push({
        repository: name,
        detail: `${which} policy ${what} outside orgbridge; a deploy of the unchanged stack does not restore it`,
        diff: unifiedJsonDiff(expected, now, { from: `${ECR_STACK_NAME} template`, to: 'ECR now' }),
      });
    }
  }
  return drift;
}

/** The plan's `ecr` section: the stack's repositories against ecr.yml, and their drift. */
export async function planEcrSection(options: {
  readonly inputs: EcrTemplateInputs;
  /** CloudFormation and ECR in the cicd account's home region. */
  readonly cloudFormation: Client<CloudFormationClient>;
  readonly ecr: Client<ECRClient>;
}): Promise<PlanSection> {
  const rendered = renderEcrTemplate(options.inputs);
  const deployed = await deployedTemplate(options.cloudFormation);
  return ecrSection({
    stackName: rendered.stackName,
    repositories: repositoryPlans(deployed, rendered.template),
    drift: await ecrDrift(options.ecr, deployed),
    ...(deployed ? {} : { notes: [`${rendered.stackName} is not deployed yet`] }),
  });
}

/** The CloudFormation service role of the ECR stack in the cicd account (home region). */
export function ecrDeployerRoleArn(homeRegion: string, cicdAccountId: string): string {
  return roleArn(homeRegion, cicdAccountId, ROLE_NAMES.ecrDeployer);
}

export async function syncEcr(options: SyncEcrOptions): Promise<SyncEcrResult> {
  const { output } = options;
  const rendered = renderEcrTemplate(
    options.inputs ?? (await ecrTemplateInputs(options.config, options.organizations)),
  );
  const deployed = await deployedTemplate(options.cloudFormation);
  const changes = diffRepositories(deployed, rendered.template);
  const mark = { add: '+', update: '~', remove: '-' } as const;
  output.out(
    changes.length === 0
      ? `ECR (${rendered.stackName}): no changes`
      : `ECR (${rendered.stackName}): ${changes.length} repositor${changes.length === 1 ? 'y' : 'ies'} to change`,
  );
  for (const c of changes) output.out(`  ${mark[c.change]} ${c.change} ${c.repository}`);
  if (changes.some((c) => c.change === 'remove')) {
    output.out('  (removed repositories are deleted by CloudFormation only when they hold no images)');
  }
  if (changes.length === 0) return { rendered, changes, outcome: 'done' };
  if (!options.execute) {
    output.err('dry run: run again with --execute to deploy');
    return { rendered, changes, outcome: 'pending' };
  }
  if (Buffer.byteLength(rendered.body) > TEMPLATE_BODY_MAX_BYTES) {
    throw new OrgbridgeError(
      'ECR_TEMPLATE_TOO_LARGE',
      `the ECR template is ${Buffer.byteLength(rendered.body)} bytes, over CloudFormation's ${TEMPLATE_BODY_MAX_BYTES} for an inline body`,
      { hint: 'merge pull grants in ecr.yml, or split repositories over fewer grants' },
    );
  }
  try {
    await deployStack(
      cloudFormationPort(options.cloudFormation, 'the cicd account'),
      { name: ECR_STACK_NAME, template: { body: rendered.body }, roleArn: options.serviceRoleArn },
      { maxWaitMs: 900_000, pollMs: options.local ? 100 : 5_000 },
    );
  } catch (e) {
    // CloudFormation refuses a role it cannot assume before it starts: the cicd handler stack,
    // which holds the role, is older than this version or was never deployed.
    if (e instanceof Error && /Role .* is invalid or cannot be assumed/i.test(e.message)) {
      throw new OrgbridgeError(
        'ECR_SERVICE_ROLE_MISSING',
        `CloudFormation cannot assume ${options.serviceRoleArn} to deploy ${ECR_STACK_NAME}`,
        {
          source: 'aws',
          cause: e,
          hint: 'run `orgbridge run --action bootstrap --execute`: the cicd handler stack creates the role',
        },
      );
    }
    throw e;
  }
  if (options.local) {
    for (const [name, r] of Object.entries(rendered.repositories)) {
      try {
        if (r.repositoryPolicy) {
          await options.ecr.send(
            new SetRepositoryPolicyCommand({
              repositoryName: name,
              policyText: JSON.stringify(r.repositoryPolicy),
            }),
          );
        }
        if (r.lifecyclePolicy) {
          await options.ecr.send(
            new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: r.lifecyclePolicy }),
          );
        }
      } catch (e) {
        throw new AwsOperationError(`setting the policies of repository ${name} (emulator)`, e);
      }
    }
  }
  output.out(`deployed ${ECR_STACK_NAME}`);
  return { rendered, changes, outcome: 'done' };
}
