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

export interface TraceStep {
  /** ISO time: the event's (to the second, as EventBridge stamps it), or an attempt's start (ms). */
  readonly at: string;
  readonly step: TraceStepKind;
  readonly type: string;
  /** The account that put the event (for an attempt, the handling account). */
  readonly account: string;
  /** `target_account` of the event. */
  readonly to?: string;
  readonly attempt?: number;
  readonly code?: string;
  readonly message?: string;
  readonly durationMs?: number;
  readonly replied?: boolean;
  readonly eventId: string;
}

/** Where a request stands, from its last attempt and its answers. */
export type TraceStatus = 'sent' | 'handled' | 'rejected' | 'retrying' | 'failed';

export interface RequestTrace {
  readonly nonce: string;
  readonly requestType?: string;
  readonly sender?: string;
  readonly target?: string;
  readonly dryrun?: boolean;
  readonly status: TraceStatus;
  readonly steps: readonly TraceStep[];
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

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

function stepOf(e: AuditedEvent): TraceStep {
  const type = e['detail-type'];
  const base = {
    at: e.time,
    type,
    account: e.account,
    eventId: e.id,
    ...(text(e.detail.target_account) ? { to: text(e.detail.target_account) } : {}),
  };
  if (type === 'REQUEST_OUTCOME') {
    const parsed = NOTIFICATION_SCHEMAS.REQUEST_OUTCOME.safeParse(e.detail);
    if (parsed.success) {
      const o = parsed.data;
      return {
        ...base,
        at: o.started_at,
        step: o.outcome,
        type: o.request_type ?? type,
        account: o.target_account,
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
 * the attempts before the answers.
 */
export function buildTrace(nonce: string, events: readonly AuditedEvent[]): RequestTrace {
  const steps = events
    .map(stepOf)
    .sort(
      (a, b) =>
        second(a.at) - second(b.at) || RANK[a.step] - RANK[b.step] || Date.parse(a.at) - Date.parse(b.at),
    );
  const request = events.find((e) => isRequestType(e['detail-type']));
  const sent = steps.find((s) => s.step === 'sent');
  const attempts = steps.filter((s) => RANK[s.step] === 1);
  const answers = steps.filter((s) => s.step === 'answer');
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
  return {
    nonce,
    ...(requestType ? { requestType } : {}),
    ...(request ? { sender: request.account } : {}),
    ...((sent?.to ?? firstAttempt?.account) ? { target: sent?.to ?? firstAttempt?.account } : {}),
    ...(typeof dryrun === 'boolean' ? { dryrun } : {}),
    status,
    steps,
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
export async function traceRequest(reader: AuditReader, nonce: string): Promise<RequestTrace | undefined> {
  const keys: string[] = [];
  for await (const key of reader.keys(AUDIT_PREFIXES.nonce(nonce))) keys.push(key);
  if (keys.length === 0) return undefined;
  return buildTrace(nonce, await eventsOf(reader, keys));
}

/**
 * The requests that concerned an account (addressed to it: the requests and their outcomes),
 * newest first, back to `since`, at most `limit` of them, each traced in full.
 */
export async function traceAccount(
  reader: AuditReader,
  accountId: string,
  options: { since?: Date; limit?: number } = {},
): Promise<RequestTrace[]> {
  const limit = options.limit ?? 20;
  const since = options.since?.getTime() ?? 0;
  const nonces: string[] = [];
  for await (const key of reader.keys(AUDIT_PREFIXES.account(accountId))) {
    const entry = parseAccountKey(key);
    if (!entry) continue;
    // Newest first: the first key older than `since` ends the listing.
    if (entry.ms < since) break;
    if (entry.nonce && !nonces.includes(entry.nonce)) nonces.push(entry.nonce);
    if (nonces.length >= limit) break;
  }
  const traces = await Promise.all(nonces.map((n) => traceRequest(reader, n)));
  return traces.filter((t): t is RequestTrace => t !== undefined);
}

/** `1.2 s`, `340 ms`. */
function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

/** The text of a trace; `name` describes an account (`cicd 222222222222`). */
export function renderTrace(trace: RequestTrace, name: (accountId: string) => string = (id) => id): string[] {
  const lines = [
    `${trace.requestType ?? '(request not in the store)'} ${trace.nonce}${trace.dryrun ? ' (dry run)' : ''}: ${trace.status}`,
  ];
  for (const s of trace.steps) {
    const at = s.at.replace('T', ' ').replace(/Z$/, '');
    let what: string;
    if (s.step === 'sent') what = `sent by ${name(s.account)}${s.to ? ` to ${name(s.to)}` : ''}`;
    else if (s.step === 'answer')
      what = `answer ${s.type} from ${name(s.account)}${s.to ? ` to ${name(s.to)}` : ''}${s.code ? `: ${s.code}` : ''}`;
    else if (s.step === 'event') what = `${s.type} from ${name(s.account)}`;
    else {
      what = `${s.step} in ${name(s.account)}, attempt ${s.attempt ?? 1}, ${duration(s.durationMs ?? 0)}${s.code ? `: ${s.code}` : ''}${s.replied ? ', answered' : ''}`;
    }
    lines.push(`  ${at.padEnd(24)} ${what}`);
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
  options: { accountIds: Readonly<Record<string, string>>; since?: Date; limit?: number },
): Promise<TraceResult> {
  const accountId = /^\d{12}$/.test(what) ? what : options.accountIds[what];
  if (accountId) {
    const traces = await traceAccount(reader, accountId, {
      ...(options.since ? { since: options.since } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
    return { kind: 'account', accountId, traces };
  }
  const trace = await traceRequest(reader, what);
  if (!trace) {
    throw new OrgbridgeError('TRACE_NOT_FOUND', `the audit store holds no event with nonce '${what}'`, {
      hint: 'check the nonce (the pipeline prints it with each request; `orgbridge trace <account>` lists recent ones); an event reaches the store seconds after it was put',
    });
  }
  return { kind: 'request', trace };
}
