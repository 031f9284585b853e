import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, type IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.js';
import { silentLog } from '../../../src/bus/log.js';
import { EventSender } from '../../../src/bus/sender.js';
import type { AccountKind } from '../../../src/config/model.js';
import { pingHandler } from '../../../src/handlers/ping.js';
import { type HandlerRegistry, RequestRejected } from '../../../src/handlers/types.js';
import { ENVELOPE_INPUT_TRANSFORMER } from '../../../src/protocol/topology.js';
import type { FailureRecord } from '../../../src/runtime/failures.js';
import { handleSqsBatch, type RuntimeDeps } from '../../../src/runtime/handle.js';

const CICD = '222222222222';
const ME = '333333333333';
const OTHER = '444444444444';
const NONCE = '687754b2-abd6-4ae6-ae2d-f98bd134512e';
const kinds: Record<string, AccountKind> = { [CICD]: 'cicd', [ME]: 'member', [OTHER]: 'member' };

/** The body the topology's InputTransformer writes, filled like EventBridge does. */
function body(type: string, detail: Record<string, unknown>, account = CICD, source = 'app.infra'): string {
  const values: Record<string, string> = {
    id: 'e1',
    account,
    source,
    'detail-type': type,
    time: 't',
    region: 'us-east-1',
  };
  return ENVELOPE_INPUT_TRANSFORMER.inputTemplate
    .replace('<detail>', JSON.stringify(detail))
    .replace(/<([\w-]+)>/g, (_, k: string) => values[k] ?? '');
}
let seq = 0;
function record(b: string, receiveCount = 1): SQSRecord {
  seq++;
  return {
    messageId: `m${seq}`,
    receiptHandle: `r${seq}`,
    body: b,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:333333333333:orgbridge-handler',
    awsRegion: 'us-east-1',
  };
}
const ping = (extra: Record<string, unknown> = {}) => ({
  nonce: NONCE,
  dryrun: false,
  target_account: ME,
  reply_to: CICD,
  ...extra,
});

function deps(handlers: HandlerRegistry = { PING: pingHandler }) {
  const sent: PutEventsRequestEntry[] = [];
  const d: RuntimeDeps = {
    account: { id: ME, kind: 'member' },
    source: 'app.infra',
    publishBus: 'bus',
    senderKind: (id) => kinds[id],
    handlers,
    clients: {} as AwsClients,
    events: new EventSender({
      async putEvents(entries) {
        sent.push(...entries);
        return { failedEntryCount: 0, entries: entries.map(() => ({ EventId: 'x' })) };
      },
    }),
    log: silentLog,
    maxReceiveCount: 3,
  };
  const replies = () => sent.map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail ?? '{}') }));
  return { d, replies };
}

/**
 * Idempotency records in memory whose conditional put reads, yields, then writes: two puts of
 * one key at once can both win, as with moto's DynamoDB (not atomic under concurrent requests).
 */
class RacyIdempotencyStore extends BasePersistenceLayer {
  readonly records = new Map<string, IdempotencyRecord>();
  protected async _getRecord(key: string): Promise<IdempotencyRecord> {
    const found = this.records.get(key);
    if (!found) throw new IdempotencyItemNotFoundError(key);
    return found;
  }
  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const existing = this.records.get(record.idempotencyKey);
    await new Promise((r) => setTimeout(r, 5));
    if (existing) throw new IdempotencyItemAlreadyExistsError(record.idempotencyKey, existing);
    this.records.set(record.idempotencyKey, record);
  }
  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    this.records.set(record.idempotencyKey, record);
  }
  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.records.delete(record.idempotencyKey);
  }
}

describe('handleSqsBatch', () => {
  it('runs an accepted PING and answers PONG to reply_to with the nonce', async () => {
    const { d, replies } = deps();
    const out = await handleSqsBatch([record(body('PING', ping({ message: 'hi' })))], d);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.outcomes[0]).toMatchObject({ status: 'handled', type: 'PING', sender: CICD, replied: true });
    expect(replies()).toEqual([
      {
        type: 'PONG',
        detail: {
          responder_kind: 'member',
          message: 'hi',
          nonce: NONCE,
          dryrun: false,
          target_account: CICD,
        },
      },
    ]);
  });

  it.each([
    ['not JSON', record('{nope'), 'ENVELOPE_INVALID'],
    ['another source', record(body('PING', ping(), CICD, 'evil')), 'SOURCE_UNKNOWN'],
    ['an unknown type', record(body('FORMAT_DISKS', ping())), 'TYPE_UNKNOWN'],
    ['a type members do not handle', record(body('CREATE_ACCOUNT', ping())), 'TYPE_NOT_HANDLED'],
    ['a sender outside the organization', record(body('PING', ping(), '999999999999')), 'SENDER_UNKNOWN'],
    ['a member sender', record(body('PING', ping(), OTHER)), 'SENDER_NOT_ALLOWED'],
    ['another target', record(body('PING', ping({ target_account: OTHER }))), 'WRONG_TARGET'],
    ['an unknown field', record(body('PING', ping({ rm: '-rf' }))), 'DETAIL_INVALID'],
    ['an oversized field', record(body('PING', ping({ message: 'x'.repeat(257) }))), 'DETAIL_INVALID'],
    ['a bad nonce', record(body('PING', ping({ nonce: 'abc' }))), 'DETAIL_INVALID'],
  ])('refuses %s, acknowledged and never run', async (_name, rec, code) => {
    let ran = false;
    const { d } = deps({
      PING: {
        async handle(detail, ctx) {
          ran = true;
          return pingHandler.handle(detail, ctx);
        },
      },
    });
    const out = await handleSqsBatch([rec], d);
    expect(out.outcomes[0]).toMatchObject({ status: 'rejected', code });
    expect(out.batchItemFailures).toEqual([]);
    expect(ran).toBe(false);
  });

  it('answers REQUEST_FAILED to an allowed sender, and nothing to a disallowed one', async () => {
    const { d, replies } = deps();
    await handleSqsBatch([record(body('PING', ping({ extra: 1 })))], d);
    expect(replies()).toMatchObject([
      { type: 'REQUEST_FAILED', detail: { code: 'DETAIL_INVALID', nonce: NONCE } },
    ]);
    const other = deps();
    await handleSqsBatch([record(body('PING', ping(), OTHER))], other.d);
    expect(other.replies()).toEqual([]);
  });

  it('reports a throwing handler as a batch item failure, and answers REQUEST_FAILED on the last attempt', async () => {
    const failing: HandlerRegistry = {
      PING: {
        async handle() {
          throw new Error('boom');
        },
      },
    };
    const first = deps(failing);
    const ok = record(body('PING', ping({ nonce: '11111111-1111-4111-8111-111111111111' })));
    const bad = record(body('PING', ping()), 1);
    const out = await handleSqsBatch([bad], first.d);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(first.replies()).toEqual([]);
    const last = deps(failing);
    const final = await handleSqsBatch([record(body('PING', ping()), 3)], last.d);
    expect(final.outcomes[0]).toMatchObject({ status: 'failed', final: true });
    expect(last.replies()).toMatchObject([{ type: 'REQUEST_FAILED', detail: { code: 'HANDLER_FAILED' } }]);
    // Partial batch: the good record is not reported.
    const mixed = deps({ PING: pingHandler });
    const res = await handleSqsBatch([ok, record('{')], mixed.d);
    expect(res.batchItemFailures).toEqual([]);
  });

  it('records each failed attempt for dlq show; a failure store that fails does not change the outcome', async () => {
    const failing: HandlerRegistry = {
      PING: {
        async handle() {
          throw new Error('boom');
        },
      },
    };
    const recorded: FailureRecord[] = [];
    const { d } = deps(failing);
    const nonce = '22222222-2222-4222-8222-222222222222';
    const out = await handleSqsBatch([record(body('PING', ping({ nonce })), 2)], {
      ...d,
      failures: {
        async record(failure) {
          recorded.push(failure);
        },
        lastFailure: async () => undefined,
      },
    });
    expect(out.outcomes[0]).toMatchObject({ status: 'failed' });
    expect(recorded).toEqual([
      {
        type: 'PING',
        nonce,
        error: 'Error: boom',
        attempt: 2,
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    // Handled requests leave no failure record.
    await handleSqsBatch([record(body('PING', ping()), 1)], {
      ...deps().d,
      failures: { record: async (f) => void recorded.push(f), lastFailure: async () => undefined },
    });
    expect(recorded).toHaveLength(1);
    const broken = await handleSqsBatch([record(body('PING', ping({ nonce })), 1)], {
      ...d,
      failures: {
        record: async () => {
          throw new Error('table gone');
        },
        lastFailure: async () => undefined,
      },
    });
    expect(broken.outcomes[0]).toMatchObject({ status: 'failed', error: 'Error: boom' });
    expect(broken.batchItemFailures).toHaveLength(1);
  });

  it('runs a request delivered twice in one batch once, and answers the copy from the stored answer', async () => {
    let runs = 0;
    const { d, replies } = deps({
      PING: {
        async handle(detail, ctx) {
          runs++;
          await new Promise((r) => setTimeout(r, 10));
          return pingHandler.handle(detail, ctx);
        },
      },
    });
    const other = { ...ping(), nonce: 'a2c4e8f0-1b3d-4f5a-8c7e-9d0b1a2c3e4f' };
    const batch = [record(body('PING', ping())), record(body('PING', other)), record(body('PING', ping()))];
    const out = await handleSqsBatch(batch, {
      ...d,
      idempotency: new RacyIdempotencyStore(),
      remainingTimeMs: () => 30_000,
    });
    expect(runs).toBe(2);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.outcomes.map((o) => (o.status === 'handled' ? o.duplicate : o.status))).toEqual([
      false,
      false,
      true,
    ]);
    const pongs = replies().filter((r) => r.detail.nonce === NONCE);
    expect(pongs).toHaveLength(2);
    expect(pongs[1]).toEqual(pongs[0]);
  });

  it('turns RequestRejected into REQUEST_FAILED with its code, without retry', async () => {
    const { d, replies } = deps({
      PING: {
        async handle() {
          throw new RequestRejected('DNS_RECORD_NOT_ALLOWED', 'api.b-domain is not yours');
        },
      },
    });
    const out = await handleSqsBatch([record(body('PING', ping()))], d);
    expect(out.batchItemFailures).toEqual([]);
    expect(out.outcomes[0]).toMatchObject({
      status: 'rejected',
      code: 'DNS_RECORD_NOT_ALLOWED',
      replied: true,
    });
    expect(replies()[0]).toMatchObject({
      type: 'REQUEST_FAILED',
      detail: { code: 'DNS_RECORD_NOT_ALLOWED' },
    });
  });
});
