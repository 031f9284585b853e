import { randomUUID } from 'node:crypto';
import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { queueUrlOf } from '../../src/bus/queue.js';
import { pingHandler } from '../../src/handlers/ping.js';
import type { HandlerRegistration } from '../../src/handlers/types.js';
import { listDeadLetters, redriveDeadLetter, showDeadLetter } from '../../src/pipeline/dlq.js';
import { ROLE_NAMES } from '../../src/protocol/names.js';
import {
  computeTopology,
  EVENT_TARGET_DLQ,
  HANDLER_QUEUE,
  type Topology,
} from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { waitFor } from '../support/wait.js';

/**
 * Dead-letter queues as a command, on the emulator: a handler made to fail dead-letters its
 * message, `dlq list` and `dlq show` report it with the handler's error, and once the cause is
 * fixed `dlq redrive --execute` gets it handled exactly once; a redriven request that had in
 * fact completed is answered from the idempotency record, not run again.
 */
const HANDLER_DLQ = `${HANDLER_QUEUE}-dlq`;

describe('orgbridge dlq list / show / redrive', () => {
  const moto = useMoto();
  let topology: Topology;
  let managementId: string;
  let member: string;
  let cicd: string;
  let pollers: LocalPollers | undefined;
  const outcomes: RecordOutcome[] = [];

  beforeAll(async () => {
    const { management } = moto();
    const created = await createOrganization(management);
    managementId = created.managementId;
    const ids: Record<string, string> = {};
    for (const name of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      const out = await management
        .organizations()
        .send(new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }));
      ids[name] = out.CreateAccountStatus?.AccountId as string;
    }
    member = ids.member as string;
    cicd = ids.cicd as string;
    topology = computeTopology({
      accounts: [
        { id: managementId, kind: 'management' },
        ...(['cicd', 'identity', 'dns', 'logs', 'audit', 'member'] as const).map((kind) => ({
          id: ids[kind] as string,
          kind,
        })),
      ],
      busName: 'dlq-bus',
      source: 'app.infra',
      region: 'us-east-1',
      maxReceiveCount: 2,
      visibilityTimeoutSeconds: 2,
    });
    await provisionTopology(topology, clientsFor, { organizationId: created.organizationId });
  });

  afterEach(async () => {
    await pollers?.stop();
    pollers = undefined;
  });

  function clientsFor(id: string): AwsClients {
    const { management } = moto();
    return id === managementId ? management : management.forAccount(id);
  }
  /** What orgbridge dlq acts as in each account: the queue policies let only it read the DLQs. */
  function operatorClientsFor(id: string): AwsClients {
    return moto().management.forAccount(id, ROLE_NAMES.dlqOperator);
  }

  function start(ping: HandlerRegistration<'PING'>): void {
    pollers = startLocalPollers({
      topology,
      accounts: [member],
      clientsFor,
      handlersFor: () => ({ PING: ping }),
      waitSeconds: 1,
      retryDelaySeconds: 0,
      onOutcome: (_account, outcome) => outcomes.push(outcome),
    });
  }

  /**
   * A PING from the cicd account, written into the member's handler queue as its rule would; the
   * queue policy lets no principal but the rules and the DLQ operator send, so the operator writes it.
   */
  async function send(queue: string, nonce: string): Promise<void> {
    const sqs = operatorClientsFor(member).sqs();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrlOf(sqs, queue),
        MessageBody: JSON.stringify({
          id: randomUUID(),
          account: cicd,
          source: 'app.infra',
          'detail-type': 'PING',
          time: new Date().toISOString(),
          region: 'us-east-1',
          detail: { nonce, dryrun: false, target_account: member, message: 'dlq' },
        }),
      }),
    );
  }

  async function depth(queue: string): Promise<number> {
    const sqs = clientsFor(member).sqs();
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await queueUrlOf(sqs, queue),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  }

  it('a failing handler dead-letters; list and show report it with the error; redrive gets it handled once', async () => {
    const nonce = randomUUID();
    let broken = true;
    let runs = 0;
    start({
      async handle(detail, ctx) {
        runs++;
        if (broken) throw new Error('zone table unreachable');
        return pingHandler.handle(detail, ctx);
      },
    });
    await send(HANDLER_QUEUE, nonce);
    await waitFor(async () => ((await depth(HANDLER_DLQ)) === 1 ? true : undefined), 20_000, 'the DLQ', 200);
    await pollers?.stop();
    pollers = undefined;
    expect(runs).toBe(2);

    const listed = await listDeadLetters(topology, operatorClientsFor);
    // Every DLQ of every account is listed: handler, replies (cicd) and the rule targets'.
    expect(listed).toHaveLength(topology.accounts.reduce((n, a) => n + a.deadLetterQueues.length, 0));
    expect(listed.filter((d) => d.visible + d.inFlight > 0)).toEqual([
      expect.objectContaining({ accountId: member, name: HANDLER_DLQ, of: HANDLER_QUEUE, visible: 1 }),
    ]);
    expect(listed.some((d) => d.accountId === member && d.name === EVENT_TARGET_DLQ)).toBe(true);

    const shown = await showDeadLetter(topology, operatorClientsFor, `${member}/${HANDLER_DLQ}`);
    expect(shown.messages).toEqual([
      expect.objectContaining({
        type: 'PING',
        nonce,
        target: member,
        sender: cicd,
        lastError: 'Error: zone table unreachable',
      }),
    ]);
    // show hands the messages back: still there, visible.
    expect(
      (await listDeadLetters(topology, operatorClientsFor)).find(
        (d) => d.accountId === member && d.name === HANDLER_DLQ,
      ),
    ).toMatchObject({ visible: 1, inFlight: 0 });

    const dry = await redriveDeadLetter(topology, operatorClientsFor, `${member}/${HANDLER_DLQ}`, {
      execute: false,
    });
    expect(dry).toMatchObject({ executed: false, messages: 1, destination: HANDLER_QUEUE });
    expect(await depth(HANDLER_DLQ)).toBe(1);

    broken = false;
    start({
      async handle(detail, ctx) {
        runs++;
        return pingHandler.handle(detail, ctx);
      },
    });
    const done = await redriveDeadLetter(topology, operatorClientsFor, `${member}/${HANDLER_DLQ}`, {
      execute: true,
    });
    // moto has no message move tasks: the fallback moved it.
    expect(done).toMatchObject({ executed: true, messages: 1, how: 'one-by-one', moved: 1 });
    await waitFor(
      () => outcomes.find((o) => o.status === 'handled' && o.nonce === nonce),
      15_000,
      'the redriven request to be handled',
      100,
    );
    expect(runs).toBe(3);
    expect(await depth(HANDLER_DLQ)).toBe(0);
    await waitFor(
      async () => ((await depth(HANDLER_QUEUE)) === 0 ? true : undefined),
      10_000,
      'the queue to drain',
      200,
    );
  });

  it('a redriven request that had completed is answered from its idempotency record, not run again', async () => {
    const nonce = randomUUID();
    let runs = 0;
    start({
      async handle(detail, ctx) {
        runs++;
        return pingHandler.handle(detail, ctx);
      },
    });
    await send(HANDLER_QUEUE, nonce);
    await waitFor(
      () => outcomes.find((o) => o.status === 'handled' && o.nonce === nonce),
      15_000,
      'handled',
      100,
    );
    // What a redrive does with a request that was answered yet dead-lettered (a delete lost): the
    // operator's move task sends the same message back to the handler queue. (Nobody may send
    // to a DLQ, so the copy is sent where the move task puts it.)
    await send(HANDLER_QUEUE, nonce);
    const again = await waitFor(
      () => outcomes.filter((o) => o.status === 'handled' && o.nonce === nonce)[1],
      15_000,
      'the redriven copy to be answered',
      100,
    );
    expect(again).toMatchObject({ duplicate: true });
    expect(runs).toBe(1);
  });

  it('refuses to redrive the rule targets DLQ and names unknown queues', async () => {
    await expect(
      redriveDeadLetter(topology, operatorClientsFor, `${member}/${EVENT_TARGET_DLQ}`, { execute: true }),
    ).rejects.toMatchObject({ code: 'DLQ_NOT_REDRIVABLE' });
    // Nor the replies DLQ: its answers were claimed by no pipeline, and none waits for them now
    // (the reply queue's policy lets nothing but EventBridge's rules send there).
    await expect(
      redriveDeadLetter(topology, operatorClientsFor, `${cicd}/orgbridge-replies-dlq`, { execute: true }),
    ).rejects.toMatchObject({
      code: 'DLQ_NOT_REDRIVABLE',
      message: expect.stringContaining('no waiting pipeline'),
    });
    // The management handler queue takes no sends from the operator role unless the config
    // names the operators (src/templates/stacks/operator.ts): said before any AWS call.
    await expect(
      redriveDeadLetter(topology, operatorClientsFor, `${managementId}/${HANDLER_DLQ}`, { execute: true }),
    ).rejects.toMatchObject({ code: 'DLQ_REDRIVE_NEEDS_OPERATORS' });
    await expect(showDeadLetter(topology, operatorClientsFor, `${member}/nope`)).rejects.toMatchObject({
      code: 'DLQ_UNKNOWN',
    });
  });
});
