import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import {
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context, SQSBatchItemFailure, SQSRecord } from 'aws-lambda';
import type { AwsClients } from '../aws/clients.js';
import type { MessagingLog } from '../bus/log.js';
import type { EventSender } from '../bus/sender.js';
import type { AccountKind } from '../config/model.js';
import type { ErrorCode } from '../error-codes.js';
import type { HandlerContext, HandlerRegistration, HandlerRegistry } from '../handlers/types.js';
import { RequestRejected } from '../handlers/types.js';
import {
  AccountIdSchema,
  type DetailType,
  isDetailType,
  isRequestType,
  parseDetail,
  type QueueEnvelope,
  QueueEnvelopeSchema,
  REPLY_TYPE,
  type RequestType,
  type ResponseType,
} from '../protocol/catalog.js';
import { handles, isSenderAllowed } from '../protocol/routing.js';
import type { FailureStore } from './failures.js';
import { publishOutcomes, type RecordTiming } from './outcomes.js';

export type RecordOutcome =
  | {
      readonly status: 'handled';
      readonly messageId: string;
      readonly type: RequestType;
      readonly nonce: string;
      readonly sender: string;
      /** A duplicate: the stored answer was re-sent, the handler did not run. */
      readonly duplicate: boolean;
      readonly replied: boolean;
    }
  | {
      readonly status: 'rejected';
      readonly messageId: string;
      /** Why the event was refused (ENVELOPE_INVALID, SENDER_NOT_ALLOWED, ...: docs/events.md). Refused events are acknowledged: never executed, never retried. */
      readonly code: ErrorCode;
      readonly reason: string;
      readonly type?: string;
      readonly nonce?: string;
      readonly sender?: string;
      readonly replied: boolean;
    }
  | {
      readonly status: 'failed';
      readonly messageId: string;
      readonly type: RequestType;
      readonly nonce: string;
      readonly error: string;
      /** The last attempt before the DLQ: REQUEST_FAILED was sent to the requester. */
      readonly final: boolean;
    };

export interface RuntimeDeps {
  /** The account this runtime acts for. */
  readonly account: { readonly id: string; readonly kind: AccountKind };
  /** The configured event source; anything else is refused. */
  readonly source: string;
  /** The bus this account publishes on (its answers travel from there to the cicd account). */
  readonly publishBus: string;
  /**
   * The kind of a sender account, or undefined when it is not an account of the organization.
   * In AWS the DNS bus's policy (aws:PrincipalOrgID) already keeps outsiders out.
   */
  readonly senderKind: (accountId: string) => AccountKind | undefined | Promise<AccountKind | undefined>;
  readonly handlers: HandlerRegistry;
  readonly clients: AwsClients;
  /** Puts events on this account's buses. */
  readonly events: EventSender;
  /** Idempotency records (DynamoDB table `orgbridge-idempotency`); undefined disables dedupe. */
  readonly idempotency?: BasePersistenceLayer;
  readonly log: MessagingLog;
  /** The handler queue's maxReceiveCount: the attempt that answers REQUEST_FAILED before the DLQ. */
  readonly maxReceiveCount: number;
  /**
   * Time left before the invocation is cut off (Lambda: context.getRemainingTimeInMillis). An
   * in-progress idempotency record expires then, so a crashed attempt does not block its retry.
   */
  readonly remainingTimeMs?: () => number;
  /**
   * Time left before the invocation is cut off, for the handlers' waits (HandlerContext); default
   * `remainingTimeMs`. Local mode's lease extends the records' expiry beat by beat, but the
   * handler's deadline is the lease limit, the kind's Lambda timeout.
   */
  readonly invocationRemainingMs?: () => number;
  /** How long a processed nonce is remembered (default 4 days, the queue's retention). */
  readonly idempotencyExpirySeconds?: number;
  /** Where each failed attempt's error is kept for `orgbridge dlq show` (./failures.ts). */
  readonly failures?: FailureStore;
  /**
   * The bus each record's REQUEST_OUTCOME is published on (./outcomes.ts): the account's main
   * bus, whose rules copy it to the audit store. Undefined: no outcome is published.
   */
  readonly outcomeBus?: string;
}

export interface BatchResult {
  readonly batchItemFailures: SQSBatchItemFailure[];
  readonly outcomes: RecordOutcome[];
}

class Rejection extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    readonly replyTo: string | undefined,
  ) {
    super(reason);
  }
}

interface Accepted {
  readonly envelope: QueueEnvelope;
  readonly type: RequestType;
  readonly registration: HandlerRegistration<RequestType>;
  readonly detail: Record<string, unknown> & { nonce: string; dryrun: boolean; reply_to?: string };
  readonly senderKind: AccountKind;
}

/**
 * Consumes one SQS batch of the account's handler queue (the Lambda entry of every account kind,
 * and what the local poller calls). Each record is checked in this order, the first failure
 * refusing it: envelope shape, source, known detail-type, handled by this kind, sender is an
 * organization account allowed by the routing table, `target_account` is this account, detail
 * matches its schema. Accepted requests run through idempotency (sender + detail-type + nonce) and their
 * handler; a handler error leaves the record failed (SQS redelivers, then the DLQ takes it).
 * After the batch, each record's outcome is published as one REQUEST_OUTCOME (best effort).
 */
export async function handleSqsBatch(records: readonly SQSRecord[], deps: RuntimeDeps): Promise<BatchResult> {
  const outcomes = new Map<string, RecordOutcome>();
  const timings = new Map<string, RecordTiming>();
  const processor = new BatchProcessor(EventType.SQS);
  // Records of one batch that carry the same request (an event delivered twice, often in the
  // same PutEvents and so the same receive) run one after the other: the second finds the
  // first's stored answer and re-sends it. Run side by side, they race on the conditional
  // write of the in-progress record. DynamoDB refuses the loser, which then costs a retry;
  // moto's conditional write is not atomic under concurrent requests, so there both ran.
  const turns = new Map<string, Promise<unknown>>();
  const response = await processPartialResponse(
    { Records: [...records] },
    async (record: SQSRecord) => {
      const key = requestKey(record);
      const turn = (turns.get(key) ?? Promise.resolve()).then(async () => {
        const startedAt = new Date();
        const started = performance.now();
        try {
          return await handleRecord(record, deps);
        } finally {
          timings.set(record.messageId, { startedAt, durationMs: performance.now() - started });
        }
      });
      turns.set(
        key,
        turn.catch(() => {}),
      );
      const outcome = await turn;
      outcomes.set(record.messageId, outcome);
      if (outcome.status === 'failed') throw new Error(outcome.error);
    },
    processor,
    { throwOnFullBatchFailure: false },
  );
  const ordered = records.map((r) => outcomes.get(r.messageId) as RecordOutcome);
  await publishOutcomes(
    records.flatMap((record, i) => {
      const outcome = ordered[i];
      const timing = timings.get(record.messageId);
      return outcome && timing ? [{ record, outcome, timing }] : [];
    }),
    deps,
  );
  return { batchItemFailures: response.batchItemFailures, outcomes: ordered };
}

/** The idempotency key's ingredients when the body has them, else the message itself. */
function requestKey(record: SQSRecord): string {
  try {
    const body = JSON.parse(record.body) as { 'detail-type'?: unknown; detail?: { nonce?: unknown } };
    const type = body['detail-type'];
    const nonce = body.detail?.nonce;
    if (typeof type === 'string' && typeof nonce === 'string') return `${type}#${nonce}`;
  } catch {
    // Not JSON: refused on its own.
  }
  return `message#${record.messageId}`;
}

async function handleRecord(record: SQSRecord, deps: RuntimeDeps): Promise<RecordOutcome> {
  let accepted: Accepted;
  try {
    accepted = await accept(record, deps);
  } catch (e) {
    if (!(e instanceof Rejection)) throw e;
    return reject(record, deps, e);
  }
  const { type, detail, envelope } = accepted;
  const nonce = detail.nonce;
  try {
    const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const { reply, duplicate } = await run(accepted, deps, Number.isFinite(attempt) ? attempt : 1);
    let replied = false;
    if (detail.reply_to && reply) {
      await sendReply(deps, REPLY_TYPE[type], reply, detail, detail.reply_to);
      replied = true;
    }
    deps.log.info(duplicate ? 'duplicate event: answer re-sent' : 'event handled', {
      type,
      nonce,
      sender: envelope.account,
    });
    return {
      status: 'handled',
      messageId: record.messageId,
      type,
      nonce,
      sender: envelope.account,
      duplicate,
      replied,
    };
  } catch (e) {
    if (e instanceof RequestRejected || e instanceof IdempotencyValidationError) {
      const code = e instanceof RequestRejected ? e.code : 'NONCE_REUSED';
      const reason =
        e instanceof RequestRejected
          ? e.message
          : `nonce ${nonce} was already used for a different ${type} detail`;
      return reject(record, deps, new Rejection(code, reason, detail.reply_to), {
        type,
        nonce,
        sender: envelope.account,
      });
    }
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
    const final = receiveCount >= deps.maxReceiveCount;
    const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    deps.log.error('handler failed', { type, nonce, attempt: receiveCount, final, error });
    // Best effort: the record is what `dlq show` prints, the retry does not depend on it.
    await deps.failures
      ?.record({ type, nonce, error, attempt: receiveCount, at: new Date().toISOString() })
      .catch((recordError) =>
        deps.log.error('could not record the failure', { nonce, error: String(recordError) }),
      );
    if (final && detail.reply_to) {
      await sendReply(
        deps,
        'REQUEST_FAILED',
        {
          request_type: type,
          code: 'HANDLER_FAILED',
          message:
            `failed ${receiveCount} time(s), moved to orgbridge-handler-dlq of ${deps.account.id}: ${error}`.slice(
              0,
              2048,
            ),
        },
        detail,
        detail.reply_to,
      ).catch((sendError) =>
        deps.log.error('could not answer REQUEST_FAILED', { nonce, error: String(sendError) }),
      );
    }
    return { status: 'failed', messageId: record.messageId, type, nonce, error, final };
  }
}

async function accept(record: SQSRecord, deps: RuntimeDeps): Promise<Accepted> {
  let raw: unknown;
  try {
    raw = JSON.parse(record.body);
  } catch {
    throw new Rejection('ENVELOPE_INVALID', 'the message body is not JSON', undefined);
  }
  const parsed = QueueEnvelopeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Rejection(
      'ENVELOPE_INVALID',
      `the message body is not an orgbridge envelope: ${parsed.error.message}`,
      undefined,
    );
  }
  const envelope = parsed.data;
  const type = envelope['detail-type'];
  const sender = envelope.account;
  const senderKind = await deps.senderKind(sender);
  const rawReplyTo = AccountIdSchema.safeParse(envelope.detail.reply_to);
  // Answer a refusal only to an organization account that may send this type at all: an outsider
  // learns nothing, and a refusal never bounces between accounts.
  const replyTo =
    rawReplyTo.success &&
    senderKind &&
    isDetailType(type) &&
    isSenderAllowed(deps.account.kind, type, senderKind)
      ? rawReplyTo.data
      : undefined;
  if (envelope.source !== deps.source) {
    throw new Rejection('SOURCE_UNKNOWN', `source '${envelope.source}' is not '${deps.source}'`, undefined);
  }
  if (!isDetailType(type))
    throw new Rejection('TYPE_UNKNOWN', `detail-type '${type}' is not in the catalog`, undefined);
  if (!isRequestType(type) || !handles(deps.account.kind, type)) {
    throw new Rejection(
      'TYPE_NOT_HANDLED',
      `a ${deps.account.kind} account does not handle ${type}`,
      replyTo,
    );
  }
  if (!senderKind) {
    throw new Rejection(
      'SENDER_UNKNOWN',
      `sender ${sender} is not an account of the organization`,
      undefined,
    );
  }
  if (!isSenderAllowed(deps.account.kind, type, senderKind as AccountKind)) {
    throw new Rejection(
      'SENDER_NOT_ALLOWED',
      `${type} from ${senderKind} account ${sender} is not allowed here (routing table)`,
      undefined,
    );
  }
  if (envelope.detail.target_account !== deps.account.id) {
    throw new Rejection(
      'WRONG_TARGET',
      `${type} is addressed to ${String(envelope.detail.target_account)}, this is ${deps.account.id}`,
      replyTo,
    );
  }
  const detail = parseDetail(type, envelope.detail);
  if (!detail.ok) throw new Rejection('DETAIL_INVALID', detail.reason, replyTo);
  const registration = deps.handlers[type] as HandlerRegistration<RequestType> | undefined;
  if (!registration) {
    throw new Rejection(
      'HANDLER_MISSING',
      `no ${type} handler is deployed in this ${deps.account.kind} account`,
      replyTo,
    );
  }
  return {
    envelope,
    type,
    registration,
    detail: detail.detail as Accepted['detail'],
    senderKind: senderKind as AccountKind,
  };
}

async function reject(
  record: SQSRecord,
  deps: RuntimeDeps,
  rejection: Rejection,
  known: { type?: string; nonce?: string; sender?: string } = {},
): Promise<RecordOutcome> {
  let envelope: Partial<QueueEnvelope> = {};
  try {
    envelope = JSON.parse(record.body) as Partial<QueueEnvelope>;
  } catch {
    // Not JSON: nothing more to name.
  }
  const detail = (envelope.detail ?? {}) as Record<string, unknown>;
  const type =
    known.type ?? (typeof envelope['detail-type'] === 'string' ? envelope['detail-type'] : undefined);
  const nonce = known.nonce ?? (typeof detail.nonce === 'string' ? detail.nonce : undefined);
  const sender = known.sender ?? (typeof envelope.account === 'string' ? envelope.account : undefined);
  deps.log.warn('event rejected', { code: rejection.code, reason: rejection.reason, type, nonce, sender });
  let replied = false;
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  if (rejection.replyTo && nonce && uuid.test(nonce)) {
    try {
      await sendReply(
        deps,
        'REQUEST_FAILED',
        {
          ...(type ? { request_type: type.slice(0, 64) } : {}),
          code: rejection.code,
          message: rejection.reason.slice(0, 2048),
        },
        { nonce, dryrun: detail.dryrun === true },
        rejection.replyTo,
      );
      replied = true;
    } catch (e) {
      deps.log.error('could not answer REQUEST_FAILED', { nonce, error: String(e) });
    }
  }
  return {
    status: 'rejected',
    messageId: record.messageId,
    code: rejection.code,
    reason: rejection.reason,
    ...(type ? { type } : {}),
    ...(nonce ? { nonce } : {}),
    ...(sender ? { sender } : {}),
    replied,
  };
}

async function run(
  accepted: Accepted,
  deps: RuntimeDeps,
  attempt: number,
): Promise<{ reply: Record<string, unknown> | undefined; duplicate: boolean }> {
  const { type, detail, registration, envelope } = accepted;
  const ctx: HandlerContext = {
    clients: deps.clients,
    log: deps.log,
    account: deps.account,
    sender: { id: envelope.account, kind: accepted.senderKind },
    nonce: detail.nonce,
    dryrun: detail.dryrun,
    attempt,
    ...(deps.invocationRemainingMs || deps.remainingTimeMs
      ? { remainingTimeMs: deps.invocationRemainingMs ?? deps.remainingTimeMs }
      : {}),
    reply: async (replyType, body) => {
      if (!detail.reply_to) return;
      await sendReply(deps, replyType, body as Record<string, unknown>, detail, detail.reply_to);
    },
  };
  const execute = async (): Promise<{ reply: Record<string, unknown> | null }> => {
    const body = await registration.handle(detail as never, ctx);
    if (!body) return { reply: null };
    // Check the answer before it is stored: an invalid answer is a handler bug, retried like one.
    const check = parseDetail(REPLY_TYPE[type], {
      ...body,
      nonce: detail.nonce,
      dryrun: detail.dryrun,
      target_account: envelope.account,
    });
    if (!check.ok) throw new Error(`the ${type} handler returned an invalid answer: ${check.reason}`);
    return { reply: body as Record<string, unknown> };
  };
  if (!deps.idempotency || registration.idempotent === false) {
    return { reply: (await execute()).reply ?? undefined, duplicate: false };
  }
  let duplicate = false;
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'key',
    payloadValidationJmesPath: 'detail',
    expiresAfterSeconds: deps.idempotencyExpirySeconds ?? 4 * 86_400,
    responseHook: (response) => {
      duplicate = true;
      return response;
    },
  });
  const remaining = deps.remainingTimeMs;
  // Only getRemainingTimeInMillis is read from the context.
  if (remaining) config.registerLambdaContext({ getRemainingTimeInMillis: remaining } as unknown as Context);
  const idempotent = makeIdempotent(async (_payload: { key: string; detail: unknown }) => execute(), {
    persistenceStore: deps.idempotency,
    keyPrefix: 'orgbridge',
    config,
  });
  // Sender, detail-type and nonce: a nonce reused by another sender, or for another type, is a
  // new request, never a duplicate that replays a stored answer.
  const out = await idempotent({ key: `${envelope.account}#${type}#${detail.nonce}`, detail });
  return { reply: out.reply ?? undefined, duplicate };
}

async function sendReply(
  deps: RuntimeDeps,
  type: ResponseType | DetailType,
  body: Record<string, unknown>,
  request: { nonce: string; dryrun: boolean },
  replyTo: string,
): Promise<void> {
  const detail = { ...body, nonce: request.nonce, dryrun: request.dryrun, target_account: replyTo };
  await deps.events.send([{ busName: deps.publishBus, source: deps.source, detailType: type, detail }]);
}
