import type { ListEventBusesCommandOutput } from '@aws-sdk/client-eventbridge';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { AwsClients, Client } from '../../aws/clients.js';
import { sdk } from '../../aws/sdk.js';
import { queueUrlOf, sqsQueuePort } from '../../bus/queue.js';
import { type RequestBody, RequestClient, RequestFailedError } from '../../bus/requests.js';
import { EventSender, putEventsPort } from '../../bus/sender.js';
import type { ResolvedConfig } from '../../config/model.js';
import { AwsOperationError, OrgbridgeError } from '../../errors.js';
import {
  type Clock,
  type CreateAccountOutcome,
  type CreateAccountRequest,
  CreationLedger,
  createAccount,
  ensureOrganizationalUnit,
  type MoveAccountRequest,
  moveAccount,
  type RetireAccountOutcome,
  type RetireAccountRequest,
  retireAccount,
  systemClock,
  type TagAccountRequest,
  tagAccount,
} from '../../handlers/accounts/lifecycle.js';
import { observeOrganization } from '../../handlers/accounts/observe.js';
import { type OrganizationsPort, organizationsPort } from '../../handlers/accounts/ports.js';
import { partitionOf } from '../../partitions.js';
import type { ObservedOrganization } from '../../plan/observed.js';
import { joinObservedOrganization } from '../../protocol/accounts-listed.js';
import type { Detail, ReplyTypeOf, RequestType } from '../../protocol/catalog.js';
import { REPLY_QUEUE, type Topology } from '../../protocol/topology.js';

/**
 * One step of an account plan with every OU path resolved to an id: exactly what a
 * management-account handler needs (and what the corresponding event carries).
 */
export type AccountStep =
  | { readonly kind: 'create-ou'; readonly parentId: string; readonly name: string }
  | ({ readonly kind: 'create-account' } & CreateAccountRequest)
  | ({ readonly kind: 'move-account' } & MoveAccountRequest)
  | ({ readonly kind: 'tag-account' } & TagAccountRequest)
  | ({ readonly kind: 'retire-account' } & RetireAccountRequest);

export type AccountStepResult =
  | { readonly kind: 'create-ou'; readonly ouId: string }
  | ({ readonly kind: 'create-account' } & CreateAccountOutcome)
  | { readonly kind: 'move-account' }
  | { readonly kind: 'tag-account' }
  | ({ readonly kind: 'retire-account' } & RetireAccountOutcome);

/**
 * How the cicd side reaches the management account. In AWS: events over EventBridge with
 * request/response (LIST_ACCOUNTS and friends). In tests and as a fallback: the same handler
 * functions called in-process with management credentials.
 */
export interface AccountsGateway {
  /** One snapshot of the organization. */
  list(): Promise<ObservedOrganization>;
  apply(step: AccountStep): Promise<AccountStepResult>;
}

export interface DirectGatewayOptions {
  readonly clock?: Clock;
  readonly tagConcurrency?: number;
  /** Poll budget of one CREATE_ACCOUNT call before it answers IN_PROGRESS. */
  readonly createMaxWaitMs?: number;
}

/** Calls the management-account handlers in-process over an Organizations port. */
export function directAccountsGateway(
  port: OrganizationsPort,
  options: DirectGatewayOptions = {},
): AccountsGateway {
  const clock = options.clock ?? systemClock;
  // One ListCreateAccountStatus walk for the whole run (see CreationLedger).
  const ledger = new CreationLedger(port);
  return {
    list: () => observeOrganization(port, { tagConcurrency: options.tagConcurrency ?? 8 }),
    async apply(step) {
      switch (step.kind) {
        case 'create-ou':
          return { kind: 'create-ou', ouId: await ensureOrganizationalUnit(port, step.parentId, step.name) };
        case 'create-account': {
          const { kind: _kind, ...request } = step;
          const outcome = await createAccount(port, request, {
            clock,
            ledger,
            ...(options.createMaxWaitMs !== undefined ? { maxWaitMs: options.createMaxWaitMs } : {}),
          });
          return { kind: 'create-account', ...outcome };
        }
        case 'move-account':
          await moveAccount(port, step);
          return { kind: 'move-account' };
        case 'tag-account':
          await tagAccount(port, step);
          return { kind: 'tag-account' };
        case 'retire-account':
          return { kind: 'retire-account', ...(await retireAccount(port, step, clock)) };
      }
    },
  };
}

/** `gateway` whose first `list()` answers with `listing`, a reading already under way. */
export function withListing(
  gateway: AccountsGateway,
  listing: Promise<ObservedOrganization>,
): AccountsGateway {
  let pending: Promise<ObservedOrganization> | undefined = listing;
  return {
    list() {
      const answer = pending ?? gateway.list();
      pending = undefined;
      return answer;
    },
    apply: (step) => gateway.apply(step),
  };
}

export interface EventBridgeGatewayOptions {
  /** A request client acting in the cicd account (see `cicdRequestClient`). */
  readonly client: RequestClient;
  readonly managementAccountId: string;
  /** Largest ACCOUNTS_LISTED part (default: the handler's 200,000 bytes). */
  readonly partBytes?: number;
  /** Wait for one answer (default 2 min; LIST_ACCOUNTS of 10,000 accounts takes ~1 min). */
  readonly timeoutMs?: number;
  /**
   * Wait for a CREATE_ACCOUNT answer (default 11 min): the handler polls a creation for up to
   * 10 min, then answers IN_PROGRESS and the sync sends it again.
   */
  readonly createTimeoutMs?: number;
}

/**
 * The gateway of the cicd pipeline in AWS: every read and write is a request to the management
 * account's handlers over EventBridge, answered on the cicd reply queue (matched by nonce).
 * LIST_ACCOUNTS comes back in parts and is joined here. A refusal (REQUEST_FAILED) becomes an
 * OrgbridgeError with the management account's code (e.g. ACCOUNT_OU_NOT_ALLOWED), so the sync
 * reports it like any failed step.
 */
export function eventBridgeAccountsGateway(options: EventBridgeGatewayOptions): AccountsGateway {
  const { client, managementAccountId } = options;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const request = async <T extends RequestType>(
    type: T,
    body: RequestBody<T>,
    timeout = timeoutMs,
  ): Promise<Detail<ReplyTypeOf<T>>> => {
    try {
      return await client.request(type, managementAccountId, body, { timeoutMs: timeout });
    } catch (e) {
      if (e instanceof RequestFailedError) {
        throw e.asRemoteError();
      }
      throw e;
    }
  };
  return {
    async list() {
      const parts = await client.requestParts(
        'LIST_ACCOUNTS',
        managementAccountId,
        options.partBytes ? { part_bytes: options.partBytes } : {},
        { timeoutMs },
      );
      return joinObservedOrganization(parts);
    },
    async apply(step) {
      switch (step.kind) {
        case 'create-ou': {
          const r = await request('ENSURE_ORGANIZATIONAL_UNIT', {
            parent_id: step.parentId,
            name: step.name,
          });
          return { kind: 'create-ou', ouId: r.ou_id };
        }
        case 'create-account': {
          const r = await request(
            'CREATE_ACCOUNT',
            {
              name: step.name,
              email: step.email,
              ou_id: step.ouId,
              tags: step.tags,
              ...(step.roleName ? { role_name: step.roleName } : {}),
            },
            options.createTimeoutMs ?? 11 * 60_000,
          );
          return {
            kind: 'create-account',
            state: r.state,
            how: r.how,
            ...(r.account_id ? { accountId: r.account_id } : {}),
            ...(r.request_id ? { requestId: r.request_id } : {}),
          };
        }
        case 'move-account':
          await request('MOVE_ACCOUNT', { account_id: step.accountId, ou_id: step.ouId });
          return { kind: 'move-account' };
        case 'tag-account':
          await request('TAG_ACCOUNT', {
            account_id: step.accountId,
            set: step.set,
            remove: [...step.remove],
          });
          return { kind: 'tag-account' };
        case 'retire-account': {
          const r = await request('RETIRE_ACCOUNT', {
            account_id: step.accountId,
            morgue_ou_id: step.morgueOuId,
            close: step.close,
          });
          return { kind: 'retire-account', moved: r.moved, closed: r.closed };
        }
      }
    },
  };
}

export interface CicdMessagingOptions {
  /** `organization.event_bus`. */
  readonly busName: string;
  /** `organization.event_source`. */
  readonly source: string;
  readonly timeoutMs?: number;
  /** Long-poll wait of the reply queue (default 20 s). */
  readonly waitSeconds?: number;
}

/**
 * What the cicd side needs of the topology to send requests: its own id, the bus name and how
 * many forward shard buses it has. The shard count depends on how many accounts the templates
 * were rendered for, which the pipeline does not know before it lists them, so it is read from
 * the deployed buses (`<bus>`, `<bus>-fwd-1`, ...): the sender then picks the bus holding the
 * target's forward rule exactly as the templates placed it.
 */
export async function cicdRequestClient(
  clients: AwsClients,
  options: CicdMessagingOptions,
): Promise<RequestClient> {
  const cicdAccountId = await clients.callerAccountId();
  const events = clients.eventBridge();
  const prefix = `${options.busName}-fwd-`;
  let shards = 1;
  let token: string | undefined;
  do {
    let page: ListEventBusesCommandOutput;
    try {
      const { ListEventBusesCommand } = await sdk.eventBridge();
      page = await events.send(new ListEventBusesCommand({ NamePrefix: prefix, NextToken: token }));
    } catch (e) {
      throw new AwsOperationError(`listing the forward buses ${prefix}* in cicd ${cicdAccountId}`, e);
    }
    shards += (page.EventBuses ?? []).filter((b) => /^\d+$/.test((b.Name ?? '').slice(prefix.length))).length;
    token = page.NextToken;
  } while (token);
  const topology = requesterTopology({
    ...options,
    cicdAccountId,
    region: clients.context.region,
    shardCount: shards,
  });
  return new RequestClient({
    topology,
    sender: new EventSender(putEventsPort(events)),
    replies: sqsQueuePort(clients.sqs(), await queueUrlOf(clients.sqs(), REPLY_QUEUE)),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.waitSeconds !== undefined ? { waitSeconds: options.waitSeconds } : {}),
  });
}

/**
 * The requester's view of the topology. RequestClient reads only the cicd id, the source and the
 * forward bus of a target (`senderBusName`: bus name + shard count), never the account list.
 */
function requesterTopology(input: {
  busName: string;
  source: string;
  region: string;
  cicdAccountId: string;
  shardCount: number;
}): Topology {
  return {
    busName: input.busName,
    source: input.source,
    region: input.region,
    partition: partitionOf(input.region),
    cicdAccountId: input.cicdAccountId,
    dnsAccountId: '',
    auditAccountId: '',
    shardCount: input.shardCount,
    accounts: [],
  };
}

export type GatewayKind = 'direct' | 'eventbridge';
const GATEWAY_KINDS: readonly GatewayKind[] = ['direct', 'eventbridge'];

export interface GatewayEnvironmentOptions {
  /** The DSL: bus name, event source, and the special accounts' ids where `id:` gives them. */
  readonly config?: Pick<ResolvedConfig, 'organization' | 'accounts'>;
  /** Region of the clients (default: the environment's, AWS_REGION). */
  readonly region?: string;
}

export interface GatewayFromEnvironment {
  readonly gateway: AccountsGateway;
  readonly kind: GatewayKind;
  close(): Promise<void>;
}

/**
 * How this run reaches the management account, and the clients it opened for that: with
 * `direct`, the caller's own clients (management credentials); with `eventbridge`, the cicd
 * account's clients and its request client. Every action that talks to the management account
 * starts here, so all of them choose alike.
 */
export type ManagementConnection =
  | { readonly kind: 'direct'; readonly clients: AwsClients; close(): Promise<void> }
  | {
      readonly kind: 'eventbridge';
      readonly clients: AwsClients;
      readonly client: RequestClient;
      readonly managementAccountId: string;
      close(): Promise<void>;
    };

/**
 * The connection `orgbridge plan` and `run --action sync-accounts | sync-policies` use
 * (docs/plan.md, "Gateways"):
 *
 * - `ORGBRIDGE_ACCOUNTS_GATEWAY=direct|eventbridge` decides when set.
 * - Otherwise the credentials decide: the management account's credentials get `direct` (the
 *   handlers run in-process); any other account's (the pipeline in the cicd account) get
 *   `eventbridge`, since only the management account may call Organizations' write APIs.
 *   The management account id comes from the DSL (`id:` of the management account) or from
 *   DescribeOrganization, which every member account may call.
 */
export async function managementConnectionFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  options: GatewayEnvironmentOptions = {},
): Promise<ManagementConnection> {
  const requested = env.ORGBRIDGE_ACCOUNTS_GATEWAY;
  if (requested !== undefined && requested !== '' && !GATEWAY_KINDS.includes(requested as GatewayKind)) {
    throw new OrgbridgeError(
      'SYNC_GATEWAY_UNKNOWN',
      `ORGBRIDGE_ACCOUNTS_GATEWAY=${requested} is not one of ${GATEWAY_KINDS.join(', ')}`,
      { hint: 'unset it to choose by the credentials: management -> direct, cicd -> eventbridge' },
    );
  }
  const [{ AwsClients }, { awsContextFromEnv }] = await Promise.all([
    import('../../aws/clients.js'),
    import('../../aws/context.js'),
  ]);
  const clients = new AwsClients(
    awsContextFromEnv(env, options.region !== undefined ? { region: options.region } : {}),
  );
  const port = organizationsPort(clients.organizations());
  try {
    const config = options.config;
    const idOf = (kind: 'management' | 'cicd') => {
      const key = config?.organization.accounts[kind];
      return config?.accounts.find((a) => a.key === key)?.id;
    };
    const managementId = async () => idOf('management') ?? (await port.managementAccountId());
    let kind = requested ? (requested as GatewayKind) : undefined;
    if (!kind) {
      const [caller, management] = await Promise.all([clients.callerAccountId(), managementId()]);
      kind = caller === management ? 'direct' : 'eventbridge';
    }
    if (kind === 'direct') return { kind, clients, close: async () => clients.destroy() };
    const busName = config?.organization.event_bus ?? env.ORGBRIDGE_EVENT_BUS;
    const source = config?.organization.event_source ?? env.ORGBRIDGE_EVENT_SOURCE;
    if (!busName || !source) {
      throw new OrgbridgeError(
        'SYNC_GATEWAY_UNCONFIGURED',
        'the eventbridge gateway needs the event bus name and event source',
        { hint: 'run with the config (-c DIR), or set ORGBRIDGE_EVENT_BUS and ORGBRIDGE_EVENT_SOURCE' },
      );
    }
    const caller = await clients.callerAccountId();
    const cicd = idOf('cicd');
    if (cicd && caller !== cicd) {
      throw new OrgbridgeError(
        'SYNC_GATEWAY_NOT_CICD',
        `the eventbridge gateway sends from the cicd account ${cicd}, but the credentials are account ${caller}'s`,
        {
          hint: 'run the pipeline in the cicd account, or with management credentials and ORGBRIDGE_ACCOUNTS_GATEWAY=direct',
        },
      );
    }
    const client = await cicdRequestClient(clients, { busName, source });
    return {
      kind,
      clients,
      client,
      managementAccountId: await managementId(),
      async close() {
        await client.close();
        clients.destroy();
      },
    };
  } catch (e) {
    clients.destroy();
    throw e;
  }
}

/**
 * The direct connection when `ORGBRIDGE_ACCOUNTS_GATEWAY=direct` chooses it: opened without the
 * config and without a call, so a run can start reading the organization while its config loads
 * (`run --action sync`). Undefined when the credentials or the config take part in the choice.
 */
export async function directConnectionFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<ManagementConnection | undefined> {
  return env.ORGBRIDGE_ACCOUNTS_GATEWAY === 'direct' ? managementConnectionFromEnvironment(env) : undefined;
}

/**
 * The account gateway over a management connection: in-process Organizations (through
 * `organizations` when given, else the connection's client), or requests.
 */
export function accountsGatewayOver(
  connection: ManagementConnection,
  organizations?: Client<OrganizationsClient>,
): AccountsGateway {
  return connection.kind === 'direct'
    ? directAccountsGateway(organizationsPort(organizations ?? connection.clients.organizations()))
    : eventBridgeAccountsGateway({
        client: connection.client,
        managementAccountId: connection.managementAccountId,
      });
}

/** The account gateway over the connection `managementConnectionFromEnvironment` chooses. */
export async function accountsGatewayFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  options: GatewayEnvironmentOptions = {},
): Promise<GatewayFromEnvironment> {
  const connection = await managementConnectionFromEnvironment(env, options);
  return { gateway: accountsGatewayOver(connection), kind: connection.kind, close: () => connection.close() };
}
