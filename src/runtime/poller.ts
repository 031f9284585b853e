import type { SQSRecord } from 'aws-lambda';
import { type AwsClients, sdkClientOf } from '../aws/clients.js';
import { type MessagingLog, silentLog } from '../bus/log.js';
import { type QueueMessage, type QueuePort, queueUrlOf, sqsQueuePort } from '../bus/queue.js';
import { EventSender, putEventsPort } from '../bus/sender.js';
import type { AccountKind } from '../config/model.js';
import type { HandlerRegistry } from '../handlers/types.js';
import { AUDIT_NAMES, ROLE_NAMES } from '../protocol/names.js';
import {
  type AccountTopology,
  AUDIT_QUEUE,
  DEFAULT_MAX_RECEIVE_COUNT,
  HANDLER_QUEUE,
  HANDLER_TIMEOUT_SECONDS,
  type Topology,
} from '../protocol/topology.js';
import { dynamoFailureStore } from './failures.js';
import { handleSqsBatch, type RecordOutcome, type RuntimeDeps } from './handle.js';
import { s3AuditObjectPort, storeAuditRecords } from './lambda/audit-store.js';
import { LeasedIdempotencyStore, leaseMessages } from './lease.js';

export interface LocalPollerOptions {
  readonly topology: Topology;
  /** Clients acting in an account (default: `root.forAccount(id)`, the assume-role path). */
  readonly clientsFor: (accountId: string) => AwsClients;
  /** The handlers each kind of account runs. */
  readonly handlersFor: (kind: AccountKind) => HandlerRegistry;
  /** Accounts to poll (default: every account of the topology). */
  readonly accounts?: readonly string[];
  /** Long-poll wait per ReceiveMessage (default 2 s: stop() returns within that). */
  readonly waitSeconds?: number;
  /** Visibility timeout given to a failed message: its redelivery delay (default 1 s). */
  readonly retryDelaySeconds?: number;
  /** Batches handled at once across all accounts (default 4). */
  readonly concurrency?: number;
  /** Deduplicate with each account's `orgbridge-idempotency` table (default true). */
  readonly idempotency?: boolean;
  /**
   * How long a batch may hold its messages (seconds after the receive): its visibility and
   * in-progress records are extended until then, after which the poller stops waiting for it
   * and SQS redelivers. Default: the kind's Lambda timeout (`HANDLER_TIMEOUT_SECONDS`).
   */
  readonly maxLeaseSeconds?: number;
  readonly log?: MessagingLog;
  /** Called for every record handled, rejected or failed (tests and the local UI watch this). */
  readonly onOutcome?: (accountId: string, outcome: RecordOutcome) => void;
  /**
   * Also consume the audit account's `orgbridge-audit` queue into its audit bucket (default the
   * templates' name), as the audit Lambda's second event source does: local mode, so `orgbridge
   * trace` has a store to read. Off by default: tests that read the audit queue themselves.
   */
  readonly auditStore?: boolean | { readonly bucket: string };
}

export interface LocalPollers {
  stop(): Promise<void>;
}

/** A counting semaphore: at most `n` batches in the handlers at once. */
function semaphore(n: number) {
  let free = n;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

export function toSqsRecord(message: QueueMessage, queueArn: string, region: string): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: message.sentTimestamp ?? String(Date.now()),
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * The RuntimeDeps of one account: its clients, its bus, its handlers. The poller adds what
 * belongs to one batch: the idempotency store holding the batch's records and the deadline of
 * its lease (./lease.ts).
 */
export function runtimeDepsFor(
  topology: Topology,
  account: AccountTopology,
  clients: AwsClients,
  handlers: HandlerRegistry,
  options: { log?: MessagingLog } = {},
): RuntimeDeps {
  const kinds = new Map(topology.accounts.map((a) => [a.accountId, a.kind]));
  const handlerQueue = account.queues.find((q) => q.purpose === 'handler');
  return {
    account: { id: account.accountId, kind: account.kind },
    source: topology.source,
    publishBus: account.publishBus,
    senderKind: (id) => kinds.get(id),
    handlers,
    clients,
    events: new EventSender(putEventsPort(clients.eventBridge())),
    log: options.log ?? silentLog,
    maxReceiveCount: handlerQueue?.deadLetter.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT,
    failures: dynamoFailureStore(clients.dynamoDb(), account.idempotencyTable),
    // The main bus, in the audit account too (not its outbox): the audit-store rule is there.
    outcomeBus: topology.busName,
  };
}

/**
 * The audit Lambda's second job, in-process: receive the audit copies (as the audit handler role,
 * the only principal the queue lets consume) and store them in the audit bucket, deleting what
 * was stored and handing the rest back to SQS for a retry.
 */
async function drainAuditQueue(options: {
  readonly clients: AwsClients;
  readonly account: AccountTopology;
  readonly bucket: string;
  readonly waitSeconds: number;
  readonly retryDelaySeconds: number;
  readonly stopping: () => boolean;
  readonly log: MessagingLog;
}): Promise<void> {
  const { clients, account, log } = options;
  const sqs = clients.forAccount(account.accountId, ROLE_NAMES.handler(account.kind)).sqs();
  const spec = account.queues.find((q) => q.name === AUDIT_QUEUE);
  if (!spec) return;
  const store = s3AuditObjectPort(clients.s3(), options.bucket);
  let port: QueuePort | undefined;
  while (!options.stopping()) {
    try {
      port ??= sqsQueuePort(sqs, await queueUrlOf(sqs, AUDIT_QUEUE));
      const messages = await port.receive({
        max: 10,
        waitSeconds: options.waitSeconds,
      });
      if (messages.length === 0) continue;
      const records = messages.map((m) => toSqsRecord(m, spec.arn, clients.context.region));
      const failed = new Set(await storeAuditRecords(records, store, log));
      const done = messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
      const retry = messages.filter((m) => failed.has(m.messageId)).map((m) => m.receiptHandle);
      if (done.length) await port.delete(done);
      if (retry.length) await port.changeVisibility(retry, options.retryDelaySeconds);
    } catch (e) {
      if (options.stopping()) return;
      log.error('local audit store: batch failed; retrying', { bucket: options.bucket, error: String(e) });
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

/**
 * Local mode's stand-in for the SQS event source mapping of each account's handler Lambda: one
 * long-polling loop per account, receiving as that account's handler role (assumed through
 * `clientsFor`) and handling with `clientsFor`'s clients, runs the same
 * `handleSqsBatch` in-process, deletes what succeeded (or was rejected) and hands failed
 * messages back to SQS after `retryDelaySeconds`, so the queue's redrive policy moves them to
 * the DLQ after maxReceiveCount receives, as in AWS. While a batch runs, its messages and
 * in-progress idempotency records are leased (./lease.ts): Lambda's deadline, in-process.
 */
export function startLocalPollers(options: LocalPollerOptions): LocalPollers {
  const { topology } = options;
  const log = options.log ?? silentLog;
  const limit = semaphore(options.concurrency ?? 4);
  let stopping = false;
  const selected = options.accounts ? new Set(options.accounts) : undefined;
  const accounts = topology.accounts.filter((a) => !selected || selected.has(a.accountId));

  const loop = async (account: AccountTopology): Promise<void> => {
    const clients = options.clientsFor(account.accountId);
    // The queue is polled as the handler role, as the Lambda event source mapping polls with the
    // function's role: the queue policy lets no other principal receive (denyConsumeExceptStatement).
    const pollerSqs = clients.forAccount(account.accountId, ROLE_NAMES.handler(account.kind)).sqs();
    const deps = runtimeDepsFor(topology, account, clients, options.handlersFor(account.kind), { log });
    const queueSpec = account.queues.find((q) => q.name === HANDLER_QUEUE);
    if (!queueSpec) return;
    const context = { account: account.accountId, queue: HANDLER_QUEUE };
    let port: QueuePort | undefined;
    while (!stopping) {
      try {
        port ??= sqsQueuePort(pollerSqs, await queueUrlOf(pollerSqs, HANDLER_QUEUE));
        const messages = await port.receive({
          max: 10,
          waitSeconds: options.waitSeconds ?? 2,
        });
        if (messages.length === 0) continue;
        const current = port;
        // One store per batch: it holds exactly this batch's in-progress records.
        const store =
          options.idempotency === false
            ? undefined
            : new LeasedIdempotencyStore({
                tableName: account.idempotencyTable,
                dynamoDb: await sdkClientOf(clients.dynamoDb()),
              });
        // Held from the receive on: a batch waiting for a free slot keeps its messages too.
        const maxLeaseSeconds = options.maxLeaseSeconds ?? HANDLER_TIMEOUT_SECONDS[account.kind];
        const leaseLimit = Date.now() + maxLeaseSeconds * 1000;
        const lease = leaseMessages({
          queue: current,
          receiptHandles: messages.map((m) => m.receiptHandle),
          visibilitySeconds: queueSpec.visibilityTimeoutSeconds,
          maxLeaseSeconds,
          ...(store ? { store } : {}),
          log,
          context,
        });
        let leaseExpired = false;
        void lease.expired.then(() => {
          leaseExpired = true;
        });
        await limit(async () => {
          // The lease ran out while the batch waited for a slot: the messages are SQS's again.
          if (leaseExpired) return;
          const records = messages.map((m) => toSqsRecord(m, queueSpec.arn, topology.region));
          const batch = handleSqsBatch(records, {
            ...deps,
            ...(store ? { idempotency: store } : {}),
            // Lambda's deadline, here the lease: the in-progress records expire with it.
            remainingTimeMs: () => Math.max(1, lease.deadline() - Date.now()),
            // And the Lambda timeout the handlers' waits stay under: the lease limit.
            invocationRemainingMs: () => Math.max(0, leaseLimit - Date.now()),
          });
          const result = await Promise.race([batch, lease.expired.then(() => undefined)]);
          if (!result) {
            // Lambda would have killed it: SQS redelivers (or dead-letters) the messages when their
            // visibility, no longer extended, runs out; what the handler still does is logged only.
            log.error('batch abandoned at the lease limit; SQS will redeliver its messages', {
              ...context,
              messages: messages.length,
            });
            batch.then(
              (late) =>
                log.warn('abandoned batch finished after the lease limit; not settled', {
                  ...context,
                  outcomes: late.outcomes.map((o) => o.status),
                }),
              (e) => log.error('abandoned batch failed', { ...context, error: String(e) }),
            );
            return;
          }
          await lease.release();
          for (const outcome of result.outcomes) options.onOutcome?.(account.accountId, outcome);
          const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
          const done = messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle);
          const retry = messages.filter((m) => failed.has(m.messageId)).map((m) => m.receiptHandle);
          if (done.length) await current.delete(done);
          if (retry.length) await current.changeVisibility(retry, options.retryDelaySeconds ?? 1);
        }).finally(() => lease.release());
      } catch (e) {
        if (stopping) return;
        log.error('local poller: batch failed; retrying', { account: account.accountId, error: String(e) });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  };

  const loops = accounts.map((a) => loop(a));
  const auditAccount = accounts.find((a) => a.queues.some((q) => q.name === AUDIT_QUEUE));
  if (options.auditStore && auditAccount) {
    const bucket =
      typeof options.auditStore === 'object'
        ? options.auditStore.bucket
        : AUDIT_NAMES.bucket(auditAccount.accountId, topology.region);
    loops.push(
      drainAuditQueue({
        clients: options.clientsFor(auditAccount.accountId),
        account: auditAccount,
        bucket,
        waitSeconds: options.waitSeconds ?? 2,
        retryDelaySeconds: options.retryDelaySeconds ?? 1,
        stopping: () => stopping,
        log,
      }),
    );
  }
  return {
    /**
     * Lets each loop finish its long poll and the batch it received, then returns. A long poll
     * is never aborted: SQS may already have handed its messages to the aborted call, and they
     * would then stay invisible, to every later poller, for the queue's visibility timeout
     * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html).
     * Stopping waits at most one poll (`waitSeconds`) plus the batch in hand; when the emulator is
     * stopped first (Ctrl-C), the poll fails at once.
     */
    async stop() {
      stopping = true;
      await Promise.allSettled(loops);
    },
  };
}
