import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { lambdaHandler } from '../../src/runtime/lambda/entry.js';
import { lambdaRegistry } from '../../src/runtime/lambda/registries.js';
import { handlerEnvironment, sqsRecord } from '../support/lambda-records.js';
import { useMoto } from '../support/moto.js';

/**
 * A handler function handles only messages of its own queues: an invocation by hand, with records
 * made up (a forged sender, a receipt handle SQS never gave out, a queue of the caller's making),
 * is refused before anything reads the records (src/runtime/lambda/provenance.ts).
 */
describe('Lambda handler: records must be messages of its own queues', () => {
  const moto = useMoto();
  const ACCOUNT = '123456789012';
  const REGION = 'us-east-1';
  const QUEUE = 'orgbridge-handler';
  const arn = (name: string, account = ACCOUNT, region = REGION) =>
    `arn:aws:sqs:${region}:${account}:${name}`;

  const record = (messageId: string, receiptHandle: string, eventSourceARN: string) =>
    sqsRecord({ messageId, receiptHandle, eventSourceARN });

  it('hands on the queue messages in flight and nothing else', async () => {
    // Powertools' logger reads its level from the process environment.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const sqs = moto().management.sqs(REGION);
    const queues: Record<string, string> = {};
    for (const name of [QUEUE, 'made-by-the-caller']) {
      queues[name] = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
      await sqs.send(new SendMessageCommand({ QueueUrl: queues[name], MessageBody: '{}' }));
    }
    const received = async (name: string) =>
      (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues[name], MaxNumberOfMessages: 1 })))
        .Messages?.[0]?.ReceiptHandle as string;
    const real = await received(QUEUE);
    const own = await received('made-by-the-caller');

    const seen: string[] = [];
    const handler = lambdaHandler('member', () => lambdaRegistry('member'), {
      env: handlerEnvironment({
        ORGBRIDGE_CONSUMED_QUEUES: JSON.stringify({ [QUEUE]: 5400 }),
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL: moto().server.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
      }),
      // What reaches the handlers: every record the proof lets through.
      other: {
        claims: () => true,
        handle: async (records) => {
          seen.push(...records.map((r) => r.messageId));
          return [];
        },
      },
    });
    const context = {
      invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orgbridge-member-handler`,
      getRemainingTimeInMillis: () => 60_000,
    } as Context;
    const out = await handler(
      {
        Records: [
          record('real', real, arn(QUEUE)),
          record('made-up-handle', `${real.slice(0, -4)}AAAA`, arn(QUEUE)),
          // A queue the caller made, with a handle it received there: not a queue of the function.
          record('callers-queue', own, arn('made-by-the-caller')),
          record('other-account', real, arn(QUEUE, '210987654321')),
          record('other-region', real, arn(QUEUE, ACCOUNT, 'eu-west-1')),
        ],
      },
      context,
    );
    expect(seen).toEqual(['real']);
    // Refused records are no messages: nothing to redeliver.
    expect(out).toEqual({ batchItemFailures: [] });
    vi.unstubAllEnvs();
  });
});
