import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Client } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import { AwsOperationError } from '../errors.js';
import { DLQ_RETENTION_SECONDS } from '../protocol/topology.js';

/**
 * The last error a handler raised for a request, kept where `orgbridge dlq show` can read it.
 *
 * It cannot travel with the message: SQS moves a message to its dead-letter queue as it is, and
 * a redrive moves it back as it is, so neither a message attribute nor the body can be changed
 * on the way ("Amazon SQS dead-letter queues",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 * It is an item of the account's idempotency table instead, keyed by the request (detail-type and
 * nonce) under a prefix of its own (`failure#`), beside Powertools' records (`orgbridge#<hash>`),
 * which it can never collide with. The handler role already writes that table; the item expires
 * (the table's TTL attribute `expiration`) with the DLQ's retention, when the message is gone too.
 */
export interface FailureRecord {
  readonly type: string;
  readonly nonce: string;
  /** `Name: message` of the last error. */
  readonly error: string;
  /** SQS's receive count at that attempt. */
  readonly attempt: number;
  /** ISO time of the failure. */
  readonly at: string;
}

export interface FailureStore {
  record(failure: FailureRecord): Promise<void>;
  lastFailure(type: string, nonce: string): Promise<FailureRecord | undefined>;
}

export function failureKey(type: string, nonce: string): string {
  return `failure#${type}#${nonce}`;
}

/** The failure store on an account's `orgbridge-idempotency` table (partition key `id`). */
export function dynamoFailureStore(client: Client<DynamoDBClient>, tableName: string): FailureStore {
  return {
    async record(failure) {
      const expiration = Math.floor(Date.parse(failure.at) / 1000) + DLQ_RETENTION_SECONDS;
      try {
        const { PutItemCommand } = await sdk.dynamoDb();
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              id: { S: failureKey(failure.type, failure.nonce) },
              error: { S: failure.error.slice(0, 4096) },
              attempt: { N: String(failure.attempt) },
              at: { S: failure.at },
              expiration: { N: String(expiration) },
            },
          }),
        );
      } catch (e) {
        throw new AwsOperationError(
          `recording the failure of ${failure.type} ${failure.nonce} in ${tableName}`,
          e,
        );
      }
    },
    async lastFailure(type, nonce) {
      try {
        const { GetItemCommand } = await sdk.dynamoDb();
        const out = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { id: { S: failureKey(type, nonce) } },
            ConsistentRead: true,
          }),
        );
        const item = out.Item;
        if (!item) return undefined;
        return {
          type,
          nonce,
          error: item.error?.S ?? '',
          attempt: Number(item.attempt?.N ?? '0'),
          at: item.at?.S ?? '',
        };
      } catch (e) {
        throw new AwsOperationError(`reading the failure of ${type} ${nonce} from ${tableName}`, e);
      }
    },
  };
}
