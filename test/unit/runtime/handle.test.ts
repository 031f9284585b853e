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
import { NOTIFICATION_SCHEMAS, REQUESTS, type RequestType } from '../../../src/protocol/catalog.js';
import { ACCOUNT_KINDS } from '../../../src/protocol/routing.js';
import { ENVELOPE_INPUT_TRANSFORMER } from '../../../src/protocol/topology.js';
import type { FailureRecord } from '../../../src/runtime/failures.js';
import { handleSqsBatch, type RuntimeDeps } from '../../../src/runtime/handle.js';
import { sqsRecord } from '../../support/lambda-records.js';

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
  const r = sqsRecord({
    messageId: `m${seq}`,
    receiptHandle: `r${seq}`,
    body: b,
    eventSourceARN: 'arn:aws:sqs:us-east-1:333333333333:orgbridge-handler',
  });
  return { ...r, attributes: { ...r.attributes, ApproximateReceiveCount: String(receiveCount) } };
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

describe('REQUEST_OUTCOME notifications', () => {
  /** Deps whose PutEvents records each call; `refuseOutcomes` makes calls with outcomes throw. */
  function observed(handlers: HandlerRegistry, refuseOutcomes = false) {
    const calls: PutEventsRequestEntry[][] = [];
    const base = deps(handlers).d;
    const d: RuntimeDeps = {
      ...base,
      outcomeBus: 'main-bus',
      events: new EventSender(
        {
          async putEvents(entries) {
            calls.push(entries);
            if (refuseOutcomes && entries.some((e) => e.DetailType === 'REQUEST_OUTCOME')) {
              throw new Error('AccessDeniedException: not authorized to PutEvents');
            }
            return { failedEntryCount: 0, entries: entries.map(() => ({ EventId: 'x' })) };
          },
        },
        { sleep: async () => {} },
      ),
    };
    const outcomes = () =>
      calls
        .flat()
        .filter((e) => e.DetailType === 'REQUEST_OUTCOME')
        .map((e) => ({
          bus: e.EventBusName,
          detail: JSON.parse(e.Detail ?? '{}') as Record<string, unknown>,
        }));
    const outcomeCalls = () => calls.filter((c) => c.some((e) => e.DetailType === 'REQUEST_OUTCOME'));
    return { d, calls, outcomes, outcomeCalls };
  }
  const flaky: HandlerRegistry = {
    PING: {
      async handle(detail, ctx) {
        if (detail.message === 'fail') throw new Error('boom');
        return pingHandler.handle(detail, ctx);
      },
    },
  };
  const nonce = (n: number) => `${String(n).padStart(8, '0')}-1111-4111-8111-111111111111`;

  it('publishes one valid outcome per record, in one PutEvents on the outcome bus', async () => {
    const o = observed(flaky);
    const batch = [
      record(body('PING', ping({ nonce: nonce(1) }))),
      record(body('PING', ping({ nonce: nonce(1) }))),
      record(body('PING', ping({ nonce: nonce(2), evil: true }))),
      record(body('PING', ping({ nonce: nonce(3), message: 'fail' })), 1),
      record(body('PING', ping({ nonce: nonce(4), message: 'fail' })), 3),
      record('{not json'),
    ];
    const out = await handleSqsBatch(batch, {
      ...o.d,
      idempotency: new RacyIdempotencyStore(),
      remainingTimeMs: () => 30_000,
    });
    expect(out.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([
      batch[3]?.messageId,
      batch[4]?.messageId,
    ]);
    expect(o.outcomeCalls()).toHaveLength(1);
    const published = o.outcomes();
    expect(published.every((p) => p.bus === 'main-bus')).toBe(true);
    for (const p of published) {
      const parsed = NOTIFICATION_SCHEMAS.REQUEST_OUTCOME.safeParse(p.detail);
      expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
    }
    expect(published.map((p) => p.detail)).toMatchObject([
      {
        nonce: nonce(1),
        outcome: 'handled',
        request_type: 'PING',
        sender: CICD,
        target_account: ME,
        replied: true,
        attempt: 1,
      },
      { nonce: nonce(1), outcome: 'duplicate', replied: true },
      { nonce: nonce(2), outcome: 'rejected', code: 'DETAIL_INVALID', replied: true },
      { nonce: nonce(3), outcome: 'retrying', code: 'HANDLER_FAILED', message: 'Error: boom', attempt: 1 },
      { nonce: nonce(4), outcome: 'failed', code: 'HANDLER_FAILED', attempt: 3 },
      { outcome: 'rejected', code: 'ENVELOPE_INVALID', target_account: ME, message_id: batch[5]?.messageId },
    ]);
    expect(published[5]?.detail).not.toHaveProperty('nonce');
    for (const p of published) expect(p.detail.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('cuts a batch of more than 10 outcomes into PutEvents calls of at most 10 entries', async () => {
    const o = observed({ PING: pingHandler });
    const batch = Array.from({ length: 12 }, (_, i) => record(body('PING', ping({ nonce: nonce(100 + i) }))));
    await handleSqsBatch(batch, o.d);
    expect(o.outcomeCalls().map((c) => c.length)).toEqual([10, 2]);
  });

  it('a failed PutEvents of the outcomes neither fails nor retries the batch', async () => {
    const batch = () => [
      record(body('PING', ping({ nonce: nonce(7) }))),
      record(body('PING', ping({ nonce: nonce(8), message: 'fail' }))),
      record(body('PING', ping({ nonce: nonce(9), extra: 1 }))),
    ];
    const errors: string[] = [];
    const refused = observed(flaky, true);
    const withFailure = await handleSqsBatch(batch(), {
      ...refused.d,
      log: { ...silentLog, error: (message) => errors.push(message) },
    });
    const without = await handleSqsBatch(batch(), { ...deps(flaky).d });
    const shape = (r: typeof without) => ({
      failures: r.batchItemFailures.length,
      outcomes: r.outcomes.map((x) => x.status),
    });
    expect(shape(withFailure)).toEqual(shape(without));
    expect(shape(withFailure)).toEqual({ failures: 1, outcomes: ['handled', 'failed', 'rejected'] });
    expect(refused.outcomeCalls()).toHaveLength(1);
    expect(errors).toContain('could not publish the request outcomes');
    // The answers went out all the same.
    expect(refused.calls.flat().map((e) => e.DetailType)).toEqual(
      expect.arrayContaining(['PONG', 'REQUEST_FAILED']),
    );
  });
});

/**
 * What a compromised account can send is bounded by the catalog: a request only the cicd account
 * may send is refused, before its handler runs, whichever other account of the organization sends
 * it (through its own bus or straight onto the receiver's, the record is the same). Checked for
 * every such request type and every kind that handles it, so a new type is covered when it is
 * added to the catalog.
 */
describe('senders the catalog does not allow', () => {
  const cicdOnly = (Object.entries(REQUESTS) as [RequestType, (typeof REQUESTS)[RequestType]][]).filter(
    ([, descriptor]) => descriptor.senders === 'cicd',
  );
  const cases = cicdOnly.flatMap(([type, descriptor]) =>
    (descriptor.handledBy === 'every' ? ACCOUNT_KINDS : descriptor.handledBy).map(
      (kind) => [type, kind] as const,
    ),
  );

  it('covers the request types only cicd sends', () => {
    expect(cicdOnly.map(([type]) => type)).toEqual(
      expect.arrayContaining(['CREATE_ACCOUNT', 'RELEASE_ACCOUNT_DNS']),
    );
  });

  it.each(
    cases,
  )('%s to a %s account from any account but cicd: SENDER_NOT_ALLOWED, handler not run', async (type, kind) => {
    const senders = ACCOUNT_KINDS.filter((k) => k !== 'cicd').map(
      (k, i) => [String(500_000_000_000 + i), k] as const,
    );
    const kindOf = new Map<string, AccountKind>([[CICD, 'cicd'], ...senders]);
    let ran = 0;
    const { d, replies } = deps();
    const receiver: RuntimeDeps = {
      ...d,
      account: { id: ME, kind },
      senderKind: (id) => kindOf.get(id),
      handlers: {
        [type]: {
          async handle() {
            ran++;
            return {};
          },
        },
      } as HandlerRegistry,
    };
    const records = senders.map(([id]) => record(body(type, ping(), id)));
    const out = await handleSqsBatch(records, receiver);
    expect(out.outcomes).toEqual(
      senders.map(([id]) =>
        expect.objectContaining({ sender: id, status: 'rejected', code: 'SENDER_NOT_ALLOWED' }),
      ),
    );
    expect(out.batchItemFailures).toEqual([]);
    expect(ran).toBe(0);
    expect(replies()).toEqual([]);
  });
});
