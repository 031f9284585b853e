import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import type { MessagingLog } from '../../src/bus/log.js';
import { queueUrlOf } from '../../src/bus/queue.js';
import { pingHandler } from '../../src/handlers/ping.js';
import type { HandlerRegistration } from '../../src/handlers/types.js';
import { computeTopology, HANDLER_QUEUE, senderBusName, type Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { waitFor } from '../support/wait.js';

/**
 * The local poller's lease (src/runtime/lease.ts) on the emulator, with a visibility timeout of
 * 2 s and handlers slower than that. Two runtimes poll the same queue, as two processes (or two
 * concurrent Lambda invocations) would: without the lease the message reappears while its
 * handler runs, the in-progress record has expired, and the second runtime runs it again.
 */
const VISIBILITY_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Runtime {
  readonly outcomes: RecordOutcome[];
  readonly logs: { level: string; message: string }[];
  stop(): Promise<void>;
}

describe('local poller: a batch holds its messages and in-progress records while its handler runs', () => {
  const moto = useMoto();
  let topology: Topology;
  let managementId: string;
  let member: string;
  let memberClients: AwsClients;
  let cicd: string;
  const runtimes: Runtime[] = [];
  let child: ChildProcess | undefined;

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
      busName: 'lease-bus',
      source: 'app.infra',
      region: 'us-east-1',
      // Room for a duplicate refused while the original is in progress, retried each second.
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: VISIBILITY_SECONDS,
    });
    await provisionTopology(topology, clientsFor, { organizationId: created.organizationId });
    memberClients = clientsFor(member);
  });

  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
  });
  afterAll(() => child?.kill('SIGKILL'));

  function clientsFor(id: string): AwsClients {
    const { management } = moto();
    return id === managementId ? management : management.forAccount(id);
  }

  function startRuntime(
    ping: HandlerRegistration<'PING'>,
    options: { maxLeaseSeconds?: number } = {},
  ): Runtime {
    const outcomes: RecordOutcome[] = [];
    const logs: { level: string; message: string }[] = [];
    const log: MessagingLog = {
      info: (message) => logs.push({ level: 'info', message }),
      warn: (message) => logs.push({ level: 'warn', message }),
      error: (message) => logs.push({ level: 'error', message }),
    };
    const pollers: LocalPollers = startLocalPollers({
      topology,
      accounts: [member],
      clientsFor,
      handlersFor: () => ({ PING: ping }),
      waitSeconds: 1,
      retryDelaySeconds: 1,
      log,
      onOutcome: (_account, outcome) => outcomes.push(outcome),
      ...options,
    });
    const runtime = { outcomes, logs, stop: () => pollers.stop() };
    runtimes.push(runtime);
    return runtime;
  }

  /**
   * A PING from the cicd account, put on its bus: the forward rule delivers it to the member's
   * handler queue, the only way in (the queue policy denies SendMessage to every principal).
   */
  async function inject(nonce: string): Promise<void> {
    const out = await clientsFor(cicd)
      .eventBridge()
      .send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: senderBusName(topology, cicd, member),
              Source: 'app.infra',
              DetailType: 'PING',
              Detail: JSON.stringify({ nonce, dryrun: false, target_account: member, message: 'slow' }),
            },
          ],
        }),
      );
    expect(out.FailedEntryCount ?? 0).toBe(0);
  }

  /** Messages left in the handler queue (visible or in flight) and in its DLQ. */
  async function leftOver(): Promise<{ queue: number; dlq: number }> {
    const sqs = memberClients.sqs();
    const count = async (name: string) => {
      const out = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: await queueUrlOf(sqs, name),
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    };
    return { queue: await count(HANDLER_QUEUE), dlq: await count(`${HANDLER_QUEUE}-dlq`) };
  }

  it('a handler running 2.5x the visibility timeout runs once, its duplicate waits for it, nothing is dead-lettered', async () => {
    const nonce = randomUUID();
    let runs = 0;
    let running = 0;
    let overlapping = 0;
    const slowPing: HandlerRegistration<'PING'> = {
      async handle(detail, ctx) {
        runs++;
        running++;
        if (running > 1) overlapping++;
        await sleep(5_000);
        running--;
        return pingHandler.handle(detail, ctx);
      },
    };
    const first = startRuntime(slowPing);
    const second = startRuntime(slowPing);
    await inject(nonce);
    await waitFor(() => (runs > 0 ? true : undefined), 5_000, 'the handler to start', 50);
    // Past the visibility timeout and the first in-progress expiry: an EventBridge duplicate.
    await sleep(3_000);
    await inject(nonce);
    const outcomes = () => [...first.outcomes, ...second.outcomes];
    const settled = (duplicate: boolean) =>
      outcomes().find((o) => o.status === 'handled' && o.nonce === nonce && o.duplicate === duplicate);
    const original = (await waitFor(() => settled(false), 10_000, 'the original to be handled', 50))
      .messageId;
    const again = await waitFor(() => settled(true), 10_000, 'the duplicate to be answered', 50);

    expect(runs).toBe(1);
    expect(overlapping).toBe(0);
    expect(again).toMatchObject({ status: 'handled', duplicate: true });
    // The original was handled (and deleted) once; only the duplicate was refused while in progress.
    expect(outcomes().filter((o) => o.messageId === original)).toEqual([
      expect.objectContaining({ status: 'handled', duplicate: false }),
    ]);
    expect(outcomes().filter((o) => o.status === 'failed' && o.messageId !== again.messageId)).toEqual([]);
    expect(await leftOver()).toEqual({ queue: 0, dlq: 0 });
    const logs = [...first.logs, ...second.logs];
    expect(logs.filter((l) => /lease/.test(l.message))).toEqual([]);
  });

  it('a runtime killed mid-handler leaves its message to the next one after one visibility timeout', async () => {
    const nonce = randomUUID();
    const script = fileURLToPath(new URL('./fixtures/poller-process.ts', import.meta.url));
    const config = { endpoint: moto().server.endpoint, topology, managementId, account: member };
    child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(() => (out.includes('polling') ? true : undefined), 15_000, 'the runtime process', 50);
    await inject(nonce);
    await waitFor(() => (out.includes(`started ${nonce}`) ? true : undefined), 5_000, 'its handler', 50);

    let ranAt: number | undefined;
    const runtime = startRuntime({
      async handle(detail, ctx) {
        ranAt ??= Date.now();
        return pingHandler.handle(detail, ctx);
      },
    });
    // The process is alive: its lease holds the message well past the visibility timeout.
    await sleep(VISIBILITY_SECONDS * 1000 + 500);
    expect(ranAt).toBeUndefined();

    const killedAt = Date.now();
    child.kill('SIGKILL');
    const handled = await waitFor(
      () => runtime.outcomes.find((o) => o.status === 'handled'),
      10_000,
      'the retry in the surviving runtime',
      50,
    );
    // Back after at most one visibility timeout (plus a long poll and one refused attempt if the
    // retry came a moment before the in-progress record expired).
    expect((ranAt as number) - killedAt).toBeLessThan(VISIBILITY_SECONDS * 1000 + 2_500);
    expect(handled).toMatchObject({ nonce, duplicate: false });
    expect(runtime.outcomes.filter((o) => o.status === 'handled')).toHaveLength(1);
    expect(await leftOver()).toEqual({ queue: 0, dlq: 0 });
  });

  it('a handler that never returns holds its message only up to the lease limit, then SQS redelivers', async () => {
    const nonce = randomUUID();
    let attempts = 0;
    const runtime = startRuntime(
      {
        async handle(detail, ctx) {
          attempts++;
          if (attempts === 1) return new Promise(() => {});
          return pingHandler.handle(detail, ctx);
        },
      },
      { maxLeaseSeconds: 3 },
    );
    const startedAt = Date.now();
    await inject(nonce);
    const handled = await waitFor(
      () => runtime.outcomes.find((o) => o.status === 'handled' && o.nonce === nonce),
      10_000,
      'the redelivered message to be handled',
      50,
    );
    expect(handled).toMatchObject({ nonce, duplicate: false });
    expect(attempts).toBe(2);
    // Held past the visibility timeout (extended), released at the limit, not before.
    expect(Date.now() - startedAt).toBeGreaterThan(3_000);
    expect(runtime.logs.map((l) => l.message)).toEqual(
      expect.arrayContaining([
        'message lease limit reached: no longer waiting for the batch; SQS will redeliver',
        'batch abandoned at the lease limit; SQS will redeliver its messages',
      ]),
    );
    expect(await leftOver()).toEqual({ queue: 0, dlq: 0 });
  });
});
