import type { Context, SQSRecord } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecordOutcome } from '../../../src/runtime/handle.js';
import { lambdaHandler } from '../../../src/runtime/lambda/entry.js';
import { lambdaRegistry } from '../../../src/runtime/lambda/registries.js';
import { outcomeMetrics } from '../../../src/runtime/metrics.js';
import { handlerEnvironment } from '../../support/lambda-records.js';

/** What a handler counts, and the embedded metric format lines its Lambda prints. */
const handled = (type: string, duplicate = false): RecordOutcome =>
  ({
    status: 'handled',
    messageId: 'm',
    type,
    nonce: 'n',
    sender: 's',
    duplicate,
    replied: true,
  }) as RecordOutcome;

describe('outcomeMetrics', () => {
  it('counts handled, duplicate, rejected by reason and failed, per detail-type', () => {
    const outcomes: RecordOutcome[] = [
      handled('PING'),
      handled('PING'),
      handled('PING', true),
      handled('CREATE_VPC'),
      {
        status: 'rejected',
        messageId: 'm',
        code: 'SENDER_NOT_ALLOWED',
        reason: 'x',
        type: 'PING',
        replied: false,
      },
      { status: 'rejected', messageId: 'm', code: 'ENVELOPE_INVALID', reason: 'not JSON', replied: false },
      { status: 'failed', messageId: 'm', type: 'CREATE_VPC', nonce: 'n', error: 'boom', final: false },
    ];
    expect(outcomeMetrics('member', outcomes)).toEqual([
      { name: 'Handled', dimensions: { AccountKind: 'member', DetailType: 'PING' }, count: 2 },
      { name: 'Duplicate', dimensions: { AccountKind: 'member', DetailType: 'PING' }, count: 1 },
      { name: 'Handled', dimensions: { AccountKind: 'member', DetailType: 'CREATE_VPC' }, count: 1 },
      {
        name: 'Rejected',
        dimensions: { AccountKind: 'member', DetailType: 'PING', Reason: 'SENDER_NOT_ALLOWED' },
        count: 1,
      },
      {
        name: 'Rejected',
        dimensions: { AccountKind: 'member', DetailType: 'unknown', Reason: 'ENVELOPE_INVALID' },
        count: 1,
      },
      { name: 'Failed', dimensions: { AccountKind: 'member', DetailType: 'CREATE_VPC' }, count: 1 },
    ]);
    expect(outcomeMetrics('member', [])).toEqual([]);
  });
});

describe('the Lambda handler', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints one EMF line per metric, in the orgbridge namespace, with the batch duration', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const env = handlerEnvironment();
    const handler = lambdaHandler('member', () => lambdaRegistry('member'), {
      env,
      // The record as it comes: proving it is a message of the queue is lambda-provenance.test.ts's.
      provenance: async (records) => [...records],
    });
    const record = {
      messageId: 'm-1',
      receiptHandle: 'r',
      // Another source: refused before any AWS call.
      body: JSON.stringify({
        id: 'e-1',
        account: '222222222222',
        source: 'evil.source',
        time: '2026-06-01T12:00:00Z',
        region: 'eu-west-1',
        'detail-type': 'PING',
        detail: {
          nonce: '687754b2-abd6-4ae6-ae2d-f98bd134512e',
          dryrun: false,
          target_account: '999999999999',
        },
      }),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
    } as unknown as SQSRecord;
    const context = {
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:999999999999:function:orgbridge-member-handler',
      getRemainingTimeInMillis: () => 60_000,
    } as Context;
    expect(await handler({ Records: [record] }, context)).toEqual({ batchItemFailures: [] });
    vi.restoreAllMocks();
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } });
    const rejected = emf.find((e) => 'Rejected' in e);
    expect(rejected).toMatchObject({
      Rejected: 1,
      AccountKind: 'member',
      DetailType: 'PING',
      Reason: 'SOURCE_UNKNOWN',
      service: 'orgbridge-member',
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'orgbridge',
            Dimensions: [expect.arrayContaining(['service', 'AccountKind', 'DetailType', 'Reason'])],
            Metrics: [{ Name: 'Rejected', Unit: 'Count' }],
          },
        ],
      },
    });
    const duration = emf.find((e) => 'BatchDuration' in e);
    expect(duration).toMatchObject({ AccountKind: 'member', service: 'orgbridge-member' });
    expect(typeof duration?.BatchDuration).toBe('number');
  });
});
