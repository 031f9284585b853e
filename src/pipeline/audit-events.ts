import { OrgbridgeError } from '../errors.js';
import { REQUEST_OUTCOMES } from '../protocol/catalog.js';
import {
  AUDIT_PREFIXES,
  PROBLEM_STATUSES,
  parseAccountKey,
  parseStatusKey,
} from '../runtime/lambda/audit-store.js';
import {
  type AuditedEvent,
  type AuditReader,
  auditedAt,
  describeSuspicion,
  eventSuspicion,
  NewestFirstLimit,
  type Suspicion,
  text,
} from './trace.js';

/**
 * `orgbridge events`: audited events, newest first, filtered. Which index answers depends on the
 * filters (layout: src/runtime/lambda/audit-store.ts):
 *
 * - `--account A`: `by-account/A/`, newest first; type and status are in the key, so only the
 *   events shown are read.
 * - `--status rejected|retrying|failed` without an account: `by-status/<status>/`, newest first,
 *   every account, the request type in the key.
 * - otherwise the hour partitions `events/YYYY/MM/DD/HH/[<type>/]`, newest hour first; within an
 *   hour S3 has no time order, so each event of the hour is read and sorted. Narrow with `--type`
 *   and `--since`.
 *
 * Every account of the organization can put events the store keeps, with any detail: a row is
 * credited to the account that put the event (the envelope's `account`, which the sender cannot
 * choose), and an outcome that account could not have put, or an event dated after the reading,
 * is marked `suspect` (see SuspectReason in trace.ts). An answer is checked against its request
 * by `orgbridge trace`, which reads both; a row stands alone.
 */
export interface EventFilter {
  readonly since: Date;
  readonly until?: Date;
  /** The event's detail-type; with `status`, the request type of the outcome. */
  readonly type?: string;
  /** A REQUEST_OUTCOME's outcome: only outcome events are listed. */
  readonly status?: string;
  readonly account?: string;
  readonly limit?: number;
}

export interface AuditEventRow {
  readonly time: string;
  readonly type: string;
  /** The account that put the event. */
  readonly account: string;
  readonly target?: string;
  readonly nonce?: string;
  /** REQUEST_OUTCOME: the request's type and what became of it. */
  readonly requestType?: string;
  readonly status?: string;
  readonly code?: string;
  readonly message?: string;
  readonly eventId: string;
  /** What the event shows about itself that makes it suspect (eventSuspicion in trace.ts). */
  readonly suspect?: Suspicion;
}

/** The longest `--since` the hour partitions are walked back (31 days: 744 listings). */
const MAX_HOURS = 24 * 31;

function rowOf(e: AuditedEvent, now: Date): AuditEventRow {
  const d = e.detail;
  const isOutcome = e['detail-type'] === 'REQUEST_OUTCOME';
  const fields = {
    target: text(d.target_account),
    nonce: text(d.nonce),
    requestType: isOutcome ? text(d.request_type) : undefined,
    status: isOutcome ? text(d.outcome) : undefined,
    code: text(d.code),
    message: text(d.message),
  };
  const suspect = eventSuspicion(e, now);
  return {
    // An outcome's start, unless it lies after the event's own time (a sender-chosen start
    // cannot move a row ahead of the real ones, see CLOCK_SKEW_MS).
    time: auditedAt(e).at,
    type: e['detail-type'],
    // The envelope's account: who put the event, never the account its detail names.
    account: e.account,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    eventId: e.id,
    ...(suspect ? { suspect } : {}),
  };
}

function matches(row: AuditEventRow, filter: EventFilter): boolean {
  if (filter.status) {
    if (row.type !== 'REQUEST_OUTCOME' || row.status !== filter.status) return false;
    return !filter.type || row.requestType === filter.type;
  }
  return !filter.type || row.type === filter.type;
}

async function read(reader: AuditReader, key: string, now: Date): Promise<AuditEventRow | undefined> {
  try {
    return rowOf(JSON.parse(await reader.get(key)) as AuditedEvent, now);
  } catch {
    return undefined;
  }
}

/** GETs at once: far under the SDK's 50 sockets, so a busy hour queues nothing. */
const READ_CONCURRENCY = 16;

async function readAll(
  reader: AuditReader,
  keys: readonly string[],
  now: Date,
): Promise<(AuditEventRow | undefined)[]> {
  const rows: (AuditEventRow | undefined)[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      rows[i] = await read(reader, keys[i] as string, now);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  return rows;
}

/**
 * Reads the keys of an index listed newest first, until `since` or `limit`; future-dated keys
 * do not count toward `limit` (NewestFirstLimit) and their rows are marked suspect.
 */
async function fromIndex(
  reader: AuditReader,
  prefix: string,
  filter: EventFilter,
  now: Date,
  keyed: (key: string) => { ms: number; keep: boolean } | undefined,
): Promise<AuditEventRow[]> {
  const limit = new NewestFirstLimit(now, filter.limit ?? 50);
  const until = filter.until?.getTime() ?? Number.POSITIVE_INFINITY;
  const rows: AuditEventRow[] = [];
  for await (const key of reader.keys(prefix)) {
    const k = keyed(key);
    if (!k || k.ms > until) continue;
    if (k.ms < filter.since.getTime()) break;
    if (!k.keep || !limit.admits(k.ms)) continue;
    const row = await read(reader, key, now);
    if (row && matches(row, filter)) {
      rows.push(row);
      limit.take(k.ms);
    }
    if (limit.full) break;
  }
  // Keys are to the second; an outcome's row time is its start, to the millisecond.
  return rows.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

async function fromHours(reader: AuditReader, filter: EventFilter, now: Date): Promise<AuditEventRow[]> {
  const limit = filter.limit ?? 50;
  const hour = 3_600_000;
  const newest = Math.floor((filter.until ?? now).getTime() / hour) * hour;
  const oldest = Math.max(Math.floor(filter.since.getTime() / hour) * hour, newest - (MAX_HOURS - 1) * hour);
  // The type the keys can be narrowed to: the event's, or REQUEST_OUTCOME for a status.
  const keyType = filter.status ? 'REQUEST_OUTCOME' : filter.type;
  const rows: AuditEventRow[] = [];
  for (let h = newest; h >= oldest && rows.length < limit; h -= hour) {
    const prefix = `${AUDIT_PREFIXES.hour(h)}${keyType ? `${keyType.replace(/[^\w.-]/g, '_')}/` : ''}`;
    const keys: string[] = [];
    for await (const key of reader.keys(prefix)) keys.push(key);
    const hourEvents = await readAll(reader, keys, now);
    const inRange = (r: AuditEventRow) => {
      const ms = Date.parse(r.time);
      return ms >= filter.since.getTime() && (!filter.until || ms <= filter.until.getTime());
    };
    const hourRows = hourEvents
      .filter((r): r is AuditEventRow => r !== undefined && matches(r, filter) && inRange(r))
      .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    rows.push(...hourRows.slice(0, limit - rows.length));
  }
  return rows;
}

/** The audited events that pass `filter`, newest first, at most `limit` (default 50). */
export async function listAuditEvents(
  reader: AuditReader,
  filter: EventFilter,
  now: Date = new Date(),
): Promise<AuditEventRow[]> {
  if (filter.status && !(REQUEST_OUTCOMES as readonly string[]).includes(filter.status)) {
    throw new OrgbridgeError('EVENTS_STATUS_INVALID', `--status '${filter.status}' is not an outcome`, {
      hint: `one of ${REQUEST_OUTCOMES.join(', ')}`,
    });
  }
  if (filter.account) {
    return fromIndex(reader, AUDIT_PREFIXES.account(filter.account), filter, now, (key) => {
      const k = parseAccountKey(key);
      if (!k) return undefined;
      const keep = filter.status
        ? k.type === 'REQUEST_OUTCOME' && k.status === filter.status
        : !filter.type || k.type === filter.type;
      return { ms: k.ms, keep };
    });
  }
  if (filter.status && PROBLEM_STATUSES.includes(filter.status)) {
    return fromIndex(reader, AUDIT_PREFIXES.status(filter.status), filter, now, (key) => {
      const k = parseStatusKey(key);
      return k ? { ms: k.ms, keep: !filter.type || k.requestType === filter.type } : undefined;
    });
  }
  return fromHours(reader, filter, now);
}

/**
 * One line per event. A suspect row starts with `forged?`, an outcome's is `reported by` (not
 * `in`) the account that put it, and `[suspect: ...]` says why.
 */
export function renderAuditEvents(
  rows: readonly AuditEventRow[],
  name: (accountId: string) => string = (id) => id,
): string[] {
  return rows.map((r) => {
    const what =
      r.type === 'REQUEST_OUTCOME'
        ? `${r.requestType ?? '?'} ${r.status ?? '?'}${r.code ? ` ${r.code}` : ''} ${r.suspect ? 'reported by' : 'in'} ${name(r.account)}`
        : `${r.type} from ${name(r.account)}${r.target ? ` to ${name(r.target)}` : ''}${r.code ? ` ${r.code}` : ''}`;
    const suspect = r.suspect ? ` [suspect: ${describeSuspicion(r.suspect, r.account, name)}]` : '';
    const reason = r.message ? `: ${r.message.slice(0, 200)}` : '';
    return `${r.time.replace('T', ' ').replace(/Z$/, '').padEnd(24)} ${r.suspect ? 'forged? ' : ''}${what}${suspect} nonce=${r.nonce ?? '-'}${reason}`;
  });
}
