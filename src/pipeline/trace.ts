import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Client } from '../aws/clients.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import {
  isRequestType,
  isResponseType,
  NOTIFICATION_SCHEMAS,
  type RequestOutcomeDetail,
} from '../protocol/catalog.js';
import { AUDIT_PREFIXES, parseAccountKey } from '../runtime/lambda/audit-store.js';

/**
 * `orgbridge trace`: one request's path through the organization, read from the audit store
 * (src/runtime/lambda/audit-store.ts keeps every event under `by-nonce/<nonce>/` and
 * `by-account/<target>/`): who sent it and when, each attempt of the handler that got it (the
 * runtime's REQUEST_OUTCOME: handled, duplicate, rejected with its code, retrying, failed, and how
 * long it took), and the answers. Read-only; the reader lists and gets objects, nothing else.
 * Any account of the organization can put events the store keeps, so each step is credited to
 * the account that put it and the ones it could not have put are marked (SuspectReason).
 */
export interface AuditReader {
  /** Keys under `prefix` in S3's order (ascending UTF-8), page by page. */
  keys(prefix: string): AsyncIterable<string>;
  get(key: string): Promise<string>;
}

export function s3AuditReader(s3: Client<S3Client>, bucket: string): AuditReader {
  return {
    async *keys(prefix) {
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await s3.send(
            new ListObjectsV2Command({
              Bucket: bucket,
              Prefix: prefix,
              ...(token ? { ContinuationToken: token } : {}),
            }),
          );
        } catch (e) {
          throw new AwsOperationError(`listing s3://${bucket}/${prefix}`, e);
        }
        for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
        token = page.NextContinuationToken;
      } while (token);
    },
    async get(key) {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await out.Body?.transformToString()) ?? '';
      } catch (e) {
        throw new AwsOperationError(`reading s3://${bucket}/${key}`, e);
      }
    },
  };
}

/** An audited event, as EventBridge delivered it to the store. */
export interface AuditedEvent {
  readonly id: string;
  readonly account: string;
  readonly 'detail-type': string;
  readonly time: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type TraceStepKind = 'sent' | RequestOutcomeDetail['outcome'] | 'answer' | 'event';

/**
 * Why an audited event cannot be what it says. The audit bus takes events from every account of
 * the organization, and the store keeps what arrives, so a member can put any detail-type with any
 * detail. What it cannot choose is the envelope's `account`: a PutEvents entry has no such field
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html),
 * EventBridge fills it in with the account the event came from
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html), and AWS's
 * own advice for a bus open to other accounts rests on it: a rule with an `account` field
 * matches no event sent from another account
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html). Every step
 * and row is therefore credited to that account, and an event put by an account that may not put
 * it (src/protocol/catalog.ts: a REQUEST_OUTCOME comes from the account that handled the record,
 * the one its `target_account` names; an answer from the account the request went to) is marked
 * and left out of the status and the timings.
 *
 * - `names-another-handler`: a REQUEST_OUTCOME whose `target_account` (`account` here) is not
 *   the account that put it.
 * - `not-from-request-target`: an outcome or an answer put by an account the request (in the
 *   same trace) was not addressed to (`account`: where it went, when there is one such account).
 * - `nonce-shared`: requests with this nonce disagree on sender, type or target; which one is
 *   real cannot be told from the store.
 * - `started-after-put`: an outcome's `started_at` (`claimed`) is later than its event's `time`
 *   by more than CLOCK_SKEW_MS; the step is placed at the event's time.
 * - `dated-in-future`: the event's `time` is later than the reading, by more than CLOCK_SKEW_MS.
 */
export type SuspectReason =
  | 'names-another-handler'
  | 'not-from-request-target'
  | 'nonce-shared'
  | 'started-after-put'
  | 'dated-in-future';

export interface Suspicion {
  readonly reason: SuspectReason;
  readonly account?: string;
  readonly claimed?: string;
}

/**
 * How far a time a sender wrote may lie after the time it is compared with before it is not
 * believed. The store keeps only the event as EventBridge delivered it (audit-store.ts: the body
 * is written as is, nothing records when it arrived), so the latest time it offers is the event's
 * own `time`. EventBridge stamps that when it receives the PutEvents call unless the sender
 * passes `Time` (orgbridge's senders never do; a forger may), and the runtime takes an outcome's
 * `started_at` before it puts the outcome, so a real `started_at` is earlier than its `time`.
 * Five minutes covers clocks that disagree (a Lambda's, EventBridge's, the laptop reading the
 * store) and is far too short for a forged time to push real events out of a listing or a
 * trace: a later `started_at` is replaced by `time`, and a `time` later than the reading is
 * marked `dated-in-future` and does not count.
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * `--limit` over an index listed newest first, whose keys are dated by the events' `time`, which
 * the sender may choose: keys dated after `now` + CLOCK_SKEW_MS come first. They are still taken
 * (at most `limit` of them, their entries marked), but only the others count toward `limit`, so
 * far-future events cannot push the real ones out of a listing.
 */
export class NewestFirstLimit {
  private readonly horizon: number;
  private current = 0;
  private future = 0;

  constructor(
    now: Date,
    private readonly limit: number,
  ) {
    this.horizon = now.getTime() + CLOCK_SKEW_MS;
  }

  /** Whether an entry dated `ms` may still be taken. */
  admits(ms: number): boolean {
    return ms <= this.horizon || this.future < this.limit;
  }

  /** Counts an entry dated `ms` that was taken. */
  take(ms: number): void {
    if (ms > this.horizon) this.future++;
    else this.current++;
  }

  /** `limit` entries that are not future-dated were taken: the listing ends. */
  get full(): boolean {
    return this.current >= this.limit;
  }
}

export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * When an audited event happened, for ordering: an outcome's `started_at` (to the millisecond),
 * unless it lies after the event's own `time` by more than CLOCK_SKEW_MS (then `time`, and the
 * claimed start in `startedAfterPut`); any other event's `time`.
 */
export function auditedAt(e: AuditedEvent): { at: string; startedAfterPut?: string } {
  if (e['detail-type'] !== 'REQUEST_OUTCOME') return { at: e.time };
  const started = text(e.detail.started_at);
  if (!started) return { at: e.time };
  const startedMs = Date.parse(started);
  const putMs = Date.parse(e.time);
  if (!Number.isFinite(startedMs)) return { at: e.time };
  if (!Number.isFinite(putMs) || startedMs > putMs + CLOCK_SKEW_MS) {
    return { at: e.time, startedAfterPut: started };
  }
  return { at: started };
}

/**
 * What one event shows about itself, without the rest of its trace: an outcome put by another
 * account than the one it names, a start after its own time, a time after `now` (when given).
 */
export function eventSuspicion(e: AuditedEvent, now?: Date): Suspicion | undefined {
  if (e['detail-type'] === 'REQUEST_OUTCOME') {
    const named = text(e.detail.target_account);
    if (named !== e.account) return { reason: 'names-another-handler', ...(named ? { account: named } : {}) };
    const { startedAfterPut } = auditedAt(e);
    if (startedAfterPut) return { reason: 'started-after-put', claimed: startedAfterPut };
  }
  if (now && Date.parse(e.time) > now.getTime() + CLOCK_SKEW_MS) return { reason: 'dated-in-future' };
  return undefined;
}

/** The sentence of a suspicion, for `putBy` (the envelope's account). */
export function describeSuspicion(
  s: Suspicion,
  putBy: string,
  name: (accountId: string) => string = (id) => id,
): string {
  switch (s.reason) {
    case 'names-another-handler':
      return `put by ${name(putBy)}, it names ${s.account ? name(s.account) : 'no account'} as the account that handled the request`;
    case 'not-from-request-target':
      return s.account
        ? `put by ${name(putBy)}, but the request went to ${name(s.account)}`
        : `put by ${name(putBy)}, which no request with this nonce went to`;
    case 'nonce-shared':
      return 'other requests have this nonce, from another sender or to another account';
    case 'started-after-put':
      return `claims to have started at ${s.claimed}, after the event was put; placed at the event's time`;
    case 'dated-in-future':
      return 'dated after the audit store was read';
  }
}

export interface TraceStep {
  /**
   * ISO time: the event's (to the second, as EventBridge stamps it), or an attempt's start (ms)
   * unless that lies after the event's time (auditedAt).
   */
  readonly at: string;
  readonly step: TraceStepKind;
  readonly type: string;
  /**
   * The account that put the event: the envelope's `account`, for an attempt too (a real outcome
   * is put by the account that handled the record; one put by another is marked `suspect`).
   */
  readonly account: string;
  /** `target_account` of the event. */
  readonly to?: string;
  readonly attempt?: number;
  readonly code?: string;
  readonly message?: string;
  readonly durationMs?: number;
  readonly replied?: boolean;
  readonly eventId: string;
  /** Set when the account that put the event may not put it: not counted (see SuspectReason). */
  readonly suspect?: Suspicion;
}

/** Where a request stands, from its last attempt and its answers. */
export type TraceStatus = 'sent' | 'handled' | 'rejected' | 'retrying' | 'failed';

export interface RequestTrace {
  readonly nonce: string;
  readonly requestType?: string;
  readonly sender?: string;
  readonly target?: string;
  readonly dryrun?: boolean;
  /** From the steps not marked suspect only. */
  readonly status: TraceStatus;
  readonly steps: readonly TraceStep[];
  /** How many steps are marked suspect (absent when none). */
  readonly suspectSteps?: number;
  readonly timings: {
    readonly sentAt?: string;
    /** From the request's time to the first attempt's start. */
    readonly queuedMs?: number;
    /** The handler's time, all attempts together. */
    readonly handlerMs?: number;
    /** From the request's time to its last answer. */
    readonly answeredAfterMs?: number;
  };
}

const RANK: Record<TraceStepKind, number> = {
  sent: 0,
  handled: 1,
  duplicate: 1,
  rejected: 1,
  retrying: 1,
  failed: 1,
  answer: 2,
  event: 3,
};

/** What the rest of the trace says about who may put what. */
interface TraceContext {
  /** The accounts the requests with this nonce went to (empty: no request in the store). */
  readonly handlers: ReadonlySet<string>;
  /** The requests with this nonce disagree on sender, type or target. */
  readonly shared: boolean;
  readonly now?: Date;
}

function suspicionOf(e: AuditedEvent, context: TraceContext): Suspicion | undefined {
  const own = eventSuspicion(e, context.now);
  if (own) return own;
  const type = e['detail-type'];
  if ((type === 'REQUEST_OUTCOME' || isResponseType(type)) && context.handlers.size > 0) {
    if (!context.handlers.has(e.account)) {
      const [only] = context.handlers;
      return {
        reason: 'not-from-request-target',
        ...(context.handlers.size === 1 && only ? { account: only } : {}),
      };
    }
  }
  if (isRequestType(type) && context.shared) return { reason: 'nonce-shared' };
  return undefined;
}

function stepOf(e: AuditedEvent, context: TraceContext): TraceStep {
  const type = e['detail-type'];
  const suspect = suspicionOf(e, context);
  // Credited to the envelope's account, never to one the detail names (see SuspectReason).
  const base = {
    at: auditedAt(e).at,
    type,
    account: e.account,
    eventId: e.id,
    ...(text(e.detail.target_account) ? { to: text(e.detail.target_account) } : {}),
    ...(suspect ? { suspect } : {}),
  };
  if (type === 'REQUEST_OUTCOME') {
    const parsed = NOTIFICATION_SCHEMAS.REQUEST_OUTCOME.safeParse(e.detail);
    if (parsed.success) {
      const o = parsed.data;
      return {
        ...base,
        step: o.outcome,
        type: o.request_type ?? type,
        attempt: o.attempt,
        durationMs: o.duration_ms,
        replied: o.replied,
        ...(o.code ? { code: o.code } : {}),
        ...(o.message ? { message: o.message } : {}),
      };
    }
  }
  if (isRequestType(type)) return { ...base, step: 'sent' };
  if (isResponseType(type)) {
    const code = text(e.detail.code);
    const message = text(e.detail.message);
    return { ...base, step: 'answer', ...(code ? { code } : {}), ...(message ? { message } : {}) };
  }
  return { ...base, step: 'event' };
}

const second = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * The trace of one nonce from its audited events. Pure. Steps are in time order; EventBridge
 * stamps events to the second, so within one second the request comes before its attempts and
 * the attempts before the answers. Every step is credited to the account that put it; the steps
 * marked suspect are shown but set neither the status nor the timings. `now` (the reading's
 * time) marks the events dated after it.
 */
export function buildTrace(
  nonce: string,
  events: readonly AuditedEvent[],
  options: { now?: Date } = {},
): RequestTrace {
  const requests = events.filter((e) => isRequestType(e['detail-type']));
  const first = requests[0];
  const context: TraceContext = {
    handlers: new Set(requests.map((r) => text(r.detail.target_account)).filter((t) => t !== undefined)),
    shared: requests.some(
      (r) =>
        r.account !== first?.account ||
        r['detail-type'] !== first?.['detail-type'] ||
        text(r.detail.target_account) !== text(first?.detail.target_account),
    ),
    ...(options.now ? { now: options.now } : {}),
  };
  const steps = events
    .map((e) => stepOf(e, context))
    .sort(
      (a, b) =>
        second(a.at) - second(b.at) || RANK[a.step] - RANK[b.step] || Date.parse(a.at) - Date.parse(b.at),
    );
  const trusted = steps.filter((s) => !s.suspect);
  const sent = trusted.find((s) => s.step === 'sent') ?? steps.find((s) => s.step === 'sent');
  const request = sent ? events.find((e) => e.id === sent.eventId) : undefined;
  const attempts = trusted.filter((s) => RANK[s.step] === 1);
  const answers = trusted.filter((s) => s.step === 'answer');
  const last = attempts.at(-1);
  const status: TraceStatus = !last
    ? 'sent'
    : last.step === 'duplicate' || last.step === 'handled'
      ? 'handled'
      : (last.step as 'rejected' | 'retrying' | 'failed');
  const ms = (iso: string) => Date.parse(iso);
  const firstAttempt = attempts[0];
  const lastAnswer = answers.at(-1);
  const requestType = request?.['detail-type'] ?? firstAttempt?.type;
  const dryrun = request?.detail.dryrun;
  const suspectSteps = steps.length - trusted.length;
  return {
    nonce,
    ...(requestType ? { requestType } : {}),
    ...(request ? { sender: request.account } : {}),
    ...((sent?.to ?? firstAttempt?.account) ? { target: sent?.to ?? firstAttempt?.account } : {}),
    ...(typeof dryrun === 'boolean' ? { dryrun } : {}),
    status,
    steps,
    ...(suspectSteps > 0 ? { suspectSteps } : {}),
    timings: {
      ...(sent ? { sentAt: sent.at } : {}),
      ...(sent && firstAttempt ? { queuedMs: Math.max(0, ms(firstAttempt.at) - ms(sent.at)) } : {}),
      ...(attempts.length ? { handlerMs: attempts.reduce((n, a) => n + (a.durationMs ?? 0), 0) } : {}),
      ...(sent && lastAnswer ? { answeredAfterMs: Math.max(0, ms(lastAnswer.at) - ms(sent.at)) } : {}),
    },
  };
}

async function eventsOf(reader: AuditReader, keys: readonly string[]): Promise<AuditedEvent[]> {
  const bodies = await Promise.all(keys.map((k) => reader.get(k)));
  const events: AuditedEvent[] = [];
  for (const body of bodies) {
    try {
      events.push(JSON.parse(body) as AuditedEvent);
    } catch {
      // The store holds what EventBridge delivered: JSON. Anything else is not an event.
    }
  }
  return events;
}

/** The trace of one nonce, or undefined when the store holds nothing for it. */
export async function traceRequest(
  reader: AuditReader,
  nonce: string,
  now: Date = new Date(),
): Promise<RequestTrace | undefined> {
  const keys: string[] = [];
  for await (const key of reader.keys(AUDIT_PREFIXES.nonce(nonce))) keys.push(key);
  if (keys.length === 0) return undefined;
  return buildTrace(nonce, await eventsOf(reader, keys), { now });
}

/**
 * The requests that concerned an account (addressed to it: the requests and their outcomes),
 * newest first, back to `since`, at most `limit` of them, each traced in full.
 *
 * Future-dated keys do not count toward `limit` (NewestFirstLimit); their steps are marked.
 */
export async function traceAccount(
  reader: AuditReader,
  accountId: string,
  options: { since?: Date; limit?: number; now?: Date } = {},
): Promise<RequestTrace[]> {
  const since = options.since?.getTime() ?? 0;
  const now = options.now ?? new Date();
  const limit = new NewestFirstLimit(now, options.limit ?? 20);
  const nonces: string[] = [];
  for await (const key of reader.keys(AUDIT_PREFIXES.account(accountId))) {
    const entry = parseAccountKey(key);
    if (!entry) continue;
    // Newest first: the first key older than `since` ends the listing.
    if (entry.ms < since) break;
    if (!entry.nonce || nonces.includes(entry.nonce) || !limit.admits(entry.ms)) continue;
    nonces.push(entry.nonce);
    limit.take(entry.ms);
    if (limit.full) break;
  }
  const traces = await Promise.all(nonces.map((n) => traceRequest(reader, n, now)));
  return traces.filter((t): t is RequestTrace => t !== undefined);
}

/** `1.2 s`, `340 ms`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/**
 * The text of a trace; `name` describes an account (`cicd 222222222222`). A suspect step starts
 * with `forged?`, an attempt's is `reported by` (not `in`) the account that put it, and the next
 * line says why; the header counts the suspect steps the status leaves out.
 */
export function renderTrace(trace: RequestTrace, name: (accountId: string) => string = (id) => id): string[] {
  const suspects = trace.suspectSteps
    ? `, ${trace.suspectSteps} suspect step${trace.suspectSteps === 1 ? '' : 's'} not counted`
    : '';
  const lines = [
    `${trace.requestType ?? '(request not in the store)'} ${trace.nonce}${trace.dryrun ? ' (dry run)' : ''}: ${trace.status}${suspects}`,
  ];
  for (const s of trace.steps) {
    const at = s.at.replace('T', ' ').replace(/Z$/, '');
    let what: string;
    if (s.step === 'sent') what = `sent by ${name(s.account)}${s.to ? ` to ${name(s.to)}` : ''}`;
    else if (s.step === 'answer')
      what = `answer ${s.type} from ${name(s.account)}${s.to ? ` to ${name(s.to)}` : ''}${s.code ? `: ${s.code}` : ''}`;
    else if (s.step === 'event') what = `${s.type} from ${name(s.account)}`;
    else {
      what = `${s.step} ${s.suspect ? 'reported by' : 'in'} ${name(s.account)}, attempt ${s.attempt ?? 1}, ${duration(s.durationMs ?? 0)}${s.code ? `: ${s.code}` : ''}${s.replied ? ', answered' : ''}`;
    }
    lines.push(`  ${at.padEnd(24)} ${s.suspect ? 'forged? ' : ''}${what}`);
    if (s.suspect)
      lines.push(`  ${''.padEnd(24)}   suspect: ${describeSuspicion(s.suspect, s.account, name)}`);
    if (s.message && s.step !== 'sent') lines.push(`  ${''.padEnd(24)}   ${s.message.slice(0, 300)}`);
  }
  const t = trace.timings;
  const timings = [
    t.queuedMs !== undefined ? `queued ${duration(t.queuedMs)}` : '',
    t.handlerMs !== undefined ? `handler ${duration(t.handlerMs)}` : '',
    t.answeredAfterMs !== undefined ? `answered after ${duration(t.answeredAfterMs)}` : '',
  ].filter(Boolean);
  if (timings.length) lines.push(`  timings: ${timings.join(', ')} (event times are to the second)`);
  return lines;
}

/** `--since`: `90s`, `30m`, `1h`, `2d`, or an ISO time. */
export function parseSince(text: string, now: Date): Date {
  const relative = /^(\d+)([smhd])$/.exec(text.trim());
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const ms = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(ms)) return new Date(ms);
  throw new OrgbridgeError('TRACE_SINCE_INVALID', `--since '${text}' is neither a duration nor a time`, {
    hint: 'give a duration back from now (90s, 30m, 1h, 2d) or an ISO time (2026-12-03T16:00:00Z)',
  });
}

export type TraceResult =
  | { readonly kind: 'request'; readonly trace: RequestTrace }
  | { readonly kind: 'account'; readonly accountId: string; readonly traces: readonly RequestTrace[] };

/**
 * `orgbridge trace <what>`: a 12-digit account id or an account key of the config is an
 * account (the requests addressed to it, newest first); anything else is a nonce.
 */
export async function runTrace(
  reader: AuditReader,
  what: string,
  options: { accountIds: Readonly<Record<string, string>>; since?: Date; limit?: number; now?: Date },
): Promise<TraceResult> {
  const now = options.now ?? new Date();
  const accountId = /^\d{12}$/.test(what) ? what : options.accountIds[what];
  if (accountId) {
    const traces = await traceAccount(reader, accountId, {
      ...(options.since ? { since: options.since } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      now,
    });
    return { kind: 'account', accountId, traces };
  }
  const trace = await traceRequest(reader, what, now);
  if (!trace) {
    throw new OrgbridgeError('TRACE_NOT_FOUND', `the audit store holds no event with nonce '${what}'`, {
      hint: 'check the nonce (the pipeline prints it with each request; `orgbridge trace <account>` lists recent ones); an event reaches the store seconds after it was put',
    });
  }
  return { kind: 'request', trace };
}
