import { randomUUID } from 'node:crypto';
import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { queueUrlOf, sqsQueuePort } from '../../src/bus/queue.js';
import { RequestClient, RequestFailedError } from '../../src/bus/requests.js';
import { EventSender, putEventsPort } from '../../src/bus/sender.js';
import type { AccountKind } from '../../src/config/model.js';
import { pingHandler } from '../../src/handlers/ping.js';
import type { HandlerRegistry } from '../../src/handlers/types.js';
import { ROLE_NAMES } from '../../src/protocol/names.js';
import { computeTopology, type Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { waitFor } from '../support/wait.js';

describe('messaging: cicd -> member request/response over EventBridge and SQS', () => {
  const moto = useMoto();
  let topology: Topology;
  let pollers: LocalPollers;
  let client: RequestClient;
  let cicd: AwsClients;
  let memberA: string;
  let memberB: string;
  const outcomes: { account: string; outcome: RecordOutcome }[] = [];
  const pings = new Map<string, number>();

  const handlers = (kind: AccountKind): HandlerRegistry => ({
    PING: {
      async handle(detail, ctx) {
        pings.set(detail.nonce, (pings.get(detail.nonce) ?? 0) + 1);
        return pingHandler.handle(detail, ctx);
      },
    },
    ...(kind === 'member'
      ? {
          CREATE_VPC: {
            async handle() {
              throw new Error('simulated VPC failure');
            },
          },
        }
      : {}),
  });

  beforeAll(async () => {
    const { management } = moto();
    const { managementId, organizationId } = await createOrganization(management);
    const ids: Record<string, string> = {};
    for (const name of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member-a', 'member-b']) {
      const out = await management
        .organizations()
        .send(new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }));
      ids[name] = out.CreateAccountStatus?.AccountId as string;
    }
    memberA = ids['member-a'] as string;
    memberB = ids['member-b'] as string;
    topology = computeTopology({
      accounts: [
        { id: managementId, kind: 'management' },
        { id: ids.cicd as string, kind: 'cicd' },
        { id: ids.identity as string, kind: 'identity' },
        { id: ids.dns as string, kind: 'dns' },
        { id: ids.logs as string, kind: 'logs' },
        { id: ids.audit as string, kind: 'audit' },
        { id: memberA, kind: 'member' },
        { id: memberB, kind: 'member' },
      ],
      busName: 'our-infra-bus',
      source: 'app.infra',
      region: 'us-east-1',
      maxReceiveCount: 2,
      visibilityTimeoutSeconds: 5,
    });
    const clientsFor = (id: string) => (id === managementId ? management : management.forAccount(id));
    await provisionTopology(topology, clientsFor, { organizationId });
    pollers = startLocalPollers({
      topology,
      clientsFor,
      handlersFor: handlers,
      waitSeconds: 1,
      retryDelaySeconds: 0,
      concurrency: 8,
      onOutcome: (account, outcome) => outcomes.push({ account, outcome }),
    });
    cicd = management.forAccount(ids.cicd as string);
    client = new RequestClient({
      topology,
      sender: new EventSender(putEventsPort(cicd.eventBridge())),
      replies: sqsQueuePort(cicd.sqs(), await queueUrlOf(cicd.sqs(), 'orgbridge-replies')),
      waitSeconds: 1,
      timeoutMs: 15_000,
    });
  });

  afterAll(async () => {
    await client?.close();
    await pollers?.stop();
  });

  it('a PING from cicd reaches the member handler and its PONG comes back matched by nonce', async () => {
    const pong = await client.request('PING', memberA, { message: 'hello' });
    expect(pong).toMatchObject({
      message: 'hello',
      responder_kind: 'member',
      target_account: topology.cicdAccountId,
    });
    expect(pings.get(pong.nonce)).toBe(1);
    const handled = await waitFor(() =>
      outcomes.find((o) => o.outcome.status === 'handled' && o.outcome.nonce === pong.nonce),
    );
    // The sender the member saw is the cicd account: it came through the forward rule.
    expect(handled).toMatchObject({
      account: memberA,
      outcome: { sender: topology.cicdAccountId, replied: true },
    });
  });

  it('50 concurrent requests each get their own reply', async () => {
    const started = performance.now();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.request('PING', i % 2 ? memberA : memberB, { message: `n${i}` }),
      ),
    );
    expect(replies.map((r) => r.message)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`));
    expect(new Set(replies.map((r) => r.nonce)).size).toBe(50);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('the same event delivered twice is handled once and answered twice', async () => {
    const nonce = randomUUID();
    const waiting = client.expectReplies(nonce, memberA, 'duplicate PING', (r) => r.length >= 2, 15_000);
    const sender = new EventSender(putEventsPort(cicd.eventBridge()));
    const event = {
      busName: 'our-infra-bus',
      source: 'app.infra',
      detailType: 'PING',
      detail: {
        nonce,
        dryrun: false,
        target_account: memberA,
        reply_to: topology.cicdAccountId,
        message: 'twice',
      },
    };
    await sender.send([event]);
    await sender.send([event]);
    const replies = await waiting;
    expect(replies.map((r) => r['detail-type'])).toEqual(['PONG', 'PONG']);
    expect(pings.get(nonce)).toBe(1);
    const handled = await waitFor(() => {
      const found = outcomes.filter((o) => o.outcome.status === 'handled' && o.outcome.nonce === nonce);
      return found.length === 2 ? found : undefined;
    });
    expect(handled.map((o) => o.outcome.status === 'handled' && o.outcome.duplicate).sort()).toEqual([
      false,
      true,
    ]);
  });

  it('rejects an event from an account the routing table does not allow, without running it', async () => {
    // member-a puts a PING addressed to itself on its own bus: the rule delivers it, the runtime refuses it.
    const member = moto().management.forAccount(memberA);
    const nonce = randomUUID();
    await new EventSender(putEventsPort(member.eventBridge())).send([
      {
        busName: 'our-infra-bus',
        source: 'app.infra',
        detailType: 'PING',
        detail: { nonce, dryrun: false, target_account: memberA, reply_to: topology.cicdAccountId },
      },
    ]);
    const rejected = await waitFor(() =>
      outcomes.find((o) => o.outcome.status === 'rejected' && o.outcome.nonce === nonce),
    );
    expect(rejected.outcome).toMatchObject({ code: 'SENDER_NOT_ALLOWED', sender: memberA, replied: false });
    expect(pings.has(nonce)).toBe(false);
  });

  it('rejects a schema-violating detail and answers REQUEST_FAILED', async () => {
    const nonce = randomUUID();
    const waiting = client.expectReplies(nonce, memberB, 'bad PING');
    await new EventSender(putEventsPort(cicd.eventBridge())).send([
      {
        busName: 'our-infra-bus',
        source: 'app.infra',
        detailType: 'PING',
        detail: {
          nonce,
          dryrun: false,
          target_account: memberB,
          reply_to: topology.cicdAccountId,
          evil: 'x',
        },
      },
    ]);
    const [reply] = await waiting;
    expect(reply?.['detail-type']).toBe('REQUEST_FAILED');
    expect(reply?.detail).toMatchObject({ code: 'DETAIL_INVALID', request_type: 'PING' });
    expect(pings.has(nonce)).toBe(false);
    // An oversized field is refused the same way, through the request client.
    await expect(client.request('PING', memberB, { message: 'x'.repeat(300) })).rejects.toThrow(
      /DETAIL_INVALID/,
    );
  });

  it('a handler that throws ends in the DLQ after maxReceiveCount attempts, and the requester hears of it', async () => {
    const error = await client
      .request('CREATE_VPC', memberA, {
        region: 'us-east-1',
        cidr: '10.0.0.0/16',
        nat_gateway_count: 1,
        template_url: 'https://example.com/vpc.template.json',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as RequestFailedError).remoteCode).toBe('HANDLER_FAILED');
    // The queue policy lets only the handler role (and operator roles) read the DLQ.
    const member = moto().management.forAccount(memberA, ROLE_NAMES.handler('member'));
    const dlqUrl = await queueUrlOf(member.sqs(), 'orgbridge-handler-dlq');
    // moto moves a message to the DLQ when it is received once more than maxReceiveCount.
    const body = await waitFor(async () => {
      const attrs = await member.sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      if (Number(attrs.Attributes?.ApproximateNumberOfMessages ?? 0) === 0) return undefined;
      const got = await member
        .sqs()
        .send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 1 }));
      return got.Messages?.[0]?.Body;
    });
    expect(JSON.parse(body)).toMatchObject({ 'detail-type': 'CREATE_VPC', account: topology.cicdAccountId });
    const failures = outcomes.filter((o) => o.outcome.status === 'failed' && o.outcome.type === 'CREATE_VPC');
    expect(failures).toHaveLength(2);
  });

  it('copies every delivered event to the audit queue once', async () => {
    const audit = moto().management.forAccount(topology.auditAccountId);
    const url = await queueUrlOf(audit.sqs(), 'orgbridge-audit');
    const attrs = await audit
      .sqs()
      .send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
    // At least the 51 PINGs and 51 PONGs above.
    expect(Number(attrs.Attributes?.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(102);
  });
});
