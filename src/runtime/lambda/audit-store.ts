import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import type { Client } from '../../aws/clients.js';
import { sdk } from '../../aws/sdk.js';
import type { MessagingLog } from '../../bus/log.js';
import { AwsOperationError } from '../../errors.js';
import { QueueEnvelopeSchema } from '../../protocol/catalog.js';
import { AUDIT_QUEUE } from '../../protocol/topology.js';

/**
 * The audit account's second job: every event any account publishes is copied to the audit bus
 * where it enters (src/protocol/topology.ts), lands untouched in the `orgbridge-audit` queue, and
 * is stored here as one S3 object (the bucket has
 * object lock, see src/templates/stacks/buckets.ts). The audit copies are not requests for the
 * audit account: they must never reach handleSqsBatch, which would refuse and drop them.
 */
export interface AuditObjectPort {
  putObject(key: string, body: string): Promise<void>;
}

/**
 * The bucket has Object Lock with a default retention, and S3 refuses an upload to it without a
 * checksum: "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request
 * to upload an object with a retention period configured using Amazon S3 Object Lock"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html). SDK versions
 * from early 2025 add a CRC32 by default, older ones (the SDK the Lambda runtime ships may be
 * one) add nothing, so the checksum is asked for explicitly.
 */
export function s3AuditObjectPort(client: Client<S3Client>, bucket: string): AuditObjectPort {
  return {
    async putObject(key, body) {
      try {
        const { PutObjectCommand } = await sdk.s3();
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/json',
            ChecksumAlgorithm: 'SHA256',
          }),
        );
      } catch (e) {
        throw new AwsOperationError(`storing audit event ${key} in s3://${bucket}`, e);
      }
    },
  };
}

/** Whether a record comes from the audit queue (rather than the handler queue). */
export function isAuditRecord(record: Pick<SQSRecord, 'eventSourceARN'>): boolean {
  return record.eventSourceARN.endsWith(`:${AUDIT_QUEUE}`);
}

/**
 * The audit store's layout: each event is written once under its hour and once per index, every
 * object holding the whole event as delivered.
 *
 * - `events/YYYY/MM/DD/HH/<detail-type>/<event id>.json`: by hour, for lifecycle rules, Athena
 *   partitions and `orgbridge events --since`.
 * - `by-nonce/<nonce>/<YYYYMMDDTHHMMSSZ>/<detail-type>/<event id>.json`: one request's events
 *   (the request, each REQUEST_OUTCOME, the answers), oldest first: `orgbridge trace <nonce>` is
 *   one ListObjectsV2 of a prefix.
 * - `by-account/<target account>/<inverted time>/<detail-type>/<status>/<nonce>/<event id>.json`:
 *   what concerned an account (the requests addressed to it and their outcomes), newest first,
 *   since S3 lists keys in ascending UTF-8 order
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html); the inverted time
 *   is 9999999999999 minus the event's epoch milliseconds, 13 digits. `<status>` is a
 *   REQUEST_OUTCOME's outcome (`-` for other events) and the nonce is in the key, so listing
 *   alone answers "what was rejected in account X in the last hour".
 * - `by-status/<status>/<inverted time>/<target account>/<request type>/<nonce>/<event id>.json`:
 *   the REQUEST_OUTCOMEs that went wrong (`rejected`, `retrying`, `failed`), newest first, over
 *   the whole organization: `orgbridge events --status rejected`. The `handled` ones, the bulk,
 *   are not indexed here (the hour partitions and the account index have them).
 *
 * Every part of a key is reduced to `[A-Za-z0-9_.-]`, so a forged detail-type or nonce cannot
 * add a level. The event id makes each key unique: a redelivered copy overwrites itself (a new
 * version of the same key, in the versioned bucket) instead of adding an object. S3 has no
 * secondary index, and the bucket is locked (objects cannot be rewritten in place to add one
 * later), so the indexes are written with the event: three PUTs of the event (a few KB), four
 * for an outcome that went wrong.
 */
export interface AuditEntry {
  readonly id: string;
  readonly type: string;
  /** The account that put the event. */
  readonly account: string;
  readonly time: string;
  readonly nonce?: string;
  readonly targetAccount?: string;
  /** A REQUEST_OUTCOME's `outcome`. */
  readonly status?: string;
  /** A REQUEST_OUTCOME's `request_type`. */
  readonly requestType?: string;
}

/** The outcomes `by-status/` indexes: the ones that need a look. */
export const PROBLEM_STATUSES: readonly string[] = ['rejected', 'retrying', 'failed'];

const safe = (s: string) => s.replace(/[^\w.-]/g, '_').slice(0, 128);
const MAX_MS = 9_999_999_999_999;

/** The event's fields the keys are made of, or undefined when the body is not an event. */
export function auditEntryOf(body: string): AuditEntry | undefined {
  let parsed: ReturnType<typeof QueueEnvelopeSchema.safeParse> | undefined;
  try {
    parsed = QueueEnvelopeSchema.safeParse(JSON.parse(body));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) return undefined;
  const e = parsed.data;
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const nonce = text(e.detail.nonce);
  const isOutcome = e['detail-type'] === 'REQUEST_OUTCOME';
  // An outcome is put by the account that handled the request, which EventBridge names in the
  // envelope (PutEvents has no field for it): indexed under that account, never under the one
  // its detail names, so another account cannot file made-up outcomes under it (the audit bus
  // takes events from the whole organization). Readers mark a mismatch (src/pipeline/trace.ts).
  const target = isOutcome ? e.account : text(e.detail.target_account);
  const status = isOutcome ? text(e.detail.outcome) : undefined;
  const requestType = isOutcome ? text(e.detail.request_type) : undefined;
  return {
    id: e.id,
    type: e['detail-type'],
    account: e.account,
    time: e.time,
    ...(nonce ? { nonce } : {}),
    ...(target && /^\d{12}$/.test(target) ? { targetAccount: target } : {}),
    ...(status ? { status } : {}),
    ...(requestType ? { requestType } : {}),
  };
}

/** Epoch milliseconds of an event's `time`, or undefined when it is not a time. */
function epochOf(time: string): number | undefined {
  const ms = Date.parse(time);
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? ms : undefined;
}

/** `YYYYMMDDTHHMMSSZ`: sorts as the time does. */
function compactTime(ms: number | undefined): string {
  if (ms === undefined) return '00000000T000000Z';
  return `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** Newest first: 9999999999999 - epoch ms, 13 digits. */
export function invertedTime(ms: number): string {
  return String(MAX_MS - ms).padStart(13, '0');
}

export const AUDIT_PREFIXES = {
  events: 'events/',
  hour: (ms: number) => `events/${new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '/')}/`,
  nonce: (nonce: string) => `by-nonce/${safe(nonce)}/`,
  account: (accountId: string) => `by-account/${safe(accountId)}/`,
  status: (status: string) => `by-status/${safe(status)}/`,
} as const;

/** Every key an audit record is stored under: its hour first, then its indexes. */
export function auditObjectKeys(record: Pick<SQSRecord, 'body' | 'messageId'>): string[] {
  const entry = auditEntryOf(record.body);
  if (!entry) return [`events/unparsed/${safe(record.messageId)}.json`];
  const ms = epochOf(entry.time);
  const type = safe(entry.type);
  const id = `${safe(entry.id)}.json`;
  const keys = [`${ms === undefined ? 'events/undated/' : AUDIT_PREFIXES.hour(ms)}${type}/${id}`];
  if (entry.nonce) keys.push(`${AUDIT_PREFIXES.nonce(entry.nonce)}${compactTime(ms)}/${type}/${id}`);
  if (entry.targetAccount) {
    const status = entry.status ? safe(entry.status) : '-';
    const nonce = entry.nonce ? safe(entry.nonce) : '-';
    keys.push(
      `${AUDIT_PREFIXES.account(entry.targetAccount)}${ms === undefined ? String(MAX_MS) : invertedTime(ms)}/${type}/${status}/${nonce}/${id}`,
    );
  }
  if (entry.status && PROBLEM_STATUSES.includes(entry.status)) {
    const inverted = ms === undefined ? String(MAX_MS) : invertedTime(ms);
    keys.push(
      `${AUDIT_PREFIXES.status(entry.status)}${inverted}/${entry.targetAccount ? safe(entry.targetAccount) : '-'}/${entry.requestType ? safe(entry.requestType) : '-'}/${entry.nonce ? safe(entry.nonce) : '-'}/${id}`,
    );
  }
  return keys;
}

/** The fields of a `by-status/` key (the inverse of auditObjectKeys' problem key). */
export function parseStatusKey(
  key: string,
): { ms: number; status: string; target?: string; requestType?: string; nonce?: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 7 || parts[0] !== 'by-status') return undefined;
  const [, status, inverted, target, requestType, nonce] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const known = (v: string) => (v === '-' ? undefined : v);
  return {
    ms: MAX_MS - Number(inverted),
    status,
    ...(known(target) ? { target } : {}),
    ...(known(requestType) ? { requestType } : {}),
    ...(known(nonce) ? { nonce } : {}),
  };
}

/** The fields of a `by-account/` key (the inverse of auditObjectKeys' last key). */
export function parseAccountKey(
  key: string,
): { ms: number; type: string; status?: string; nonce?: string; id: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 7 || parts[0] !== 'by-account') return undefined;
  const [, , inverted, type, status, nonce, file] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return {
    ms: MAX_MS - Number(inverted),
    type,
    ...(status !== '-' ? { status } : {}),
    ...(nonce !== '-' ? { nonce } : {}),
    id: file.replace(/\.json$/, ''),
  };
}

/** Stores each record; returns the message ids that failed (redelivered by SQS). */
export async function storeAuditRecords(
  records: readonly SQSRecord[],
  port: AuditObjectPort,
  log: MessagingLog,
): Promise<string[]> {
  const failed: string[] = [];
  await Promise.all(
    records.map(async (record) => {
      try {
        // The hour's object first: an event found through an index is in its hour too.
        const [primary, ...indexes] = auditObjectKeys(record);
        await port.putObject(primary as string, record.body);
        await Promise.all(indexes.map((key) => port.putObject(key, record.body)));
      } catch (e) {
        log.error('audit event not stored', { messageId: record.messageId, error: String(e) });
        failed.push(record.messageId);
      }
    }),
  );
  return failed;
}
