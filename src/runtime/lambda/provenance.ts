import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import type { Client } from '../../aws/clients.js';
import type { MessagingLog } from '../../bus/log.js';
import { inFlightMessages, queueUrlOf } from '../../bus/queue.js';

/**
 * Only records that are messages of the function's own queues are handled.
 *
 * The queue policies let nothing but the account's EventBridge rules send to a handler queue, and
 * nothing but the handler's role receive from it (src/protocol/topology.ts). The function itself
 * is another door: any principal of the account allowed `lambda:InvokeFunction` (the baseline's
 * PowerUser and developer roles are) can invoke it with a made-up SQS event, whose records claim
 * any sender; a function's resource policy only grants, it cannot deny a principal of its own
 * account (https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html).
 * SQS tells the two apart: a receipt handle it gave out for a message still in flight is
 * accepted by ChangeMessageVisibility on that queue, and one made up is not. Only this
 * function's role can receive from its queues, so no one else holds a real handle to pair with a
 * made-up body.
 *
 * The queue is the one the record names only if it is one of this function's queues in its own
 * account and region (`ORGBRIDGE_CONSUMED_QUEUES`): a queue of the caller's making would accept
 * the handles it gave out. Each message's visibility is set to its queue's own timeout again,
 * which moves its redelivery later by the moments since it was received.
 */
export interface OwnQueues {
  readonly accountId: string;
  readonly region: string;
  /** Queue name -> its visibility timeout in seconds. */
  readonly visibility: ReadonlyMap<string, number>;
}

export async function recordsOfOwnQueues(
  records: readonly SQSRecord[],
  own: OwnQueues,
  sqs: Client<SQSClient>,
  urls: Map<string, Promise<string>>,
  log: MessagingLog,
): Promise<SQSRecord[]> {
  const byQueue = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const list = byQueue.get(record.eventSourceARN) ?? [];
    list.push(record);
    byQueue.set(record.eventSourceARN, list);
  }
  const held = new Set<SQSRecord>();
  for (const [arn, list] of byQueue) {
    const [, , service, region, account, name = ''] = arn.split(':');
    const seconds = own.visibility.get(name);
    if (service !== 'sqs' || region !== own.region || account !== own.accountId || seconds === undefined) {
      log.error('records refused: not from a queue of this function', {
        eventSourceARN: arn,
        records: list.length,
      });
      continue;
    }
    let url = urls.get(name);
    if (!url) {
      url = queueUrlOf(sqs, name);
      url.catch(() => urls.delete(name));
      urls.set(name, url);
    }
    const inFlight = await inFlightMessages(
      sqs,
      await url,
      list.map((r) => r.receiptHandle),
      seconds,
    );
    list.forEach((record, i) => {
      if (inFlight[i]) held.add(record);
      else
        log.error('record refused: its receipt handle is no message of the queue in flight', {
          eventSourceARN: arn,
          messageId: record.messageId,
        });
    });
  }
  return records.filter((r) => held.has(r));
}

/** ORGBRIDGE_CONSUMED_QUEUES: JSON {queue name: visibility timeout in seconds}; undefined if invalid. */
export function parseConsumedQueues(text: string | undefined): ReadonlyMap<string, number> | undefined {
  if (!text) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (!entries.length || entries.some(([, v]) => !Number.isInteger(v) || (v as number) <= 0))
      return undefined;
    return new Map(entries as [string, number][]);
  } catch {
    return undefined;
  }
}
