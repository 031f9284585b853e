import {
  IdempotencyRecordStatus,
  PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { MessagingLog } from '../bus/log.js';
import type { QueuePort } from '../bus/queue.js';

/**
 * The local poller's stand-in for the Lambda deadline: a lease on the messages of a batch.
 *
 * In AWS the event source mapping's visibility timeout is 6x the function timeout and Lambda
 * kills an invocation at its timeout, so a message cannot reappear while its handler still
 * runs, and the idempotency record's in-progress expiry (the invocation's deadline) outlives
 * the execution. An in-process poller has no such deadline: a handler slowed by load or
 * throttling backoff can run past the visibility timeout, SQS then hands the message to any
 * other consumer of the queue, the in-progress record has expired, and the handler runs twice
 * at once. The lease closes that gap the way a long-running SQS consumer does: while a batch
 * is in flight a heartbeat moves the messages' visibility and the in-progress expiry of the
 * idempotency records they wrote to `now + visibility`, every third of the visibility timeout.
 * If the process dies the heartbeat dies with it: the messages reappear, and the records
 * expire, one visibility timeout after the last beat, so the retry is not blocked longer.
 * A handler that never returns does not hold its messages forever: the lease is not extended
 * past `maxLeaseSeconds` after the receive (the function timeout Lambda enforces for that kind
 * of account); then the poller stops waiting for it, as Lambda would kill it, and SQS
 * redelivers or dead-letters the messages. The handler itself cannot be stopped in-process:
 * if it ever returns, its result is logged and dropped.
 */

/** Powertools' attribute names: the store is built without overrides. */
const STATUS_ATTRIBUTE = PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS.statusAttr;
const IN_PROGRESS_EXPIRY_ATTRIBUTE = PERSISTENCE_ATTRIBUTE_KEY_MAPPINGS.inProgressExpiryAttr;
const IN_PROGRESS = IdempotencyRecordStatus.INPROGRESS;

/**
 * Powertools' DynamoDB persistence layer that remembers the in-progress records it wrote and
 * can move their expiry forward. One instance per batch, so it holds exactly that batch's
 * records; a record leaves it when Powertools completes or deletes it.
 */
export class LeasedIdempotencyStore extends DynamoDBPersistenceLayer {
  /** Idempotency key -> the in-progress expiry (epoch ms) this store last wrote for it. */
  readonly #held = new Map<string, number>();
  readonly #tableName: string;
  readonly #dynamoDb: DynamoDBClient;

  /** `dynamoDb` is an SDK client, built (Powertools uses more of it than `send`). */
  constructor(options: { tableName: string; dynamoDb: DynamoDBClient }) {
    super({ tableName: options.tableName, awsSdkV3Client: options.dynamoDb });
    this.#tableName = options.tableName;
    this.#dynamoDb = options.dynamoDb;
  }

  /** In-progress records of this batch not completed or deleted yet. */
  get held(): number {
    return this.#held.size;
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    await super._putRecord(record);
    if (record.inProgressExpiryTimestamp !== undefined)
      this.#held.set(record.idempotencyKey, record.inProgressExpiryTimestamp);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    // Forgotten first: a renewal racing the completion must not count on this record any more.
    this.#held.delete(record.idempotencyKey);
    await super._updateRecord(record);
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#held.delete(record.idempotencyKey);
    await super._deleteRecord(record);
  }

  /**
   * Moves the in-progress expiry of every held record to `untilMs`. The write is conditional on
   * the record still being in progress with the expiry this store wrote: a record completed in
   * the meantime, or taken over by another consumer after it expired, is left alone and
   * forgotten (returned in `lost`).
   */
  async extendInProgress(untilMs: number): Promise<{ extended: number; lost: string[] }> {
    const lost: string[] = [];
    let extended = 0;
    await Promise.all(
      [...this.#held].map(async ([key, previous]) => {
        try {
          await this.#dynamoDb.send(
            new UpdateItemCommand({
              TableName: this.#tableName,
              Key: this.getKey(key),
              UpdateExpression: 'SET #expiry = :until',
              ConditionExpression: '#status = :inprogress AND #expiry = :previous',
              ExpressionAttributeNames: {
                '#expiry': IN_PROGRESS_EXPIRY_ATTRIBUTE,
                '#status': STATUS_ATTRIBUTE,
              },
              ExpressionAttributeValues: {
                ':until': { N: String(untilMs) },
                ':previous': { N: String(previous) },
                ':inprogress': { S: IN_PROGRESS },
              },
            }),
          );
          if (this.#held.has(key)) this.#held.set(key, untilMs);
          extended++;
        } catch (e) {
          if (!(e instanceof ConditionalCheckFailedException)) throw e;
          this.#held.delete(key);
          lost.push(key);
        }
      }),
    );
    return { extended, lost };
  }
}

export interface MessageLeaseOptions {
  /** The queue the messages came from. */
  readonly queue: Pick<QueuePort, 'changeVisibility'>;
  readonly receiptHandles: readonly string[];
  /** The queue's visibility timeout: each beat extends the lease by this much. */
  readonly visibilitySeconds: number;
  /** No extension past this many seconds after the receive (Lambda: the function timeout). */
  readonly maxLeaseSeconds: number;
  /** Idempotency records written by the batch; their in-progress expiry follows the lease. */
  readonly store?: Pick<LeasedIdempotencyStore, 'extendInProgress'>;
  readonly log: MessagingLog;
  /** Added to every log line (account, queue). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** When the messages were received (default now). */
  readonly receivedAt?: number;
  /** Milliseconds between beats (default a third of the visibility timeout). */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export interface MessageLease {
  /** When the messages reappear unless extended (epoch ms): the in-progress records' expiry. */
  deadline(): number;
  /** Successful extensions so far. */
  readonly beats: number;
  /**
   * Resolves at the limit (`maxLeaseSeconds` after the receive) if not released before: the
   * poller stops waiting for the batch, and SQS redelivers its messages once their visibility,
   * no longer extended, runs out.
   */
  readonly expired: Promise<void>;
  /** Stops the heartbeat and waits for a beat in flight (call before deleting the messages). */
  release(): Promise<void>;
}

/** Starts the heartbeat of one batch's messages (see the module comment). */
export function leaseMessages(options: MessageLeaseOptions): MessageLease {
  const now = options.now ?? Date.now;
  const visibilityMs = options.visibilitySeconds * 1000;
  const start = options.receivedAt ?? now();
  // Lambda's kill time: the poller stops waiting for the batch then.
  const limit = start + options.maxLeaseSeconds * 1000;
  // Extensions go up to the limit; a visibility already beyond it is never shortened.
  const extendUntil = Math.max(limit, start + visibilityMs);
  const intervalMs = options.intervalMs ?? Math.max(100, Math.floor(visibilityMs / 3));
  let deadline = start + visibilityMs;
  let beats = 0;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let expire: () => void = () => {};
  const expired = new Promise<void>((resolve) => {
    expire = resolve;
  });
  const limitTimer = setTimeout(
    () => {
      options.log.error('message lease limit reached: no longer waiting for the batch; SQS will redeliver', {
        ...options.context,
        messages: options.receiptHandles.length,
        maxLeaseSeconds: options.maxLeaseSeconds,
        visibleAgainInMs: Math.max(0, deadline - now()),
      });
      released = true;
      if (timer) clearTimeout(timer);
      expire();
    },
    Math.max(0, limit - start),
  );

  const beat = async (): Promise<void> => {
    const at = now();
    const until = Math.min(at + visibilityMs, extendUntil);
    // Nothing left to extend: the visibility already reaches the limit.
    if (until <= deadline) return;
    try {
      // Whole seconds up: SQS's deadline is never earlier than the records' expiry.
      await options.queue.changeVisibility(options.receiptHandles, Math.ceil((until - at) / 1000));
      deadline = until;
      beats++;
      const renewed = await options.store?.extendInProgress(until);
      if (renewed?.lost.length) {
        options.log.warn('in-progress record no longer held: completed or taken over', {
          ...options.context,
          records: renewed.lost.length,
        });
      }
    } catch (e) {
      // The next beat tries again; two more are due before the messages reappear.
      options.log.warn('extending the message lease failed', { ...options.context, error: String(e) });
    }
    schedule();
  };
  const schedule = () => {
    if (released) return;
    timer = setTimeout(() => {
      inFlight = beat();
    }, intervalMs);
  };
  schedule();

  return {
    deadline: () => deadline,
    get beats() {
      return beats;
    },
    expired,
    async release() {
      released = true;
      clearTimeout(limitTimer);
      if (timer) clearTimeout(timer);
      await inFlight;
      if (timer) clearTimeout(timer);
    },
  };
}
