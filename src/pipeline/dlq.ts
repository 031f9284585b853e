import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import type { AwsClients, Client } from '../aws/clients.js';
import { queueUrlOf } from '../bus/queue.js';
import { AwsOperationError, OrgbridgeError } from '../errors.js';
import { dlqOperatorRedrives } from '../protocol/names.js';
import {
  type AccountTopology,
  type DeadLetterSpec,
  REPLY_QUEUE,
  type Topology,
} from '../protocol/topology.js';
import { dynamoFailureStore } from '../runtime/failures.js';

/**
 * `orgbridge dlq list | show | redrive`: the dead-letter queues of every account, read with each
 * account's clients. A DLQ is named `<account id>/<queue name>` (queue names repeat in every
 * account): the handler queue's and the reply queue's redrive DLQs, and `orgbridge-events-dlq`,
 * where EventBridge puts what a rule could not deliver.
 */
export interface DeadLetterDepth {
  readonly accountId: string;
  readonly kind: string;
  readonly name: string;
  readonly purpose: DeadLetterSpec['purpose'];
  /** The queue whose redrive DLQ this is (absent for the rule targets' DLQ). */
  readonly of?: string;
  /** ApproximateNumberOfMessages. */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible (someone is reading them, e.g. a `dlq show`). */
  readonly inFlight: number;
}

export type ClientsFor = (accountId: string) => AwsClients;

export async function listDeadLetters(
  topology: Topology,
  clientsFor: ClientsFor,
): Promise<DeadLetterDepth[]> {
  const rows = await Promise.all(
    topology.accounts.map(async (account) => {
      const sqs = clientsFor(account.accountId).sqs();
      return Promise.all(
        account.deadLetterQueues.map(async (dlq) => {
          const url = await queueUrlOf(sqs, dlq.name);
          const attributes = await queueAttributes(sqs, url, [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
          ]);
          return {
            accountId: account.accountId,
            kind: account.kind,
            name: dlq.name,
            purpose: dlq.purpose,
            ...(dlq.of ? { of: dlq.of } : {}),
            visible: Number(attributes.ApproximateNumberOfMessages ?? '0'),
            inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? '0'),
          };
        }),
      );
    }),
  );
  return rows.flat();
}

async function queueAttributes(
  sqs: Client<SQSClient>,
  url: string,
  names: ('ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible' | 'QueueArn')[],
): Promise<Record<string, string>> {
  try {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names }));
    return out.Attributes ?? {};
  } catch (e) {
    throw new AwsOperationError(`reading the attributes of ${url}`, e);
  }
}

/** Resolves `<account id>/<name>` (or the queue's ARN) against the topology. */
export function findDeadLetter(
  topology: Topology,
  ref: string,
): { account: AccountTopology; dlq: DeadLetterSpec } {
  const arn = /^arn:[\w-]+:sqs:[\w-]+:(\d{12}):(.+)$/.exec(ref);
  const [accountId, name] = arn ? [arn[1], arn[2]] : ref.split('/', 2);
  const account = topology.accounts.find((a) => a.accountId === accountId);
  const dlq = account?.deadLetterQueues.find((d) => d.name === name);
  if (!account || !dlq) {
    const known = topology.accounts.flatMap((a) => a.deadLetterQueues.map((d) => `${a.accountId}/${d.name}`));
    throw new OrgbridgeError('DLQ_UNKNOWN', `'${ref}' is not a dead-letter queue of orgbridge`, {
      hint: `name it <account id>/<queue>, as \`orgbridge dlq list\` prints it, e.g. ${known[0] ?? '-'}`,
    });
  }
  return { account, dlq };
}

export interface DeadLetterMessage {
  readonly messageId: string;
  readonly type?: string;
  readonly nonce?: string;
  readonly target?: string;
  readonly sender?: string;
  /** SQS's receive count, the receive of this `show` included. */
  readonly receiveCount: number;
  readonly sentAt?: string;
  /** The handler's last error (its failure record), or what EventBridge said (ERROR_CODE/ERROR_MESSAGE). */
  readonly lastError?: string;
  readonly lastErrorAt?: string;
}

/** How long `show` holds the messages it reads before handing them back (visibility 0). */
const PEEK_SECONDS = 30;

interface Peeked {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentTimestamp?: string;
  readonly attributes: Record<string, string>;
}

/**
 * Receives every message of a queue (up to `max`), hiding each while it reads on; `release`
 * makes them visible again at once. SQS has no peek: reading a message is receiving it.
 */
async function receiveAll(sqs: Client<SQSClient>, url: string, max: number): Promise<Peeked[]> {
  const out: Peeked[] = [];
  while (out.length < max) {
    let page: ReceiveMessageCommandOutput;
    try {
      page = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max - out.length),
          WaitTimeSeconds: 1,
          VisibilityTimeout: PEEK_SECONDS,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      );
    } catch (e) {
      throw new AwsOperationError(`receiving from ${url}`, e);
    }
    const messages = page.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) {
      if (!m.MessageId || !m.ReceiptHandle) continue;
      const attributes: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.MessageAttributes ?? {})) {
        if (v.StringValue !== undefined) attributes[k] = v.StringValue;
      }
      out.push({
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body ?? '',
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1'),
        ...(m.Attributes?.SentTimestamp ? { sentTimestamp: m.Attributes.SentTimestamp } : {}),
        attributes,
      });
    }
  }
  return out;
}

async function release(sqs: Client<SQSClient>, url: string, messages: readonly Peeked[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    try {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: batch.map((m, j) => ({
            Id: String(j),
            ReceiptHandle: m.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    } catch (e) {
      throw new AwsOperationError(`handing ${batch.length} message(s) of ${url} back`, e);
    }
  }
}

function describe(body: string): Pick<DeadLetterMessage, 'type' | 'nonce' | 'target' | 'sender'> {
  try {
    const parsed = JSON.parse(body) as {
      'detail-type'?: unknown;
      account?: unknown;
      detail?: { nonce?: unknown; target_account?: unknown };
    };
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const type = str(parsed['detail-type']);
    const nonce = str(parsed.detail?.nonce);
    const target = str(parsed.detail?.target_account);
    const sender = str(parsed.account);
    return {
      ...(type ? { type } : {}),
      ...(nonce ? { nonce } : {}),
      ...(target ? { target } : {}),
      ...(sender ? { sender } : {}),
    };
  } catch {
    return {};
  }
}

/**
 * The messages of one DLQ with what is known of each: from the body (type, nonce, target,
 * sender), from SQS (receive count), and the last error: the handler's failure record for a
 * handler queue's DLQ, the `ERROR_CODE`/`ERROR_MESSAGE` attributes EventBridge adds to what it
 * dead-letters ("Using dead-letter queues to process undelivered events",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
 */
export async function showDeadLetter(
  topology: Topology,
  clientsFor: ClientsFor,
  ref: string,
  options: { max?: number } = {},
): Promise<{ accountId: string; name: string; messages: DeadLetterMessage[] }> {
  const { account, dlq } = findDeadLetter(topology, ref);
  const clients = clientsFor(account.accountId);
  const sqs = clients.sqs();
  const url = await queueUrlOf(sqs, dlq.name);
  const peeked = await receiveAll(sqs, url, options.max ?? 100);
  try {
    const failures = dynamoFailureStore(clients.dynamoDb(), account.idempotencyTable);
    const handlerDlq =
      dlq.purpose === 'queue' && account.queues.some((q) => q.name === dlq.of && q.purpose === 'handler');
    const messages = await Promise.all(
      peeked.map(async (m): Promise<DeadLetterMessage> => {
        const described = describe(m.body);
        const sentAt = m.sentTimestamp ? new Date(Number(m.sentTimestamp)).toISOString() : undefined;
        let lastError: string | undefined;
        let lastErrorAt: string | undefined;
        if (m.attributes.ERROR_CODE || m.attributes.ERROR_MESSAGE) {
          lastError = [m.attributes.ERROR_CODE, m.attributes.ERROR_MESSAGE].filter(Boolean).join(': ');
        } else if (handlerDlq && described.type && described.nonce) {
          const failure = await failures.lastFailure(described.type, described.nonce);
          if (failure) {
            lastError = failure.error;
            lastErrorAt = failure.at;
          }
        }
        return {
          messageId: m.messageId,
          ...described,
          receiveCount: m.receiveCount,
          ...(sentAt ? { sentAt } : {}),
          ...(lastError ? { lastError } : {}),
          ...(lastErrorAt ? { lastErrorAt } : {}),
        };
      }),
    );
    return { accountId: account.accountId, name: dlq.name, messages };
  } finally {
    await release(sqs, url, peeked);
  }
}

export interface RedriveResult {
  readonly accountId: string;
  readonly name: string;
  readonly destination: string;
  /** Messages in the DLQ when the redrive started (or would start). */
  readonly messages: number;
  readonly executed: boolean;
  /** `move-task`: SQS moves them (StartMessageMoveTask); `one-by-one`: orgbridge did. */
  readonly how?: 'move-task' | 'one-by-one';
  readonly taskHandle?: string;
  readonly moved?: number;
}

/**
 * Whether the endpoint does not offer message move tasks: an unknown action, or the emulator's
 * answer to one (moto 5.2 has no StartMessageMoveTask and answers HTTP 500 from its
 * NotImplementedError). A 500 from AWS itself is an error, not a reason to move messages by hand.
 */
function moveTasksUnsupported(e: unknown, emulated: boolean): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    ['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException'].includes(err.name ?? '') ||
    err.$metadata?.httpStatusCode === 501 ||
    (emulated && err.$metadata?.httpStatusCode === 500)
  );
}

/**
 * Moves a handler or reply queue's DLQ back to its source queue. Dry run unless `execute`.
 *
 * AWS: `StartMessageMoveTask` with only the DLQ's ARN moves every message back to the queue it
 * came from, as an asynchronous task, which needs sqs:StartMessageMoveTask, ReceiveMessage,
 * DeleteMessage and GetQueueAttributes on the DLQ and SendMessage on the source queue
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
 * Where the endpoint does not offer it (moto), orgbridge moves them one by one: send a copy
 * to the source queue, then delete the original. A copy sent whose original could not be
 * deleted is a duplicate, which the handlers' idempotency answers without running it again.
 *
 * The rule targets' DLQ has no source queue (EventBridge wrote to it), so it cannot be redriven
 * this way: its events must be put on the bus again once the cause is fixed.
 */
export async function redriveDeadLetter(
  topology: Topology,
  clientsFor: ClientsFor,
  ref: string,
  options: { execute: boolean; operators?: readonly string[] },
): Promise<RedriveResult> {
  const { account, dlq } = findDeadLetter(topology, ref);
  const source = account.queues.find((q) => q.name === dlq.of);
  if (dlq.purpose !== 'queue' || !source) {
    throw new OrgbridgeError(
      'DLQ_NOT_REDRIVABLE',
      `${ref} holds events EventBridge could not deliver; it has no source queue`,
      {
        hint: '`orgbridge dlq show` it, fix the rule target, and put the events on the bus again',
      },
    );
  }
  // Answers nobody claimed: the pipeline that waited has gone, and the reply queue's policy lets
  // nothing but EventBridge's rules send there.
  if (source.name === REPLY_QUEUE) {
    throw new OrgbridgeError(
      'DLQ_NOT_REDRIVABLE',
      `${ref} holds answers no waiting pipeline claimed; nothing waits for them any more`,
      {
        hint: '`orgbridge dlq show` them (a flood names the account putting them), then let them expire or purge the queue; a pipeline run sends its requests anew',
      },
    );
  }
  // The queue policy would refuse the operator's sends (AccessDenied): said here instead.
  if (!dlqOperatorRedrives(account.kind, options.operators)) {
    throw new OrgbridgeError(
      'DLQ_REDRIVE_NEEDS_OPERATORS',
      `${ref}: redriving into the management account's handler queue needs organization.operators`,
      {
        hint: 'name the management-account roles that run `orgbridge dlq` in organization.operators and deploy (docs/operations.md); or `orgbridge dlq show` the requests and run the pipeline again, which sends them anew',
      },
    );
  }
  const clients = clientsFor(account.accountId);
  const sqs = clients.sqs();
  const url = await queueUrlOf(sqs, dlq.name);
  const attributes = await queueAttributes(sqs, url, ['ApproximateNumberOfMessages']);
  const messages = Number(attributes.ApproximateNumberOfMessages ?? '0');
  const base = { accountId: account.accountId, name: dlq.name, destination: source.name, messages };
  if (!options.execute || messages === 0) return { ...base, executed: false };
  try {
    const out = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    return {
      ...base,
      executed: true,
      how: 'move-task',
      ...(out.TaskHandle ? { taskHandle: out.TaskHandle } : {}),
    };
  } catch (e) {
    if (!moveTasksUnsupported(e, clients.context.endpoint !== undefined))
      throw new AwsOperationError(`starting a message move task from ${dlq.arn}`, e);
  }
  const moved = await moveOneByOne(sqs, url, await queueUrlOf(sqs, source.name));
  return { ...base, executed: true, how: 'one-by-one', moved };
}

async function moveOneByOne(sqs: Client<SQSClient>, from: string, to: string): Promise<number> {
  let moved = 0;
  for (;;) {
    const batch = await receiveAll(sqs, from, 10);
    if (batch.length === 0) return moved;
    for (const m of batch) {
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: to, MessageBody: m.body }));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: from, ReceiptHandle: m.receiptHandle }));
      } catch (e) {
        throw new AwsOperationError(
          `moving message ${m.messageId} from ${from} to ${to} (${moved} moved)`,
          e,
        );
      }
      moved++;
    }
  }
}
