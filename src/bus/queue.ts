import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '../aws/clients.js';
import { sdk } from '../aws/sdk.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';

export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** How many times SQS has handed this message out, this time included. */
  readonly receiveCount: number;
  readonly sentTimestamp?: string;
}

/** The SQS calls a reply waiter or a local handler poller makes: a narrow port over one queue. */
export interface QueuePort {
  readonly queueUrl: string;
  receive(options: { max: number; waitSeconds: number; signal?: AbortSignal }): Promise<QueueMessage[]>;
  delete(receiptHandles: readonly string[]): Promise<void>;
  /** Sets the visibility timeout of received messages (0: visible to every poller at once). */
  changeVisibility(receiptHandles: readonly string[], seconds: number): Promise<void>;
}

/** SQS batch calls take at most 10 entries. */
function chunks<T>(items: readonly T[], size = 10): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function sqsQueuePort(client: Client<SQSClient>, queueUrl: string): QueuePort {
  return {
    queueUrl,
    async receive({ max, waitSeconds, signal }) {
      // One short-lived signal per call, linked to the caller's long-lived one: the SDK leaves
      // its abort listener on the signal it is given, so sharing one across every long poll
      // piles listeners up (MaxListenersExceededWarning) for the life of a poller.
      const call = new AbortController();
      const forward = () => call.abort();
      signal?.addEventListener('abort', forward, { once: true });
      if (signal?.aborted) call.abort();
      const { ReceiveMessageCommand } = await sdk.sqs();
      const out = await client
        .send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, max),
            WaitTimeSeconds: waitSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          }),
          signal ? { abortSignal: call.signal } : {},
        )
        .finally(() => signal?.removeEventListener('abort', forward));
      return (out.Messages ?? []).flatMap((m) =>
        m.MessageId && m.ReceiptHandle
          ? [
              {
                messageId: m.MessageId,
                receiptHandle: m.ReceiptHandle,
                body: m.Body ?? '',
                receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
                ...(m.Attributes?.SentTimestamp ? { sentTimestamp: m.Attributes.SentTimestamp } : {}),
              },
            ]
          : [],
      );
    },
    async delete(handles) {
      const { DeleteMessageBatchCommand } = await sdk.sqs();
      for (const batch of chunks(handles)) {
        const out = await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((h, i) => ({ Id: String(i), ReceiptHandle: h })),
          }),
        );
        if (out.Failed?.length) {
          throw new OrgbridgeError(
            'QUEUE_DELETE_FAILED',
            `deleting ${out.Failed.length} message(s) from ${queueUrl}: ${out.Failed.map((f) => f.Code).join(', ')}`,
            { source: 'aws' },
          );
        }
      }
    },
    async changeVisibility(handles, seconds) {
      // Per-entry failures (e.g. a receipt handle no longer valid) come back in a 200 answer.
      const failed = (await visibilityChanges(client, queueUrl, handles, seconds)).filter(
        (code) => code !== undefined,
      );
      if (failed.length) {
        throw new OrgbridgeError(
          'QUEUE_VISIBILITY_FAILED',
          `setting the visibility of ${failed.length} message(s) of ${queueUrl} to ${seconds} s: ${failed.join(', ')}`,
          { source: 'aws' },
        );
      }
    },
  };
}

/**
 * Which of `receiptHandles` belong to messages of `queueUrl` received and not yet deleted: each is
 * given `seconds` of visibility (ChangeMessageVisibilityBatch), which SQS refuses, entry by
 * entry, for a handle it did not give out for that queue or for a message no longer in flight
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html).
 * A failed call throws; a refused entry is `false`.
 */
export async function inFlightMessages(
  client: Client<SQSClient>,
  queueUrl: string,
  receiptHandles: readonly string[],
  seconds: number,
): Promise<boolean[]> {
  try {
    return (await visibilityChanges(client, queueUrl, receiptHandles, seconds)).map(
      (code) => code === undefined,
    );
  } catch (e) {
    throw new AwsOperationError(`checking ${receiptHandles.length} receipt handle(s) of ${queueUrl}`, e);
  }
}

/**
 * ChangeMessageVisibilityBatch over `receiptHandles`, 10 a call: for each handle, the error code
 * SQS answered for its entry, or undefined where it took the change. A failed call throws.
 */
async function visibilityChanges(
  client: Client<SQSClient>,
  queueUrl: string,
  receiptHandles: readonly string[],
  seconds: number,
): Promise<(string | undefined)[]> {
  const { ChangeMessageVisibilityBatchCommand } = await sdk.sqs();
  const codes: (string | undefined)[] = [];
  for (const batch of chunks(receiptHandles)) {
    const out = await client.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((h, i) => ({ Id: String(i), ReceiptHandle: h, VisibilityTimeout: seconds })),
      }),
    );
    const failed = new Map((out.Failed ?? []).map((f) => [f.Id, f.Code ?? 'Failed']));
    codes.push(...batch.map((_, i) => failed.get(String(i))));
  }
  return codes;
}

export async function queueUrlOf(
  client: Client<SQSClient>,
  queueName: string,
  accountId?: string,
): Promise<string> {
  try {
    const { GetQueueUrlCommand } = await sdk.sqs();
    const out = await client.send(
      new GetQueueUrlCommand({
        QueueName: queueName,
        ...(accountId ? { QueueOwnerAWSAccountId: accountId } : {}),
      }),
    );
    if (!out.QueueUrl) throw new Error('no QueueUrl in the answer');
    return out.QueueUrl;
  } catch (e) {
    throw new AwsOperationError(
      `finding queue ${queueName}${accountId ? ` in account ${accountId}` : ''}`,
      e,
    );
  }
}
