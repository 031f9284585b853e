import type { SQSRecord } from 'aws-lambda';
import type { MessagingLog } from '../bus/log.js';
import type { EventSender, OutgoingEvent } from '../bus/sender.js';
import type { RequestOutcomeDetail, RequestOutcomeStatus } from '../protocol/catalog.js';
import type { RecordOutcome } from './handle.js';

/** When the runtime started on a record and how long it took. */
export interface RecordTiming {
  readonly startedAt: Date;
  readonly durationMs: number;
}

function status(outcome: RecordOutcome): RequestOutcomeStatus {
  if (outcome.status === 'handled') return outcome.duplicate ? 'duplicate' : 'handled';
  if (outcome.status === 'rejected') return 'rejected';
  return outcome.final ? 'failed' : 'retrying';
}

/** The request's fields as the record carried them (a refused record may have none). */
function carried(record: SQSRecord): { id?: string; dryrun?: boolean } {
  try {
    const body = JSON.parse(record.body) as { id?: unknown; detail?: { dryrun?: unknown } };
    return {
      ...(typeof body.id === 'string' ? { id: body.id.slice(0, 128) } : {}),
      ...(typeof body.detail?.dryrun === 'boolean' ? { dryrun: body.detail.dryrun } : {}),
    };
  } catch {
    return {};
  }
}

/** The REQUEST_OUTCOME detail of one record (schema: NOTIFICATION_SCHEMAS in the catalog). */
export function requestOutcomeDetail(
  record: SQSRecord,
  outcome: RecordOutcome,
  timing: RecordTiming,
  handlerAccount: string,
): RequestOutcomeDetail {
  const attempt = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const { id, dryrun } = carried(record);
  const nonce = outcome.nonce?.slice(0, 128);
  const sender = outcome.status === 'failed' ? undefined : outcome.sender;
  const failure =
    outcome.status === 'rejected'
      ? { code: outcome.code, message: outcome.reason.slice(0, 1024) }
      : outcome.status === 'failed'
        ? { code: 'HANDLER_FAILED', message: outcome.error.slice(0, 1024) }
        : {};
  return {
    ...(nonce ? { nonce } : {}),
    ...(dryrun !== undefined ? { dryrun } : {}),
    target_account: handlerAccount,
    ...(outcome.type ? { request_type: outcome.type.slice(0, 128) } : {}),
    ...(sender ? { sender: sender.slice(0, 64) } : {}),
    ...(id ? { event_id: id } : {}),
    message_id: record.messageId.slice(0, 128),
    outcome: status(outcome),
    ...failure,
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    replied: outcome.status === 'failed' ? false : outcome.replied,
    started_at: timing.startedAt.toISOString(),
    duration_ms: Math.max(0, Math.round(timing.durationMs)),
  };
}

/**
 * Publishes one REQUEST_OUTCOME per record of a batch, in one PutEvents where the batch fits
 * (EventSender cuts at 10 entries and 256 KB: a Lambda SQS batch of 10 records is one call).
 * Best effort: the outcome is for people and the audit store, the request's own fate does not
 * depend on it, so a failed PutEvents is logged and never fails or retries the batch (a retried
 * record would run its handler again for the sake of a report).
 */
export async function publishOutcomes(
  batch: readonly { record: SQSRecord; outcome: RecordOutcome; timing: RecordTiming }[],
  deps: {
    readonly outcomeBus?: string;
    readonly source: string;
    readonly account: { readonly id: string };
    readonly events: EventSender;
    readonly log: MessagingLog;
  },
): Promise<void> {
  if (batch.length === 0) return;
  const bus = deps.outcomeBus;
  if (!bus) return;
  const events: OutgoingEvent[] = batch.map(({ record, outcome, timing }) => ({
    busName: bus,
    source: deps.source,
    detailType: 'REQUEST_OUTCOME',
    detail: requestOutcomeDetail(record, outcome, timing, deps.account.id),
  }));
  try {
    await deps.events.send(events);
  } catch (e) {
    deps.log.error('could not publish the request outcomes', {
      bus,
      outcomes: events.length,
      error: String(e),
    });
  }
}
