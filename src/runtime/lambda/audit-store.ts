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
 * `events/YYYY/MM/DD/<detail-type>/<event id>.json`: by day for lifecycle and Athena partitions,
 * and by event id so a redelivered copy overwrites (a new version) instead of adding an object.
 */
export function auditObjectKey(record: Pick<SQSRecord, 'body' | 'messageId'>): string {
  let parsed: ReturnType<typeof QueueEnvelopeSchema.safeParse> | undefined;
  try {
    parsed = QueueEnvelopeSchema.safeParse(JSON.parse(record.body));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) return `events/unparsed/${record.messageId}.json`;
  const envelope = parsed.data;
  const day = /^\d{4}-\d{2}-\d{2}/.test(envelope.time)
    ? envelope.time.slice(0, 10).replaceAll('-', '/')
    : 'undated';
  const safe = (s: string) => s.replace(/[^\w.-]/g, '_');
  return `events/${day}/${safe(envelope['detail-type'])}/${safe(envelope.id)}.json`;
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
        await port.putObject(auditObjectKey(record), record.body);
      } catch (e) {
        log.error('audit event not stored', { messageId: record.messageId, error: String(e) });
        failed.push(record.messageId);
      }
    }),
  );
  return failed;
}
