import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../aws/clients.js';
import {
  type RequestBody,
  type RequestClient,
  RequestFailedError,
  type RequestOptions,
} from '../../bus/requests.js';
import type { ResolvedConfig, SpecialAccountKind } from '../../config/model.js';
import { specialAccountIds } from '../../config/special-accounts.js';
import { AwsOperationError, OrgbridgeError } from '../../errors.js';
import { systemClock } from '../../handlers/accounts/lifecycle.js';
import { ensureAccountZoneRequest, releaseAccountDnsRequest } from '../../handlers/dns/account-zone.js';
import { route53Port, ssmParameterPort } from '../../handlers/dns/ports.js';
import { route53Bucket } from '../../handlers/dns/rate-limit.js';
import { accountZoneBatch } from '../../handlers/dns/zone-batch.js';
import type { DnsPorts } from '../../handlers/dns/zones.js';
import { ec2ZonePort } from '../../handlers/provisioning/availability-zones.js';
import { createVpc } from '../../handlers/provisioning/create-vpc.js';
import { backupVaultPort, ensureDefaultVaults } from '../../handlers/provisioning/default-vault.js';
import type { DeployOptions } from '../../handlers/provisioning/deploy-stack.js';
import { updateIamSettings } from '../../handlers/provisioning/iam-settings.js';
import {
  cloudFormationPort,
  iamSettingsPort,
  ssmPort,
  stackInstancesPort,
} from '../../handlers/provisioning/ports.js';
import type { HandlerResult } from '../../handlers/provisioning/put-ssm-parameters.js';
import { putSsmParameters } from '../../handlers/provisioning/put-ssm-parameters.js';
import { stackInstanceStatus } from '../../handlers/provisioning/stack-instance-status.js';
import type { AccountBaselineRequest, UpdateStackRequest } from '../../handlers/provisioning/update-stack.js';
import { updateStackFromUrl } from '../../handlers/provisioning/update-stack.js';
import { roleArn } from '../../partitions.js';
import type { Detail, ReplyTypeOf, RequestType } from '../../protocol/catalog.js';
import { artifactBucketName, artifactObjectUrl, ROLE_NAMES, templateKey } from '../../protocol/names.js';
import {
  accountTopologyOf,
  computeTopology,
  forwardRuleName,
  senderBusName,
  type Topology,
} from '../../protocol/topology.js';
import { accountKinds, homeRegionOf } from '../../templates/inputs.js';
import type { ProvisioningGateway } from '../provision.js';
import type { ManagementConnection } from './accounts-gateway.js';

export interface DirectProvisioningOptions {
  /** Clients acting as the management account; every other account is reached with forAccount. */
  readonly management: AwsClients;
  readonly config: ResolvedConfig;
  /** Account key -> id of the accounts that exist. */
  readonly accountIds: Readonly<Record<string, string>>;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
  /** Where buses, stack sets and the artifact bucket live. */
  readonly homeRegion: string;
  readonly deploy?: DeployOptions;
  /**
   * Deploy the log-buckets stack with the EventBridge design's updater role (default true): in AWS the bucket
   * policy denies modification to anyone else.
   */
  readonly logsServiceRole?: boolean;
}

/**
 * What the pipeline does itself in the cicd account, whichever gateway carries the requests:
 * the cicd forward rule of an account, and the template uploads to the artifact bucket.
 */
function cicdLocalOperations(options: {
  /** Clients acting in the cicd account. */
  readonly cicd: AwsClients;
  readonly config: ResolvedConfig;
  readonly accountIds: Readonly<Record<string, string>>;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
  readonly homeRegion: string;
  /**
   * The bus the sender puts requests for `accountId` on (default: the topology's shard bus). The
   * EventBridge gateway passes its RequestClient's, so the rule sits where the requests arrive.
   */
  readonly forwardBusOf?: (accountId: string) => string;
}): Pick<ProvisioningGateway, 'ensureForwardRule' | 'uploadTemplate' | 'templateUrl'> {
  const { cicd, specialIds, homeRegion } = options;
  let topology: Topology | undefined;
  const topologyOf = (): Topology => {
    if (!topology) {
      const kinds = accountKinds(options.config);
      topology = computeTopology({
        accounts: Object.entries(options.accountIds).map(([key, id]) => ({
          id,
          kind: kinds.get(key) ?? 'member',
        })),
        busName: options.config.organization.event_bus,
        source: options.config.organization.event_source,
        region: homeRegion,
      });
    }
    return topology;
  };
  return {
    async ensureForwardRule(accountId) {
      const rule = accountTopologyOf(topologyOf(), specialIds.cicd).rules.find(
        (r) => r.name === forwardRuleName(accountId),
      );
      if (!rule) {
        throw new OrgbridgeError(
          'PROVISION_NO_FORWARD_RULE',
          `the topology has no forward rule for ${accountId}`,
          { source: 'internal' },
        );
      }
      const busName = options.forwardBusOf?.(accountId) ?? rule.busName;
      const events = cicd.eventBridge(homeRegion);
      try {
        // PutRule and PutTargets are upserts: running them again changes nothing.
        await events.send(
          new PutRuleCommand({
            Name: rule.name,
            EventBusName: busName,
            EventPattern: JSON.stringify(rule.eventPattern),
            State: 'ENABLED',
            Description: rule.description,
          }),
        );
        await events.send(
          new PutTargetsCommand({
            Rule: rule.name,
            EventBusName: busName,
            Targets: rule.targets.map((t) => ({ Id: t.id, Arn: t.arn })),
          }),
        );
      } catch (e) {
        throw new AwsOperationError(
          `adding forward rule ${rule.name} on ${busName} in cicd ${specialIds.cicd}`,
          e,
        );
      }
    },

    async uploadTemplate(name, template, region = homeRegion) {
      const bucket = artifactBucketName(specialIds.cicd, region);
      try {
        await cicd.s3(region).send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: templateKey(name),
            Body: template.body,
            ContentType: 'application/json',
          }),
        );
      } catch (e) {
        throw new AwsOperationError(`uploading template ${name} to s3://${bucket}`, e);
      }
    },

    templateUrl: (name, region = homeRegion) => artifactObjectUrl(specialIds.cicd, region, templateKey(name)),
  };
}

/**
 * The provisioning gateway without EventBridge: each request's handler runs in-process with the
 * target account's clients (`management.forAccount(id)`), the way the account gateway's direct
 * mode works. Chosen with the management account's credentials (`provisioningGatewayKind`), and
 * used by tests and the benchmark.
 */
export function directProvisioningGateway(options: DirectProvisioningOptions): ProvisioningGateway {
  const { management, specialIds, homeRegion } = options;
  const inAccount = (id: string) => (id === specialIds.management ? management : management.forAccount(id));
  const cfnIn = (id: string, region = homeRegion) =>
    cloudFormationPort(inAccount(id).cloudFormation(region), `account ${id} ${region}`);
  // The same template check as the handlers: the pipeline's own URLs always pass it.
  const from = (type: RequestType) => ({ type, cicdAccountId: specialIds.cicd, region: homeRegion });
  // One Route 53 budget for the whole run, as one DNS handler instance has.
  const route53Budget = route53Bucket(systemClock);
  const dnsPorts = new Map<string, DnsPorts>();
  const dnsPortsIn = (dnsId: string): DnsPorts => {
    let ports = dnsPorts.get(dnsId);
    if (!ports) {
      const route53 = route53Port(inAccount(dnsId).route53());
      ports = {
        route53,
        parameters: ssmParameterPort(inAccount(dnsId).ssm(homeRegion)),
        bucket: route53Budget,
        batch: accountZoneBatch(route53, route53Budget),
      };
      dnsPorts.set(dnsId, ports);
    }
    return ports;
  };

  return {
    ...cicdLocalOperations({ ...options, cicd: inAccount(specialIds.cicd) }),

    stackInstanceStatus: (request) =>
      stackInstanceStatus(stackInstancesPort(management.cloudFormation(homeRegion)), request),

    putSsmParameters: (accountId, parameters) =>
      putSsmParameters(ssmPort(inAccount(accountId).ssm(homeRegion), `account ${accountId}`), parameters),

    updateIamSettings: (accountId, request, { dryrun = false } = {}) =>
      updateIamSettings(iamSettingsPort(inAccount(accountId).iam(), `account ${accountId}`), request, {
        dryrun,
      }),

    // With a region: that region's backup vaults, from its artifact bucket (as the handler does).
    async updateBaseline(accountId, { region = homeRegion, default_vault_regions = [], ...request }) {
      // As the UPDATE_ACCOUNT_BASELINE handler: the vault Default through the Backup API first.
      if (region === homeRegion) {
        await ensureDefaultVaults(
          (r) => backupVaultPort(inAccount(accountId).backup(r), `in account ${accountId}, ${r}`),
          [homeRegion, ...default_vault_regions],
        );
      }
      return updateStackFromUrl(
        cfnIn(accountId, region),
        request,
        { ...from('UPDATE_ACCOUNT_BASELINE'), region },
        options.deploy,
      );
    },

    updateIamMapping: (identityId, request) =>
      updateStackFromUrl(cfnIn(identityId), request, from('UPDATE_IAM_MAPPING'), options.deploy),

    createVpc: (accountId, request) =>
      createVpc(
        cfnIn(accountId, request.region),
        ec2ZonePort(inAccount(accountId).ec2(request.region)),
        request,
        specialIds.cicd,
        options.deploy,
      ),

    updateLogBuckets: (logsId, request) =>
      updateStackFromUrl(cfnIn(logsId), request, from('UPDATE_LOG_BUCKETS'), {
        ...options.deploy,
        ...(options.logsServiceRole === false
          ? {}
          : { roleArn: roleArn(homeRegion, logsId, ROLE_NAMES.logBucketUpdater) }),
      }),

    ensureAccountZone: (dnsId, request) => ensureAccountZoneRequest(dnsPortsIn(dnsId), request),
    releaseAccountDns: (dnsId, request) => releaseAccountDnsRequest(dnsPortsIn(dnsId), request),
  };
}

export interface EventBridgeProvisioningOptions {
  /** The cicd account's request client (`cicdRequestClient`). */
  readonly client: RequestClient;
  /** Clients acting in the cicd account: forward rules and template uploads stay local. */
  readonly cicd: AwsClients;
  readonly config: ResolvedConfig;
  readonly accountIds: Readonly<Record<string, string>>;
  readonly specialIds: Readonly<Record<SpecialAccountKind, string>>;
  readonly homeRegion: string;
  /** Wait for the answer of a short request: SSM, status, DNS (default 2 min). */
  readonly timeoutMs?: number;
  /**
   * Wait for the answer of a stack deployment (default 16 min): the handler waits up to 10 min
   * for the stack and SQS may deliver the request again after a failed attempt.
   */
  readonly stackTimeoutMs?: number;
}

/**
 * The provisioning gateway of the cicd pipeline in AWS: every change in another account is a
 * request over EventBridge, answered on the cicd reply queue (matched by nonce), and the
 * pipeline needs no role in any other account. PUT_SSM_PARAMETERS, UPDATE_ACCOUNT_BASELINE and
 * CREATE_VPC go to the account itself, UPDATE_IAM_MAPPING to identity, UPDATE_LOG_BUCKETS to
 * logs, STACK_INSTANCE_STATUS to management, ENSURE_ACCOUNT_ZONE and RELEASE_ACCOUNT_DNS to dns. A REQUEST_FAILED answer
 * fails the step with the remote code (e.g. PROVISION_STACK_NOT_ALLOWED).
 */
export function eventBridgeProvisioningGateway(options: EventBridgeProvisioningOptions): ProvisioningGateway {
  const { client, specialIds } = options;
  const shortTimeout = options.timeoutMs ?? 120_000;
  const stackWait: RequestOptions = { timeoutMs: options.stackTimeoutMs ?? 16 * 60_000 };
  const request = async <T extends RequestType>(
    type: T,
    target: string,
    body: RequestBody<T>,
    { timeoutMs = shortTimeout, dryrun = false }: RequestOptions = {},
  ): Promise<Detail<ReplyTypeOf<T>>> => {
    try {
      return await client.request(type, target, body, { timeoutMs, dryrun });
    } catch (e) {
      throw e instanceof RequestFailedError ? e.asRemoteError() : e;
    }
  };
  type Completing = {
    [T in RequestType]: ReplyTypeOf<T> extends 'REQUEST_COMPLETED' ? T : never;
  }[RequestType];
  const completed = async <T extends Completing>(
    type: T,
    target: string,
    body: RequestBody<T>,
    options?: RequestOptions,
  ): Promise<HandlerResult> => {
    const reply = (await request(type, target, body, options)) as Detail<'REQUEST_COMPLETED'>;
    return { changed: reply.changed, summary: reply.summary ?? {} };
  };
  const stack = (request: UpdateStackRequest): RequestBody<'UPDATE_IAM_MAPPING'> => ({
    stack_name: request.stack_name,
    template_url: request.template_url,
    ...(request.account_id ? { account_id: request.account_id } : {}),
  });
  const baseline = (request: AccountBaselineRequest): RequestBody<'UPDATE_ACCOUNT_BASELINE'> => ({
    ...stack(request),
    ...(request.region ? { region: request.region } : {}),
    ...(request.default_vault_regions?.length
      ? { default_vault_regions: [...request.default_vault_regions] }
      : {}),
  });

  return {
    ...cicdLocalOperations({
      ...options,
      forwardBusOf: (accountId) => senderBusName(client.topology, specialIds.cicd, accountId),
    }),

    async stackInstanceStatus(body) {
      const reply = await request('STACK_INSTANCE_STATUS', specialIds.management, body);
      return {
        stack_set_name: reply.stack_set_name,
        account_id: reply.account_id,
        region: reply.region,
        status: reply.status,
        ...(reply.reason !== undefined ? { reason: reply.reason } : {}),
      };
    },

    putSsmParameters: (accountId, parameters) =>
      completed('PUT_SSM_PARAMETERS', accountId, {
        parameters: parameters.map(({ name, value }) => ({ name, value })),
      }),

    updateIamSettings: (accountId, body, { dryrun = false } = {}) =>
      completed('UPDATE_IAM_ACCOUNT_SETTINGS', accountId, body, { dryrun }),

    updateBaseline: (accountId, body) =>
      completed('UPDATE_ACCOUNT_BASELINE', accountId, baseline(body), stackWait),

    updateIamMapping: (identityId, body) =>
      completed('UPDATE_IAM_MAPPING', identityId, stack(body), stackWait),

    createVpc: (accountId, body) =>
      completed(
        'CREATE_VPC',
        accountId,
        {
          region: body.region,
          cidr: body.cidr,
          nat_gateway_count: body.nat_gateway_count,
          template_url: body.template_url,
        },
        stackWait,
      ),

    updateLogBuckets: (logsId, body) => completed('UPDATE_LOG_BUCKETS', logsId, stack(body), stackWait),

    ensureAccountZone: (dnsId, body) => completed('ENSURE_ACCOUNT_ZONE', dnsId, body),
    releaseAccountDns: (dnsId, body) => completed('RELEASE_ACCOUNT_DNS', dnsId, body),
  };
}

/**
 * The provisioning gateway of a management connection (docs/plan.md, "Gateways"): direct with
 * the management account's credentials, over EventBridge with the cicd account's.
 */
export function provisioningGatewayOver(
  connection: ManagementConnection,
  config: ResolvedConfig,
  accountIds: Readonly<Record<string, string>>,
): ProvisioningGateway {
  const specialIds = specialAccountIds(config, accountIds, 'the pipeline');
  const where = { config, accountIds, specialIds, homeRegion: homeRegionOf(config) };
  return connection.kind === 'direct'
    ? directProvisioningGateway({ management: connection.clients, ...where })
    : eventBridgeProvisioningGateway({ client: connection.client, cicd: connection.clients, ...where });
}
