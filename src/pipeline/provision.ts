import type { RequestBody } from '../bus/requests.js';
import { DNS_LABEL_PATTERN } from '../config/aws-names.js';
import { BACKUP_VAULT_NAME } from '../config/backup-names.js';
import { iamSettingsRequest } from '../config/iam-settings.js';
import type { ResolvedAccount, ResolvedConfig, SpecialAccountKind } from '../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../config/model.js';
import { requireSpecialAccounts } from '../config/special-accounts.js';
import { OrgbridgeError } from '../errors.js';
import { accountZoneName, normaliseDnsName } from '../handlers/dns/authorize.js';
import type { CreateVpcRequest } from '../handlers/provisioning/create-vpc.js';
import type { IamSettingsRequest } from '../handlers/provisioning/iam-settings.js';
import type { HandlerResult } from '../handlers/provisioning/put-ssm-parameters.js';
import type { StackInstanceStatusReply } from '../handlers/provisioning/stack-instance-status.js';
import type { AccountBaselineRequest, UpdateStackRequest } from '../handlers/provisioning/update-stack.js';
import { partitionOf } from '../partitions.js';
import {
  type AccessContext,
  checkIdentityMappingLimits,
  identityMapping,
  memberAccess,
  orgPathResolver,
  planLogDelivery,
} from '../plan/access.js';
import { type AccountBackupPlan, accountBackup } from '../plan/backup.js';
import type { ObservedOrganization } from '../plan/observed.js';
import {
  accountParameters,
  fingerprint,
  type SsmParameter,
  type VpcRequest,
  vpcRequest,
} from '../plan/provisioning.js';
import { retiredAccounts } from '../plan/retired.js';
import { RUNTIME_STACKS, STACK_SET_NAMES } from '../protocol/names.js';
import { handledRequestTypes } from '../protocol/routing.js';
import { configuredRegions, homeRegionOf, resolveAccountIds } from '../templates/inputs.js';
import {
  type ProvisioningTemplate,
  renderAccountBaseline,
  renderBackupVaults,
  renderIdentityMapping,
  renderLogBuckets,
  renderVpc,
} from '../templates/provisioning.js';
import {
  type CompletionStore,
  currentCompletions,
  type DagEvent,
  type DagResult,
  type DagStep,
  runDag,
} from './engine/dag.js';
import type { Outcome, Output } from './output.js';

/**
 * `run --action pipeline`: what happens once accounts exist (the EventBridge design's "main pipeline"), as a
 * DAG per account, resumable through the completion store:
 *
 *   wait for stack instances -> forward rule -> { SSM parameters, IAM settings, baseline (roles, backup), VPC }
 *   render+upload baseline / VPC   -> the account's requests  (one upload per distinct template)
 *   render+upload identity mapping -> UPDATE_IAM_MAPPING      (one, for the whole organization)
 *   render+upload log buckets      -> UPDATE_LOG_BUCKETS      (one, for the whole organization)
 *   dns forward rule -> ENSURE_ACCOUNT_ZONE per account          (with organization.dns_parent_domain)
 *   dns forward rule -> RELEASE_ACCOUNT_DNS per retired account  (idem; in the morgue, not in the DSL)
 *
 * The identity mapping and the logs bucket grant by OU path, so they do not list accounts and
 * change only when scopes, access patterns or log needs change; at 5,000 accounts a new account
 * re-deploys them only when it changes what they say. Step ids carry a fingerprint of what the
 * step sends, so a re-run skips what is done with the same inputs and redoes what changed.
 */

/** How the pipeline reaches the accounts: EventBridge requests in AWS, in-process handlers in tests. */
export interface ProvisioningGateway {
  /** STACK_INSTANCE_STATUS to the management account. */
  stackInstanceStatus(request: {
    stack_set_name: string;
    account_id: string;
    region: string;
  }): Promise<StackInstanceStatusReply>;
  /** The cicd forward rule of an account (cicd-local). */
  ensureForwardRule(accountId: string): Promise<void>;
  /**
   * Uploads a template to the artifact bucket of `region` (default the home region; cicd-local).
   * CloudFormation reads a TemplateURL only from a bucket in the stack's region.
   */
  uploadTemplate(name: string, template: ProvisioningTemplate, region?: string): Promise<void>;
  /** Where uploadTemplate puts `name` (pure: steps compute it before the upload ran). */
  templateUrl(name: string, region?: string): string;
  putSsmParameters(accountId: string, parameters: readonly SsmParameter[]): Promise<HandlerResult>;
  /** The account's IAM alias and password policy; a dry run reports what differs. */
  updateIamSettings(
    accountId: string,
    request: IamSettingsRequest,
    options?: { readonly dryrun?: boolean },
  ): Promise<HandlerResult>;
  /**
   * Deploys the account baseline stack (access roles, AutomationRole, backup) in the account,
   * or with `request.region` the stack of that region's backup vaults.
   */
  updateBaseline(accountId: string, request: AccountBaselineRequest): Promise<HandlerResult>;
  updateIamMapping(identityAccountId: string, request: UpdateStackRequest): Promise<HandlerResult>;
  createVpc(accountId: string, request: CreateVpcRequest): Promise<HandlerResult>;
  updateLogBuckets(logsAccountId: string, request: UpdateStackRequest): Promise<HandlerResult>;
  /** ENSURE_ACCOUNT_ZONE to the DNS account: an account's zone, delegation and DNS permissions. */
  ensureAccountZone(dnsAccountId: string, request: AccountZoneRequest): Promise<HandlerResult>;
  /** RELEASE_ACCOUNT_DNS to the DNS account: a retired account's DNS permissions end. */
  releaseAccountDns(
    dnsAccountId: string,
    request: RequestBody<'RELEASE_ACCOUNT_DNS'>,
  ): Promise<HandlerResult>;
}

/** What ENSURE_ACCOUNT_ZONE carries besides the envelope. */
export type AccountZoneRequest = RequestBody<'ENSURE_ACCOUNT_ZONE'>;

export type ProvisionStepKind =
  | 'wait-stack-instances'
  | 'forward-rule'
  | 'ssm-parameters'
  | 'iam-settings'
  | 'upload-template'
  | 'baseline'
  | 'backup-vaults'
  | 'vpc'
  | 'iam-mapping'
  | 'log-buckets'
  | 'dns-zone'
  | 'dns-release';

export interface ProvisionStep extends DagStep<HandlerResult | string | undefined> {
  readonly kind: ProvisionStepKind;
  /** The account the step acts on (or for). */
  readonly accountId?: string;
  /** What the step's template grants, for a reviewer (`plan`): the roles it holds. */
  readonly detail?: string;
}

/** The IAM roles a provisioning template holds, by name, for the plan's reader. */
function rolesIn(template: ProvisioningTemplate): string {
  const resources = Object.values(
    (template.template.Resources ?? {}) as Record<
      string,
      { Type?: string; Properties?: { RoleName?: unknown } }
    >,
  );
  const roles = resources
    .filter((r) => r.Type === 'AWS::IAM::Role' && typeof r.Properties?.RoleName === 'string')
    .map((r) => r.Properties?.RoleName as string)
    .sort();
  return roles.length ? `roles: ${roles.join(', ')}` : 'no roles';
}

export interface ProvisionInputs {
  readonly config: ResolvedConfig;
  readonly observed: ObservedOrganization;
  /** `o-...`: the first segment of every aws:ResourceOrgPaths value. */
  readonly organizationId: string;
  /** Restrict to these account keys (default: every account of the config that exists). */
  readonly only?: readonly string[];
  /** Deploy the backup vaults and roles the account's backup policies need (default true). */
  readonly backup?: boolean;
  /** Poll budget of the stack-instance wait (ms, default 10 min) and its interval. */
  readonly waitTimeoutMs?: number;
  readonly waitPollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * The stack sets were deployed as plain stacks by the bootstrap (the emulator runs no stack
   * sets: see src/pipeline/bootstrap.ts), synchronously, so there are no instances to wait for.
   */
  readonly stackSetsAsStacks?: boolean;
}

export interface ProvisionPlan {
  readonly steps: readonly ProvisionStep[];
  /** Accounts in the config that do not exist yet (run sync-accounts first). */
  readonly missing: readonly string[];
  /** OUs not created yet: the identity mapping grants them on a later run. */
  readonly pendingOus: readonly string[];
}

function specialIds(
  config: ResolvedConfig,
  ids: Readonly<Record<string, string>>,
): Record<SpecialAccountKind, string> {
  const out = {} as Record<SpecialAccountKind, string>;
  const missing: string[] = [];
  const keys = requireSpecialAccounts(config, 'provisioning');
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    const id = ids[keys[kind]];
    if (id) out[kind] = id;
    else missing.push(`${kind} (${keys[kind]})`);
  }
  if (missing.length) {
    throw new OrgbridgeError(
      'PROVISION_SPECIAL_ACCOUNT_MISSING',
      `no account exists yet for ${missing.join(', ')}`,
      {
        hint: 'run `orgbridge run --action sync-accounts --execute` first',
      },
    );
  }
  return out;
}

/** Builds the step graph. Pure but for template rendering (CDK synth, memoised). */
export function planProvisioning(inputs: ProvisionInputs, gateway: ProvisioningGateway): ProvisionPlan {
  const { config, observed } = inputs;
  const ids = resolveAccountIds(config, observed);
  const special = specialIds(config, ids);
  const home = homeRegionOf(config);
  const orgPathOf = orgPathResolver(inputs.organizationId, observed.ous);
  const context: AccessContext = {
    partition: partitionOf(home),
    identityAccountId: special.identity,
    cicdAccountId: special.cicd,
    organizationId: inputs.organizationId,
    orgPathOf,
    ...(config.organization.access ? { settings: config.organization.access } : {}),
  };
  const steps: ProvisionStep[] = [];
  const uploaded = new Set<string>();
  /**
   * One upload step per distinct template and region (most accounts share their baseline
   * template; accounts with the same VPC region, range and NAT count share one VPC template).
   */
  const upload: Upload = (name, template, region = home) => {
    const objectName = `${name}-${template.sha256.slice(0, 16)}`;
    const id = region === home ? `upload-template:${objectName}` : `upload-template:${region}:${objectName}`;
    if (!uploaded.has(id)) {
      uploaded.add(id);
      steps.push({
        id,
        kind: 'upload-template',
        label: `upload ${name} template${region === home ? '' : ` to ${region}`}`,
        run: async () => {
          await gateway.uploadTemplate(objectName, template, region);
          return undefined;
        },
      });
    }
    return { id, url: gateway.templateUrl(objectName, region) };
  };

  // Organization-wide: the identity mapping and the logs bucket.
  const mapping = identityMapping(config, context);
  checkIdentityMappingLimits(mapping);
  const identityTemplate = renderIdentityMapping(mapping, special.identity);
  const identityUpload = upload('iam-mapping', identityTemplate);
  steps.push({
    id: `iam-mapping:${special.identity}:${identityTemplate.sha256.slice(0, 12)}`,
    slot: `iam-mapping:${special.identity}`,
    kind: 'iam-mapping',
    accountId: special.identity,
    label: `UPDATE_IAM_MAPPING in identity ${special.identity}`,
    detail: rolesIn(identityTemplate),
    deps: [identityUpload.id],
    run: () =>
      gateway.updateIamMapping(special.identity, {
        stack_name: RUNTIME_STACKS.iamMapping,
        template_url: identityUpload.url,
      }),
  });
  const grant = planLogDelivery(config, ids, orgPathOf);
  const logsTemplate = renderLogBuckets(special.logs, home, inputs.organizationId, grant);
  const logsUpload = upload('log-buckets', logsTemplate);
  steps.push({
    id: `log-buckets:${special.logs}:${logsTemplate.sha256.slice(0, 12)}`,
    slot: `log-buckets:${special.logs}`,
    kind: 'log-buckets',
    accountId: special.logs,
    label: `UPDATE_LOG_BUCKETS in logs ${special.logs} (${grant.accountKeys.length} account(s) deliver logs)`,
    deps: [logsUpload.id],
    run: () =>
      gateway.updateLogBuckets(special.logs, {
        stack_name: RUNTIME_STACKS.logBuckets,
        template_url: logsUpload.url,
      }),
  });

  // Per account.
  const wanted = inputs.only ? new Set(inputs.only) : undefined;
  const missing: string[] = [];
  const selected: (readonly [ResolvedAccount, string])[] = [];
  for (const account of config.accounts) {
    if (wanted && !wanted.has(account.key)) continue;
    const id = ids[account.key];
    if (!id) {
      missing.push(account.key);
      continue;
    }
    steps.push(
      ...accountSteps(account, id, inputs, gateway, {
        special,
        home,
        context,
        upload,
        artifactRegions: configuredRegions(config),
      }),
    );
    selected.push([account, id]);
  }
  steps.push(...dnsZoneSteps(selected, config, special.dns, steps, gateway));
  // A run for some accounts (`only`) leaves the others, retired ones included, alone.
  if (!wanted) steps.push(...dnsReleaseSteps(inputs, special.dns, steps, gateway));
  return { steps, missing, pendingOus: mapping.pendingOus };
}

/**
 * One ENSURE_ACCOUNT_ZONE per account when `dns_parent_domain` is set. The step id carries the
 * zone and the normalised `allowed_dns_domains`, so changing an account's domains re-runs its
 * step (and rewrites its permissions in the DNS account), and nothing else. The request travels
 * through the DNS account's forward rule: the step waits for it when this run adds it.
 */
function dnsZoneSteps(
  accounts: readonly (readonly [ResolvedAccount, string])[],
  config: ResolvedConfig,
  dnsId: string,
  planned: readonly ProvisionStep[],
  gateway: ProvisioningGateway,
): ProvisionStep[] {
  const parent = config.organization.dns_parent_domain;
  if (!parent) return [];
  const parentDomain = normaliseDnsName(parent);
  const dnsForward = planned.find((s) => s.kind === 'forward-rule' && s.accountId === dnsId);
  const deps = dnsForward ? [dnsForward.id] : [];
  return accounts.map(([account, id]) => {
    const request: AccountZoneRequest = {
      account_id: id,
      account_name: account.name,
      parent_domain: parentDomain,
      allowed_dns_domains: [...new Set(account.allowed_dns_domains.map(normaliseDnsName))].sort(),
    };
    const zone = accountZoneName(account.name, parentDomain);
    return {
      id: `dns-zone:${id}:${fingerprint(request)}`,
      slot: `dns-zone:${id}`,
      kind: 'dns-zone',
      accountId: id,
      label: `ENSURE_ACCOUNT_ZONE ${zone} for ${account.key} (${id}) in dns ${dnsId}`,
      deps,
      pool: 'dns',
      run: async () => {
        if (!DNS_LABEL_PATTERN.test(account.name)) {
          throw new OrgbridgeError(
            'PROVISION_DNS_ZONE_NAME_INVALID',
            `account ${account.key}: its name '${account.name}' cannot be the first label of its zone under ${parentDomain}`,
            {
              hint: 'account names become DNS labels when dns_parent_domain is set: letters, digits, _ and inner hyphens, at most 63 (change name_template or the name)',
            },
          );
        }
        return gateway.ensureAccountZone(dnsId, request);
      },
    };
  });
}

/**
 * One RELEASE_ACCOUNT_DNS per account orgbridge retired (in the morgue, with an `orgbridge:key`
 * the DSL no longer has, in any state) when `dns_parent_domain` is set: an account in the morgue
 * is still a member of the organization, and without it would keep the DNS permissions it had.
 * The step id is the same on every run, so the completion store runs each once.
 */
function dnsReleaseSteps(
  inputs: ProvisionInputs,
  dnsId: string,
  planned: readonly ProvisionStep[],
  gateway: ProvisioningGateway,
): ProvisionStep[] {
  if (!inputs.config.organization.dns_parent_domain) return [];
  const dnsForward = planned.find((s) => s.kind === 'forward-rule' && s.accountId === dnsId);
  return retiredAccounts(inputs.config, inputs.observed, { anyState: true }).map(({ key, account }) => ({
    id: `dns-release:${account.id}`,
    kind: 'dns-release',
    accountId: account.id,
    label: `RELEASE_ACCOUNT_DNS of retired ${key} (${account.id}) in dns ${dnsId}`,
    deps: dnsForward ? [dnsForward.id] : [],
    pool: 'dns',
    run: () => gateway.releaseAccountDns(dnsId, { account_id: account.id }),
  }));
}

/** Adds (once) the upload step of a template to a region's artifact bucket; its step id and URL. */
type Upload = (name: string, template: ProvisioningTemplate, region?: string) => { id: string; url: string };

interface AccountStepContext {
  readonly special: Record<SpecialAccountKind, string>;
  readonly home: string;
  readonly context: AccessContext;
  readonly upload: Upload;
  /** Regions whose artifact bucket the bootstrap creates in the cicd account (`defaults.regions`). */
  readonly artifactRegions: readonly string[];
}

function accountSteps(
  account: ResolvedAccount,
  id: string,
  inputs: ProvisionInputs,
  gateway: ProvisioningGateway,
  ctx: AccountStepContext,
): ProvisionStep[] {
  const { special, home } = ctx;
  const steps: ProvisionStep[] = [];
  const isManagement = id === special.management;
  const isCicd = id === special.cicd;
  // Stack sets never deploy into the management account; the member handlers set skips every
  // special account (they get their handler stacks from the bootstrap).
  const stackSets =
    isManagement || inputs.stackSetsAsStacks
      ? []
      : account.kind === 'member'
        ? [STACK_SET_NAMES.eventBus, STACK_SET_NAMES.handlers]
        : [STACK_SET_NAMES.eventBus];
  const waitId = `wait-stack-instances:${id}:${fingerprint(stackSets)}`;
  steps.push({
    id: waitId,
    kind: 'wait-stack-instances',
    accountId: id,
    label: `wait for ${stackSets.length ? stackSets.join(', ') : 'no stack set'} in ${account.key} (${id})`,
    run: () => waitForStackInstances(gateway, stackSets, id, home, inputs),
  });
  let ready = waitId;
  if (!isCicd) {
    // The rule's pattern lists the types the account handles: a new request type re-puts it.
    const forwardId = `forward-rule:${id}:${fingerprint(handledRequestTypes(account.kind))}`;
    steps.push({
      id: forwardId,
      kind: 'forward-rule',
      accountId: id,
      label: `cicd forward rule for ${account.key} (${id})`,
      deps: [waitId],
      run: async () => {
        await gateway.ensureForwardRule(id);
        return undefined;
      },
    });
    ready = forwardId;
  }
  const parameters = accountParameters(account, {
    config: inputs.config,
    accountId: id,
    specialIds: special,
  });
  steps.push({
    id: `ssm-parameters:${id}:${fingerprint(parameters)}`,
    slot: `ssm-parameters:${id}`,
    kind: 'ssm-parameters',
    accountId: id,
    label: `PUT_SSM_PARAMETERS ${account.key} (${id}, ${parameters.length} parameters)`,
    deps: [ready],
    run: () => gateway.putSsmParameters(id, parameters),
  });
  const iam = iamSettingsRequest(account);
  if (iam) {
    steps.push({
      id: `iam-settings:${id}:${fingerprint(iam)}`,
      slot: `iam-settings:${id}`,
      kind: 'iam-settings',
      accountId: id,
      label: `UPDATE_IAM_ACCOUNT_SETTINGS ${account.key} (${id}: ${Object.keys(iam).join(', ')})`,
      deps: [ready],
      run: () => gateway.updateIamSettings(id, iam),
    });
  }
  const backup =
    (inputs.backup ?? true) &&
    accountBackup(inputs.config, account, { homeRegion: home, regions: ctx.artifactRegions });
  const baseline = renderAccountBaseline(memberAccess(account, ctx.context), special.identity, {
    backup: backup && { vaults: backup.vaults, roles: backup.roles },
  });
  const baselineUpload = ctx.upload('account-baseline', baseline);
  // Other regions where the policies use the vault Default: the baseline's handler makes sure of
  // it there too (no stack creates it, src/handlers/provisioning/default-vault.ts).
  const defaultVaultRegions = (backup ? backup.regional : [])
    .filter((r) => r.vaults.includes(BACKUP_VAULT_NAME))
    .map((r) => r.region);
  steps.push({
    id: `baseline:${id}:${baseline.sha256.slice(0, 12)}${defaultVaultRegions.length ? `:${fingerprint(defaultVaultRegions)}` : ''}`,
    slot: `baseline:${id}`,
    kind: 'baseline',
    accountId: id,
    label: `access roles and backup in ${account.key} (${id})`,
    detail: rolesIn(baseline),
    deps: [ready, baselineUpload.id],
    run: () =>
      gateway.updateBaseline(id, {
        stack_name: RUNTIME_STACKS.accountBaseline,
        template_url: baselineUpload.url,
        account_id: id,
        ...(defaultVaultRegions.length ? { default_vault_regions: defaultVaultRegions } : {}),
      }),
  });
  if (backup) steps.push(...backupVaultSteps(account, id, backup, gateway, ready, ctx));
  const vpc = vpcRequest(account);
  if (vpc) steps.push(...vpcSteps(account, id, vpc, gateway, ready, ctx));
  return steps;
}

/** The step of a region without an artifact bucket: it fails, naming the account and the fix. */
function noArtifactBucket(
  account: ResolvedAccount,
  id: string,
  region: string,
  what: string,
  ctx: AccountStepContext,
): () => Promise<never> {
  return async () => {
    throw new OrgbridgeError(
      'PROVISION_NO_ARTIFACT_BUCKET',
      `account ${account.key} (${id}) wants ${what} in ${region}, but the cicd account has artifact buckets only in ${ctx.artifactRegions.join(', ')}; CloudFormation reads a stack's template only from a bucket in the stack's region`,
      {
        hint: `add ${region} to defaults.regions in accounts.yml, run \`orgbridge run --action bootstrap --execute\` (it creates the bucket), then re-run the pipeline`,
      },
    );
  };
}

/**
 * UPDATE_ACCOUNT_BASELINE with a region, one per other region the account's backup policy runs
 * or copies in: the stack orgbridge-backup-vaults there, from the template the pipeline uploaded
 * to that region's artifact bucket (the home region's vaults are in the baseline). Accounts
 * needing the same vaults share one template and, per region, one upload. The step id carries
 * the region and the template's hash: a new vault re-runs it, nothing else does.
 */
function backupVaultSteps(
  account: ResolvedAccount,
  id: string,
  backup: AccountBackupPlan,
  gateway: ProvisioningGateway,
  ready: string,
  ctx: AccountStepContext,
): ProvisionStep[] {
  const label = (region: string, vaults: readonly string[]) =>
    `backup vaults ${vaults.join(', ')} in ${account.key} (${id}, ${region})`;
  const failing = backup.outside.map(
    ({ region, vaults }): ProvisionStep => ({
      id: `backup-vaults:${id}:${region}:${fingerprint(vaults)}`,
      slot: `backup-vaults:${id}:${region}`,
      kind: 'backup-vaults',
      accountId: id,
      label: label(region, vaults),
      deps: [ready],
      run: noArtifactBucket(account, id, region, `backup vaults ${vaults.join(', ')}`, ctx),
    }),
  );
  // A region whose only vault is Default needs no stack: the baseline's handler makes sure of it.
  const stacks = backup.regional
    .map(({ region, vaults }) => ({ region, vaults: vaults.filter((v) => v !== BACKUP_VAULT_NAME) }))
    .filter(({ vaults }) => vaults.length > 0);
  return [
    ...stacks.map(({ region, vaults }): ProvisionStep => {
      const template = renderBackupVaults(vaults);
      const uploaded = ctx.upload('backup-vaults', template, region);
      return {
        id: `backup-vaults:${id}:${region}:${template.sha256.slice(0, 12)}`,
        slot: `backup-vaults:${id}:${region}`,
        kind: 'backup-vaults',
        accountId: id,
        label: label(region, vaults),
        deps: [ready, uploaded.id],
        run: () =>
          gateway.updateBaseline(id, {
            stack_name: RUNTIME_STACKS.backupVaults,
            template_url: uploaded.url,
            account_id: id,
            region,
          }),
      };
    }),
    ...failing,
  ];
}

/**
 * CREATE_VPC of an account. The handlers carry no CDK (the Lambda bundles must stay small), so
 * the pipeline renders the VPC and uploads it to the artifact bucket of the VPC's region, where
 * CloudFormation can read it; the request names it. Without a bucket in that region the step
 * fails, naming the fix, and the account's other steps go on.
 */
function vpcSteps(
  account: ResolvedAccount,
  id: string,
  vpc: VpcRequest,
  gateway: ProvisioningGateway,
  ready: string,
  ctx: AccountStepContext,
): ProvisionStep[] {
  const label = `CREATE_VPC ${account.key} (${id}, ${vpc.region}, ${vpc.cidr}, ${vpc.nat_gateway_count} NAT)`;
  if (!ctx.artifactRegions.includes(vpc.region)) {
    return [
      {
        id: `vpc:${id}:${fingerprint(vpc)}`,
        slot: `vpc:${id}`,
        kind: 'vpc',
        accountId: id,
        label,
        deps: [ready],
        run: noArtifactBucket(account, id, vpc.region, 'its VPC', ctx),
      },
    ];
  }
  const template = renderVpc(vpc);
  const uploaded = ctx.upload('vpc', template, vpc.region);
  const request: CreateVpcRequest = { ...vpc, template_url: uploaded.url };
  return [
    {
      id: `vpc:${id}:${template.sha256.slice(0, 12)}`,
      slot: `vpc:${id}`,
      kind: 'vpc',
      accountId: id,
      label,
      deps: [ready, uploaded.id],
      run: () => gateway.createVpc(id, request),
    },
  ];
}

async function waitForStackInstances(
  gateway: ProvisioningGateway,
  stackSets: readonly string[],
  accountId: string,
  region: string,
  inputs: ProvisionInputs,
): Promise<undefined> {
  const sleep = inputs.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (inputs.waitTimeoutMs ?? 600_000);
  let poll = inputs.waitPollMs ?? 5_000;
  for (const stackSetName of stackSets) {
    while (true) {
      const reply = await gateway.stackInstanceStatus({
        stack_set_name: stackSetName,
        account_id: accountId,
        region,
      });
      if (reply.status === 'CURRENT') break;
      if (reply.status === 'INOPERABLE') {
        throw new OrgbridgeError(
          'PROVISION_STACK_INSTANCE_INOPERABLE',
          `stack set ${stackSetName} is INOPERABLE in ${accountId}/${region}${reply.reason ? `: ${reply.reason}` : ''}`,
          {
            source: 'aws',
            hint: 'fix the stack instance in the management account, then re-run the pipeline',
          },
        );
      }
      if (Date.now() >= deadline) {
        throw new OrgbridgeError(
          'PROVISION_STACK_INSTANCE_TIMEOUT',
          `stack set ${stackSetName} is still ${reply.status} in ${accountId}/${region}`,
          { source: 'aws', hint: 're-run the pipeline later; completed steps are not repeated' },
        );
      }
      await sleep(poll);
      poll = Math.min(poll * 1.5, 30_000);
    }
  }
  return undefined;
}

// Running ------------------------------------------------------------------------------------

/**
 * ENSURE_ACCOUNT_ZONE requests all go to the one DNS account, whose handler works under Route
 * 53's 5 requests per second (src/handlers/dns/rate-limit.ts) and shares one listing of the zones
 * and one change batch of delegations among the requests of a batch it receives
 * (src/handlers/dns/zone-batch.ts). A full SQS batch (10, the event source mapping's batch size)
 * in flight lets it share the most; more would only wait in its queue while holding pipeline
 * slots the other accounts' steps need.
 */
const PROVISION_POOL_LIMITS = { dns: 10 } as const;

export interface ProvisionOptions extends ProvisionInputs {
  readonly gateway: ProvisioningGateway;
  readonly store: CompletionStore;
  readonly execute: boolean;
  readonly output: Output;
  /** Steps in flight at once (default 16). */
  readonly concurrency?: number;
}

export interface ProvisionResult {
  readonly plan: ProvisionPlan;
  /** Undefined on a dry run. */
  readonly run?: DagResult;
  /** Steps a run would carry out (not yet recorded as done). */
  readonly pending: readonly ProvisionStep[];
  readonly outcome: Outcome;
}

export async function provision(options: ProvisionOptions): Promise<ProvisionResult> {
  const plan = planProvisioning(options, options.gateway);
  const done = currentCompletions(await options.store.load(), plan.steps);
  const pending = plan.steps.filter((s) => !done.has(s.id));
  const out = options.output;
  for (const key of plan.missing)
    out.err(`skipped ${key}: the account does not exist yet (run sync-accounts)`);
  for (const ou of plan.pendingOus)
    out.err(`OU ${ou} does not exist yet: its access grants come on a later run`);
  out.out(summarizePending(plan.steps.length, pending));
  if (!options.execute) {
    if (pending.length) out.err('dry run: nothing was changed; run again with --execute to provision');
    return { plan, pending, outcome: pending.length ? 'pending' : 'done' };
  }
  const progress = progressReporter(out);
  const run = await runDag(plan.steps, {
    concurrency: options.concurrency ?? 16,
    poolLimits: PROVISION_POOL_LIMITS,
    store: options.store,
    onEvent: progress.onEvent,
  });
  progress.close();
  out.out(
    `provisioned: ${run.counts.done} done, ${run.counts.skipped} already done, ${run.counts.failed} failed, ${run.counts.blocked} blocked`,
  );
  for (const o of run.outcomes) {
    if (o.status === 'failed') out.err(`  failed: ${o.label}: ${o.error?.message} [${o.error?.code}]`);
  }
  if (!run.ok)
    out.err(`re-run the pipeline to finish: completed steps are recorded in ${options.store.location}`);
  return { plan, run, pending, outcome: run.ok ? 'done' : 'failed' };
}

export function summarizePending(total: number, pending: readonly ProvisionStep[]): string {
  if (!pending.length) return `pipeline: all ${total} step(s) already done, nothing to do`;
  const byKind = new Map<string, number>();
  for (const s of pending) byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + 1);
  const accounts = new Set(pending.map((s) => s.accountId).filter(Boolean));
  const lines = [`pipeline: ${pending.length} of ${total} step(s) to run for ${accounts.size} account(s)`];
  for (const [kind, n] of [...byKind].sort(([a], [b]) => a.localeCompare(b)))
    lines.push(`  ${kind.padEnd(22)} ${n}`);
  return lines.join('\n');
}

/**
 * Progress on stderr. Not a TTY (CI logs): one line per finished step, never a spinner or an
 * escape sequence. A TTY: a line about every 10 % and every failure, so a 5,000-step run does
 * not scroll thousands of lines.
 */
export function progressReporter(output: Output): { onEvent: (e: DagEvent) => void; close(): void } {
  let lastTenth = -1;
  return {
    onEvent(event) {
      if (event.type !== 'finish') return;
      const { outcome, finished, total } = event;
      // Step ids are `<kind>:<account id>:<fingerprint>` (see the step builders above).
      const [kind, account] = outcome.id.split(':');
      output.emit?.({
        type: 'step',
        step: kind ?? outcome.id,
        target: outcome.label,
        ...(account && /^\d{12}$/.test(account) ? { account } : {}),
        status: outcome.status,
        durationMs: Math.round(outcome.ms),
        ...(outcome.error ? { code: outcome.error.code, message: outcome.error.message } : {}),
      });
      const note = outcome.error ? `: ${outcome.error.message} [${outcome.error.code}]` : '';
      if (output.interactive) {
        if (outcome.status === 'failed') output.err(`  failed: ${outcome.label}${note}`);
        const tenth = Math.floor((finished * 10) / total);
        if (tenth !== lastTenth || finished === total) {
          lastTenth = tenth;
          output.err(`[${finished}/${total}] ${Math.round((finished * 100) / total)}%`);
        }
        return;
      }
      if (outcome.status === 'skipped') return;
      const ms = outcome.ms >= 1000 ? `${(outcome.ms / 1000).toFixed(1)}s` : `${Math.round(outcome.ms)}ms`;
      output.err(`[${finished}/${total}] ${outcome.status} ${outcome.label} (${ms})${note}`);
    },
    close() {},
  };
}
