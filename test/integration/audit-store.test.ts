import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATOR_CREDENTIALS } from '../../src/aws/context.js';
import { silentLog } from '../../src/bus/log.js';
import { s3AuditObjectPort, storeAuditRecords } from '../../src/runtime/lambda/audit-store.js';
import { useMoto } from '../support/moto.js';

/**
 * The audit store writes into a bucket with Object Lock and a default retention, where S3
 * refuses an upload without Content-MD5 or a checksum header
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html); moto enforces
 * that. The Lambda runtime's SDK may predate the default CRC32 checksums (early 2025), which a
 * client set to `WHEN_REQUIRED` reproduces.
 */
describe('audit store on an Object Lock bucket', () => {
  const moto = useMoto();
  const bucket = 'orgbridge-audit-object-lock';
  let s3: S3Client;

  beforeAll(async () => {
    const { context } = moto();
    s3 = new S3Client({
      region: context.region,
      endpoint: context.endpoint,
      forcePathStyle: true,
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
      // An SDK without default checksums, as an older Lambda runtime ships.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  });
  afterAll(() => s3?.destroy());

  it('is refused without a checksum: the rule the store must follow', async () => {
    await expect(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain.json', Body: '{}' })),
    ).rejects.toThrow(/Content-MD5|x-amz-sdk-checksum-algorithm|Object Lock/i);
  });

  it('stores every record, with a checksum whatever the SDK defaults to', async () => {
    const body = JSON.stringify({
      version: '0',
      id: 'e-1',
      account: '111111111111',
      source: 'app.infra',
      'detail-type': 'PING',
      time: '2026-12-01T10:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { nonce: 'n-1', target_account: '222222222222' },
    });
    const failed = await storeAuditRecords(
      [{ messageId: 'm-1', body } as SQSRecord],
      s3AuditObjectPort(s3, bucket),
      silentLog,
    );
    expect(failed).toEqual([]);
    // Under its hour and both indexes, each the whole event.
    for (const key of [
      'events/2026/12/01/10/PING/e-1.json',
      'by-nonce/n-1/20261201T100000Z/PING/e-1.json',
      `by-account/222222222222/${9_999_999_999_999 - Date.parse('2026-12-01T10:00:00Z')}/PING/-/n-1/e-1.json`,
    ]) {
      const stored = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(await stored.Body?.transformToString(), key).toBe(body);
    }
  });
});
