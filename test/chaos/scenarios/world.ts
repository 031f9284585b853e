import { randomUUID } from 'node:crypto';
import { CreateAccountCommand, CreateOrganizationalUnitCommand } from '@aws-sdk/client-organizations';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';
import { AwsClients, sdkClientOf } from '../../../src/aws/index.js';
import type { MessagingLog } from '../../../src/bus/log.js';
import { queueUrlOf, sqsQueuePort } from '../../../src/bus/queue.js';
import { RequestClient } from '../../../src/bus/requests.js';
import { EventSender, putEventsPort } from '../../../src/bus/sender.js';
import type { AccountKind } from '../../../src/config/model.js';
import { route53Port, ssmParameterPort } from '../../../src/handlers/dns/ports.js';
import { TokenBucket } from '../../../src/handlers/dns/rate-limit.js';
import { ensureAccountZone } from '../../../src/handlers/dns/zones.js';
import type { HandlerRegistration, HandlerRegistry } from '../../../src/handlers/types.js';
import { REPLY_TYPE, type RequestType } from '../../../src/protocol/catalog.js';
import { ROLE_NAMES } from '../../../src/protocol/names.js';
import { AUDIT_QUEUE, computeTopology, REPLY_QUEUE, type Topology } from '../../../src/protocol/topology.js';
import type { RecordOutcome } from '../../../src/runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../../../src/runtime/poller.js';
import { provisionTopology } from '../../../src/runtime/provision.js';
import type { MotoFixture } from '../../support/moto.js';
import { createOrganization } from '../../support/moto.js';
import { waitFor } from '../../support/wait.js';
import { handlerRegistry } from './handlers.js';

export { waitFor };

/**
 * One organization on the emulator with the whole messaging topology, local pollers running the
 * real runtime and handlers in every account, a request client in the cicd account, and the
 * instruments the reliability scenarios read: every handler execution by nonce, every runtime
 * outcome, every log line, every event put, and the audit queue.
 */

export const BUS = 'orgbridge-bus';
export const SOURCE = 'app.infra';
export const PARENT_DOMAIN = 'aws.example.com';
export const ROOT_OU = 'Internal';
export const MORGUE_OU = 'Morgue';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface Ids {
  readonly management: string;
  readonly cicd: string;
  readonly identity: string;
  readonly dns: string;
  readonly logs: string;
  readonly audit: string;
  readonly memberA: string;
  readonly memberB: string;
}

export interface Ous {
  readonly root: string;
  readonly internal: string;
  readonly dev: string;
  readonly morgue: string;
  /** An OU directly under the root, outside `root_ou`: where the management account's own things live. */
  readonly security: string;
}

/** Injected crashes: the next `moveAccount` MoveAccount calls of the management runtime throw. */
export interface CrashSwitch {
  moveAccount: number;
  injected: number;
}

export interface AuditedEvent {
  readonly type: string;
  readonly nonce: string;
  readonly target: string;
}

export interface World {
  readonly moto: MotoFixture;
  readonly topology: Topology;
  readonly ids: Ids;
  readonly ous: Ous;
  /** Clients of an account as its handlers and senders act (assume-role path). */
  clientsFor(accountId: string): AwsClients;
  readonly client: RequestClient;
  /** Puts events as the cicd account. */
  readonly cicdSender: EventSender;
  /** An EventSender acting in `accountId`. */
  senderIn(accountId: string): EventSender;
  readonly outcomes: { readonly account: string; readonly outcome: RecordOutcome }[];
  readonly logs: LogLine[];
  /** `${type}#${nonce}` -> times the handler body actually ran. */
  readonly executions: Map<string, number>;
  readonly crash: CrashSwitch;
  /**
   * SQS message ids of events that reached a handler queue without entering through their
   * sender's own bus (put straight onto another account's bus): no audit copy is taken of them.
   */
  readonly injected: Set<string>;
  /** Waits for the runtime's outcome of the record matching `match` in `accountId`. */
  outcome(
    accountId: string,
    match: (o: RecordOutcome) => boolean,
    timeoutMs?: number,
  ): Promise<RecordOutcome>;
  /**
   * Moves what the audit queue holds into `audited` and returns everything audited so far.
   * Drain between scenarios: moto's ReceiveMessage slows down as a queue grows.
   */
  drainAudit(): Promise<AuditedEvent[]>;
  readonly audited: AuditedEvent[];
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** Receives before the DLQ: high enough that in-progress duplicates are retried, not dead-lettered. */
  readonly maxReceiveCount?: number;
  readonly concurrency?: number;
  /** Deduplicate by nonce (default true); the control run turns it off to prove the checks bite. */
  readonly idempotency?: boolean;
}

export async function createWorld(moto: MotoFixture, options: WorldOptions = {}): Promise<World> {
  const { management } = moto;
  const { rootId, managementId, organizationId } = await createOrganization(management);
  const org = management.organizations();
  const ou = async (parent: string, name: string) =>
    (await org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }))).OrganizationalUnit
      ?.Id as string;
  const internal = await ou(rootId, ROOT_OU);
  const ous: Ous = {
    root: rootId,
    internal,
    dev: await ou(internal, 'Dev'),
    morgue: await ou(rootId, MORGUE_OU),
    security: await ou(rootId, 'Security'),
  };
  const created: Record<string, string> = {};
  for (const name of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member-a', 'member-b']) {
    const out = await org.send(
      new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }),
    );
    created[name] = out.CreateAccountStatus?.AccountId as string;
  }
  const ids: Ids = {
    management: managementId,
    cicd: created.cicd as string,
    identity: created.identity as string,
    dns: created.dns as string,
    logs: created.logs as string,
    audit: created.audit as string,
    memberA: created['member-a'] as string,
    memberB: created['member-b'] as string,
  };
  const kinds: [string, AccountKind][] = [
    [ids.management, 'management'],
    [ids.cicd, 'cicd'],
    [ids.identity, 'identity'],
    [ids.dns, 'dns'],
    [ids.logs, 'logs'],
    [ids.audit, 'audit'],
    [ids.memberA, 'member'],
    [ids.memberB, 'member'],
  ];
  const topology = computeTopology({
    accounts: kinds.map(([id, kind]) => ({ id, kind })),
    busName: BUS,
    source: SOURCE,
    region: 'us-east-1',
    maxReceiveCount: options.maxReceiveCount ?? 5,
    visibilityTimeoutSeconds: 5,
  });

  // The management runtime gets clients of its own, so crashes injected there touch nothing else.
  const crash: CrashSwitch = { moveAccount: 0, injected: 0 };
  const managementRuntime = new AwsClients(moto.context);
  (await sdkClientOf(managementRuntime.organizations())).middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'MoveAccountCommand' && crash.moveAccount > 0) {
        crash.moveAccount--;
        crash.injected++;
        throw new Error('handler killed mid-operation (injected after CreateAccount, before MoveAccount)');
      }
      return next(args);
    },
    { step: 'initialize', name: 'chaosCrashBeforeMove' },
  );
  const clientsFor = (id: string) => (id === managementId ? management : management.forAccount(id));
  const runtimeClientsFor = (id: string) => (id === managementId ? managementRuntime : clientsFor(id));
  await provisionTopology(topology, clientsFor, { organizationId });

  // Central DNS: the parent zone and one zone per member account, as the pipeline leaves them.
  const dnsClients = clientsFor(ids.dns);
  await dnsClients
    .route53()
    .send(new CreateHostedZoneCommand({ Name: PARENT_DOMAIN, CallerReference: `chaos-${randomUUID()}` }));
  const dnsPorts = {
    route53: route53Port(dnsClients.route53()),
    parameters: ssmParameterPort(dnsClients.ssm()),
    bucket: new TokenBucket({
      ratePerSecond: 50,
      capacity: 50,
      clock: { now: () => new Date(), sleep: async () => {} },
    }),
  };
  for (const [accountId, accountName] of [
    [ids.memberA, 'member-a'],
    [ids.memberB, 'member-b'],
  ] as const) {
    await ensureAccountZone(dnsPorts, {
      accountId,
      accountName,
      parentDomain: PARENT_DOMAIN,
      allowedDomains: [],
    });
  }

  const outcomes: World['outcomes'] = [];
  const logs: LogLine[] = [];
  const log: MessagingLog = {
    info: (message, extra = {}) => logs.push({ level: 'info', message, extra }),
    warn: (message, extra = {}) => logs.push({ level: 'warn', message, extra }),
    error: (message, extra = {}) => logs.push({ level: 'error', message, extra }),
  };
  const executions = new Map<string, number>();
  const counted = (kind: AccountKind): HandlerRegistry => {
    const registry = handlerRegistry(kind, { rootOu: ROOT_OU, morgueOu: MORGUE_OU });
    const out: Record<string, HandlerRegistration<RequestType>> = {};
    for (const [type, registration] of Object.entries(registry) as [
      RequestType,
      HandlerRegistration<RequestType>,
    ][]) {
      out[type] = {
        ...registration,
        async handle(detail, ctx) {
          const key = `${type}#${detail.nonce}`;
          executions.set(key, (executions.get(key) ?? 0) + 1);
          return registration.handle(detail, ctx);
        },
      };
    }
    return out as HandlerRegistry;
  };
  const pollers: LocalPollers = startLocalPollers({
    topology,
    clientsFor: runtimeClientsFor,
    handlersFor: counted,
    waitSeconds: 1,
    retryDelaySeconds: 1,
    concurrency: options.concurrency ?? 8,
    ...(options.idempotency === false ? { idempotency: false } : {}),
    log,
    onOutcome: (account, outcome) => outcomes.push({ account, outcome }),
  });

  const senders = new Map<string, EventSender>();
  const senderIn = (accountId: string) => {
    let s = senders.get(accountId);
    if (!s) {
      s = new EventSender(putEventsPort(clientsFor(accountId).eventBridge()));
      senders.set(accountId, s);
    }
    return s;
  };
  const cicd = clientsFor(ids.cicd);
  const cicdSender = senderIn(ids.cicd);
  const client = new RequestClient({
    topology,
    sender: cicdSender,
    replies: sqsQueuePort(cicd.sqs(), await queueUrlOf(cicd.sqs(), REPLY_QUEUE)),
    waitSeconds: 1,
    timeoutMs: 30_000,
  });

  const injected = new Set<string>();
  const audited: AuditedEvent[] = [];
  // The audit store queue is the audit handler role's to read (denyConsumeExceptStatement).
  const auditClients = clientsFor(ids.audit).forAccount(ids.audit, ROLE_NAMES.handler('audit'));
  const auditPort = sqsQueuePort(auditClients.sqs(), await queueUrlOf(auditClients.sqs(), AUDIT_QUEUE));

  return {
    moto,
    topology,
    ids,
    ous,
    clientsFor,
    client,
    cicdSender,
    senderIn,
    outcomes,
    logs,
    executions,
    crash,
    injected,
    async outcome(accountId, match, timeoutMs = 20_000) {
      return waitFor(
        () => outcomes.find((o) => o.account === accountId && match(o.outcome))?.outcome,
        timeoutMs,
      );
    },
    audited,
    async drainAudit() {
      const events = audited;
      let quiet = 0;
      // Delivery into the audit queue is synchronous in moto; two empty polls mean it is drained.
      while (quiet < 2) {
        const messages = await auditPort.receive({ max: 10, waitSeconds: 0 });
        if (messages.length === 0) {
          quiet++;
          continue;
        }
        quiet = 0;
        for (const m of messages) {
          const body = JSON.parse(m.body) as { 'detail-type': string; detail: Record<string, unknown> };
          events.push({
            type: body['detail-type'],
            nonce: typeof body.detail.nonce === 'string' ? body.detail.nonce : '-',
            target: String(body.detail.target_account ?? '-'),
          });
        }
        await auditPort.delete(messages.map((m) => m.receiptHandle));
      }
      return events;
    },
    async stop() {
      await client.close();
      await pollers.stop();
      managementRuntime.destroy();
    },
  };
}

/** A key per event for matching deliveries against audit copies. */
export function auditKey(e: AuditedEvent): string {
  return `${e.type}#${e.nonce}#${e.target}`;
}

/**
 * Every event that went through the buses and reached a handler queue, plus every answer the
 * runtime put back: what the audit queue must hold. Records written straight into a queue are
 * left out (no bus saw them); a record retried after a failure is one event.
 */
export function deliveredEvents(world: World): AuditedEvent[] {
  const seen = new Set<string>();
  const events: AuditedEvent[] = [];
  for (const { account, outcome } of world.outcomes) {
    // A failed attempt is redelivered; its final outcome (handled or rejected) is counted.
    if (outcome.status === 'failed' || seen.has(outcome.messageId)) continue;
    seen.add(outcome.messageId);
    const nonce = outcome.nonce ?? '-';
    // An event put straight onto another account's bus skipped the audit copy; its answer did not.
    if (!world.injected.has(outcome.messageId))
      events.push({ type: outcome.type ?? '?', nonce, target: account });
    if (outcome.replied) {
      const type = outcome.status === 'handled' ? REPLY_TYPE[outcome.type] : 'REQUEST_FAILED';
      events.push({ type, nonce, target: world.topology.cicdAccountId });
    }
  }
  return events;
}

/** Delivered events without an audit copy (multiset difference). */
export function missingFromAudit(
  delivered: readonly AuditedEvent[],
  audited: readonly AuditedEvent[],
): AuditedEvent[] {
  const copies = new Map<string, number>();
  for (const e of audited) copies.set(auditKey(e), (copies.get(auditKey(e)) ?? 0) + 1);
  const missing: AuditedEvent[] = [];
  for (const e of delivered) {
    const n = copies.get(auditKey(e)) ?? 0;
    if (n > 0) copies.set(auditKey(e), n - 1);
    else missing.push(e);
  }
  return missing;
}
