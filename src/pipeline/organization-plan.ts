import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import type { AwsClients } from '../aws/clients.js';
import { RequestFailedError } from '../bus/requests.js';
import { type PolicyType, type ResolvedConfig, SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { isOrgbridgeError } from '../errors.js';
import { organizationsPolicyPort } from '../handlers/policies/ports.js';
import { planTextOf } from '../handlers/policies/sync.js';
import { planAccountChanges } from '../plan/accounts.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { POLICY_TYPES_ORDER } from '../plan/policies.js';
import { accountAttachmentsOf, policyScopeOf } from '../plan/policy-scope.js';
import { accountsSection } from '../plan/section-accounts.js';
import { PLAN_SECTION_KINDS, type PlanSectionKind } from '../plan/section-kinds.js';
import { policiesSection, policiesSectionFromText } from '../plan/section-policies.js';
import { stacksSection } from '../plan/section-stacks.js';
import { type OrganizationPlan, organizationPlan, type PlanSection, section } from '../plan/sections.js';
import { homeRegionOf, resolveAccountIds } from '../templates/inputs.js';
import { accountsGatewayOver, type ManagementConnection } from './gateways/accounts-gateway.js';
import type { Output } from './output.js';
import { ecrTemplateInputsFromObserved, planEcrSection } from './sync-ecr.js';
import { observeAndPlanPolicies } from './sync-policies.js';
import { syncScpsByEvent } from './sync-scps.js';

/**
 * `orgbridge plan`: one read-only pass over everything orgbridge manages, one section per kind
 * (src/plan/sections.ts). The organization is observed once, through the same gateway the sync
 * uses (docs/plan.md, "Gateways"); each section is then planned from it and from its own reads.
 * A section that cannot be planned is reported as failed (exit 1) without hiding the others.
 *
 * To add a kind, write its section builder in src/plan, add its name to PLAN_SECTION_KINDS
 * (src/plan/section-kinds.ts) and one entry to SECTION_PLANNERS.
 */
export interface PlanContext {
  readonly config: ResolvedConfig;
  readonly connection: ManagementConnection;
  readonly observed: ObservedOrganization;
  readonly now: Date;
  readonly homeRegion: string;
  /** Account key -> id, matched as the account sync matches accounts. */
  readonly accountIds: Readonly<Record<string, string>>;
  /** Where the pipeline keeps its state (ORGBRIDGE_PIPELINE_STATE, ...: pipelineStateStore). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The organization's id (`o-...`), read once for the sections that need it. */
  readonly organizationId: () => Promise<string>;
}

interface SectionPlanner {
  readonly title: string;
  plan(context: PlanContext): Promise<PlanSection>;
}

const emulated = (context: PlanContext) => context.connection.clients.context.endpoint !== undefined;

/** The cicd account's clients: direct runs as management and reaches cicd by its access role. */
function cicdClients(context: PlanContext, cicdId: string): AwsClients {
  const { connection } = context;
  const caller = connection.kind === 'direct' ? context.observed.managementAccountId : cicdId;
  return cicdId === caller ? connection.clients : connection.clients.forAccount(cicdId);
}

/** Why a section needs the management account's credentials when the plan runs as cicd. */
const MANAGEMENT_ONLY =
  "needs the management account's credentials (the cicd account cannot read them); run `orgbridge plan` with them to include it";

/**
 * `organization.<kind>, ... is/are not set in accounts.yml` for the special accounts the DSL does
 * not name (an imported organization before its first bootstrap); undefined when it names all.
 */
function unsetSpecialAccounts(config: ResolvedConfig): string | undefined {
  const unset = SPECIAL_ACCOUNT_KINDS.filter((kind) => config.organization.accounts[kind] === undefined);
  if (!unset.length) return undefined;
  return `${unset.map((k) => `organization.${k}`).join(', ')} ${unset.length === 1 ? 'is' : 'are'} not set in accounts.yml`;
}

async function planPoliciesSection(context: PlanContext): Promise<PlanSection> {
  const { config, connection } = context;
  if (connection.kind === 'eventbridge') {
    // From the cicd account: the SCPs are planned by the management account's SYNC_SCPS handler
    // (a dry run), which answers with the plan text and diffs.
    const others = config.policies.filter((p) => p.type !== 'scp').length;
    const notes = others
      ? [`tag and backup policies (${others} files) not planned: that ${MANAGEMENT_ONLY}`]
      : [];
    try {
      const { reply } = await syncScpsByEvent({
        client: connection.client,
        s3: connection.clients.s3(context.homeRegion),
        managementAccountId: connection.managementAccountId,
        homeRegion: context.homeRegion,
        policies: config.policies,
        limits: config.organization.limits,
        dryrun: true,
      });
      const text = planTextOf(reply.summary) ?? `policies (scp): ${reply.summary?.actions ?? 0} changes`;
      return policiesSectionFromText({ text, types: ['scp'], notes });
    } catch (e) {
      if (!(e instanceof RequestFailedError) || e.remoteCode !== 'SYNC_SCPS_BLOCKED') throw e;
      return section({
        kind: 'policies',
        title: 'Organization policies',
        summary: 'refused by the management account',
        blocked: [{ code: e.remoteCode, message: e.message }],
        notes,
      });
    }
  }
  let types: PolicyType[] = [...POLICY_TYPES_ORDER];
  const notes: string[] = [];
  if (emulated(context)) {
    // moto answers CreatePolicy of BACKUP_POLICY with a 500 (see src/pipeline/sync-policies.ts).
    types = types.filter((t) => t !== 'backup');
    notes.push('backup policies not planned: the AWS emulator (moto) cannot hold BACKUP_POLICY');
  }
  const { desired, observed, plan } = await observeAndPlanPolicies(
    config,
    organizationsPolicyPort(connection.clients.organizations()),
    types,
  );
  return policiesSection({
    plan,
    observed,
    desired,
    drift: {
      described: accountAttachmentsOf(config),
      unmanagedPolicies: policyScopeOf(config).unmanagedPolicies ?? [],
    },
    notes,
  });
}

async function planEcr(context: PlanContext): Promise<PlanSection> {
  const { config } = context;
  const cicdKey = config.organization.accounts.cicd;
  if (cicdKey === undefined) {
    // An imported organization may have no cicd account yet: then there is no ECR stack either.
    return section({
      kind: 'ecr',
      title: 'ECR repositories',
      summary: 'not planned',
      skipped: true,
      notes: ['no cicd account is set (organization.cicd): the ECR stack lives there'],
    });
  }
  const cicdId = context.accountIds[cicdKey];
  if (!cicdId) {
    return section({
      kind: 'ecr',
      title: 'ECR repositories',
      summary: 'not planned',
      skipped: true,
      notes: [
        'the cicd account does not exist yet (sync-accounts creates it); the ECR stack is planned after',
      ],
    });
  }
  const cicd = cicdClients(context, cicdId);
  return planEcrSection({
    inputs: ecrTemplateInputsFromObserved(config, context.observed, await context.organizationId()),
    cloudFormation: cicd.cloudFormation(context.homeRegion),
    ecr: cicd.ecr(context.homeRegion),
  });
}

async function planStacks(context: PlanContext): Promise<PlanSection> {
  const { connection } = context;
  if (connection.kind === 'eventbridge') {
    return section({
      kind: 'stacks',
      title: "orgbridge's stacks",
      summary: 'not planned',
      skipped: true,
      notes: [`orgbridge's stacks are in every account: reading them ${MANAGEMENT_ONLY}`],
    });
  }
  const [{ renderForOrganization }, { planArtifacts }] = await Promise.all([
    import('./bootstrap.js'),
    import('./stack-changes.js'),
  ]);
  const skipped = (note: string) =>
    section({
      kind: 'stacks',
      title: "orgbridge's stacks",
      summary: 'not planned',
      skipped: true,
      notes: [note],
    });
  const unset = unsetSpecialAccounts(context.config);
  if (unset) {
    // An imported organization before its first bootstrap: there are no stacks to compare yet.
    return skipped(`orgbridge's stacks live in the special accounts, and ${unset}`);
  }
  const local = emulated(context);
  let rendering: Awaited<ReturnType<typeof renderForOrganization>>;
  try {
    rendering = await renderForOrganization(context.config, connection.clients, {
      local,
      observed: context.observed,
    });
  } catch (e) {
    if (!isOrgbridgeError(e) || e.code !== 'BOOTSTRAP_SPECIAL_ACCOUNT_MISSING') throw e;
    return skipped(
      'the special accounts do not all exist yet (sync-accounts creates them); the stacks are planned after',
    );
  }
  const planned = await planArtifacts('bootstrap', connection.clients, rendering);
  return stacksSection({
    stacks: planned.stacks,
    uploads: planned.uploads,
    trustedAccess: planned.trustedAccess,
    notes: local ? ['local emulator: handler templates without Lambda, stack sets as plain stacks'] : [],
  });
}

/**
 * The user's stacks (stacks/<name>/, docs/customizations.md), planned as `run --action
 * customizations` plans them: each account's `custom-*` stacks listed, each update with its change
 * set's resource changes. Through either gateway: DEPLOY_CUSTOMIZATION over EventBridge reads
 * them from the cicd account too.
 */
async function planCustomizationsSection(context: PlanContext): Promise<PlanSection> {
  const { config } = context;
  if (!config.customizations?.length) {
    return section({ kind: 'customizations', title: 'Customizations', summary: 'none in stacks/' });
  }
  const [
    { customizationGatewayOver },
    { planCustomizationRun, retiredAccountsOf },
    { customizationsSection },
  ] = await Promise.all([
    import('./gateways/customization-gateway.js'),
    import('./customizations.js'),
    import('../plan/customizations.js'),
  ]);
  const gateway = customizationGatewayOver(context.connection, config, context.accountIds);
  const { decisions } = await planCustomizationRun({
    config,
    accountIds: context.accountIds,
    gateway,
    withChanges: true,
    retired: retiredAccountsOf(config, context.observed),
  });
  return customizationsSection(decisions);
}

/**
 * The alias and password policy of each account (docs/dsl.md), read in every account that has
 * them by a dry run of UPDATE_IAM_ACCOUNT_SETTINGS, through either gateway: what differs is a
 * change, and a value someone set by hand is drift too.
 */
async function planIamSettings(context: PlanContext): Promise<PlanSection> {
  const [{ provisioningGatewayOver }, { observeIamSettings, iamSettingsSection }, { iamSettingsRequest }] =
    await Promise.all([
      import('./gateways/provision-gateway.js'),
      import('./iam-settings.js'),
      import('../config/iam-settings.js'),
    ]);
  const title = 'IAM account settings';
  if (!context.config.accounts.some((a) => iamSettingsRequest(a))) {
    return section({ kind: 'iam-settings', title, summary: 'none in the DSL (alias, password_policy)' });
  }
  const unset = unsetSpecialAccounts(context.config);
  if (unset) {
    return section({
      kind: 'iam-settings',
      title,
      summary: 'not planned',
      skipped: true,
      notes: [`the accounts are reached through orgbridge's handlers and roles, and ${unset}`],
    });
  }
  const gateway = provisioningGatewayOver(context.connection, context.config, context.accountIds);
  return iamSettingsSection(
    await observeIamSettings({ config: context.config, accountIds: context.accountIds, gateway }),
  );
}

/**
 * The provisioning pipeline's steps that a run would carry out (docs/provisioning.md): rendered
 * as `run --action pipeline` renders them, against the state it keeps. What a pull request
 * changes in the accounts' access shows here, as the baselines and identity mapping it
 * re-deploys with the roles they will hold.
 */
async function planProvisioningSection(context: PlanContext): Promise<PlanSection> {
  const { config, connection } = context;
  const title = 'Provisioning';
  const skipped = (note: string) =>
    section({ kind: 'provisioning', title, summary: 'not planned', skipped: true, notes: [note] });
  const unset = unsetSpecialAccounts(config);
  if (unset) return skipped(`the pipeline provisions through the special accounts, and ${unset}`);
  const [
    { provisioningGatewayOver },
    { planProvisioning },
    { pipelineStateStore },
    { completionsBySlot, currentCompletions },
    { provisioningSection },
    { artifactBucketName },
  ] = await Promise.all([
    import('./gateways/provision-gateway.js'),
    import('./provision.js'),
    import('./engine/state-stores.js'),
    import('./engine/dag.js'),
    import('../plan/section-provisioning.js'),
    import('../protocol/names.js'),
  ]);
  const cicdId = context.accountIds[config.organization.accounts.cicd as string];
  if (
    !cicdId ||
    SPECIAL_ACCOUNT_KINDS.some((k) => !context.accountIds[config.organization.accounts[k] as string])
  ) {
    return skipped(
      'the special accounts do not all exist yet (sync-accounts creates them); the pipeline is planned after',
    );
  }
  const plan = planProvisioning(
    {
      config,
      observed: context.observed,
      organizationId: await context.organizationId(),
      stackSetsAsStacks: emulated(context),
    },
    provisioningGatewayOver(connection, config, context.accountIds),
  );
  const cicd = cicdClients(context, cicdId);
  const bucket = artifactBucketName(cicdId, context.homeRegion);
  const store = pipelineStateStore({
    env: context.env,
    configDir: config.directory,
    s3: () => cicd.s3(context.homeRegion),
    bucket,
  });
  let recorded: ReadonlySet<string>;
  try {
    recorded = await store.load();
  } catch (e) {
    // Before the first bootstrap the state's bucket does not exist: nothing was provisioned.
    if ((e as { cause?: { name?: string } }).cause?.name !== 'NoSuchBucket') throw e;
    return skipped(
      `the artifact bucket ${bucket} does not exist yet (run --action bootstrap creates it); the pipeline is planned after`,
    );
  }
  return provisioningSection({
    steps: plan.steps,
    recorded,
    done: currentCompletions(recorded, plan.steps),
    slotsRecorded: new Set(completionsBySlot(recorded, plan.steps).keys()),
    missing: plan.missing,
    pendingOus: plan.pendingOus,
    stateLocation: store.location,
  });
}

export const SECTION_PLANNERS: Readonly<Record<PlanSectionKind, SectionPlanner>> = {
  accounts: {
    title: 'Accounts and OUs',
    plan: async (c) =>
      accountsSection(planAccountChanges({ config: c.config, observed: c.observed, now: c.now })),
  },
  policies: { title: 'Organization policies', plan: planPoliciesSection },
  ecr: { title: 'ECR repositories', plan: planEcr },
  stacks: { title: "orgbridge's stacks", plan: planStacks },
  'iam-settings': { title: 'IAM account settings', plan: planIamSettings },
  provisioning: { title: 'Provisioning', plan: planProvisioningSection },
  customizations: { title: 'Customizations', plan: planCustomizationsSection },
};

export interface PlanOrganizationOptions {
  readonly config: ResolvedConfig;
  readonly connection: ManagementConnection;
  readonly now: Date;
  /** The sections to plan (default: all, in PLAN_SECTION_KINDS order). */
  readonly only?: readonly PlanSectionKind[];
  /** Progress, one line per section (stderr in the CLI). */
  readonly output?: Pick<Output, 'err'>;
  /** The environment the pipeline's state is found by (default: this process's). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function readOrganizationId(connection: ManagementConnection): Promise<string> {
  return connection.clients
    .organizations()
    .send(new DescribeOrganizationCommand({}))
    .then((o) => o.Organization?.Id ?? '');
}

export async function planOrganization(options: PlanOrganizationOptions): Promise<OrganizationPlan> {
  const { config, connection } = options;
  const progress = (text: string) => options.output?.err(text);
  progress(`plan: reading the organization (${connection.kind} gateway)`);
  const observed = await accountsGatewayOver(connection).list();
  let organizationId: Promise<string> | undefined;
  const context: PlanContext = {
    config,
    connection,
    observed,
    now: options.now,
    homeRegion: homeRegionOf(config),
    accountIds: resolveAccountIds(config, observed),
    env: options.env ?? process.env,
    organizationId: () => (organizationId ??= readOrganizationId(connection)),
  };
  const sections: PlanSection[] = [];
  for (const kind of PLAN_SECTION_KINDS) {
    if (options.only && !options.only.includes(kind)) continue;
    const planner = SECTION_PLANNERS[kind];
    progress(`plan: ${planner.title}`);
    try {
      sections.push(await planner.plan(context));
    } catch (e) {
      const message = isOrgbridgeError(e) ? e.message : e instanceof Error ? e.message : String(e);
      sections.push(
        section({ kind, title: planner.title, summary: 'could not be planned', failed: message }),
      );
    }
  }
  return organizationPlan(sections, options.now);
}
