import { randomUUID } from 'node:crypto';
import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { CreateBucketCommand, PutObjectLockConfigurationCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import { queueUrlOf, sqsQueuePort } from '../../src/bus/queue.js';
import { RequestClient } from '../../src/bus/requests.js';
import { EventSender, putEventsPort } from '../../src/bus/sender.js';
import { pingHandler } from '../../src/handlers/ping.js';
import { listAuditEvents } from '../../src/pipeline/audit-events.js';
import { type AuditReader, renderTrace, runTrace, s3AuditReader } from '../../src/pipeline/trace.js';
import { AUDIT_NAMES } from '../../src/protocol/names.js';
import { computeTopology, senderBusName, type Topology } from '../../src/protocol/topology.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { waitFor } from '../support/wait.js';

/**
 * `orgbridge trace` end to end on the emulator: requests from cicd handled (or refused) by a
 * member's runtime, every event and REQUEST_OUTCOME copied to the audit account, the audit
 * queue drained into an Object Lock bucket by the local runtime (as the audit Lambda does), and
 * the trace read back from the bucket's indexes.
 */
describe('trace over the audit store', () => {
  const moto = useMoto();
  let topology: Topology;
  let pollers: LocalPollers;
  let client: RequestClient;
  let cicd: AwsClients;
  let reader: AuditReader;
  let member: string;

  beforeAll(async () => {
    const { management } = moto();
    const { managementId, organizationId } = await createOrganization(management);
    const ids: Record<string, string> = {};
    for (const name of ['cicd', 'identity', 'dns', 'logs', 'audit', 'member']) {
      const out = await management
        .organizations()
        .send(new CreateAccountCommand({ AccountName: name, Email: `aws+${name}@example.com` }));
      ids[name] = out.CreateAccountStatus?.AccountId as string;
    }
    member = ids.member as string;
    topology = computeTopology({
      accounts: [
        { id: managementId, kind: 'management' },
        { id: ids.cicd as string, kind: 'cicd' },
        { id: ids.identity as string, kind: 'identity' },
        { id: ids.dns as string, kind: 'dns' },
        { id: ids.logs as string, kind: 'logs' },
        { id: ids.audit as string, kind: 'audit' },
        { id: member, kind: 'member' },
      ],
      busName: 'our-infra-bus',
      source: 'app.infra',
      region: 'us-east-1',
      visibilityTimeoutSeconds: 5,
    });
    const clientsFor = (id: string) => (id === managementId ? management : management.forAccount(id));
    await provisionTopology(topology, clientsFor, { organizationId });
    // The audit store as the templates make it: Object Lock with a default retention.
    const audit = clientsFor(topology.auditAccountId).s3();
    const bucket = AUDIT_NAMES.bucket(topology.auditAccountId, topology.region);
    await audit.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
    await audit.send(
      new PutObjectLockConfigurationCommand({
        Bucket: bucket,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 1 } },
        },
        ChecksumAlgorithm: 'SHA256',
      }),
    );
    reader = s3AuditReader(audit, bucket);
    pollers = startLocalPollers({
      topology,
      clientsFor,
      handlersFor: () => ({ PING: pingHandler }),
      waitSeconds: 1,
      retryDelaySeconds: 0,
      concurrency: 8,
      auditStore: true,
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

  /** The trace of `nonce` once the store holds at least `steps` of its events. */
  const traced = (nonce: string, steps: number) =>
    waitFor(
      async () => {
        try {
          const result = await runTrace(reader, nonce, { accountIds: {} });
          return result.kind === 'request' && result.trace.steps.length >= steps ? result.trace : undefined;
        } catch {
          return undefined;
        }
      },
      15_000,
      `${steps} audited events of ${nonce}`,
    );

  it('shows a handled request: sent by cicd, handled in the member, answered with PONG', async () => {
    const pong = await client.request('PING', member, { message: 'trace me' });
    const trace = await traced(pong.nonce, 3);
    expect(trace).toMatchObject({
      nonce: pong.nonce,
      requestType: 'PING',
      sender: topology.cicdAccountId,
      target: member,
      status: 'handled',
    });
    expect(trace.steps.map((s) => [s.step, s.type, s.account])).toEqual([
      ['sent', 'PING', topology.cicdAccountId],
      ['handled', 'PING', member],
      ['answer', 'PONG', member],
    ]);
    expect(trace.steps[1]).toMatchObject({ attempt: 1, replied: true, durationMs: expect.any(Number) });
    expect(trace.timings).toMatchObject({
      sentAt: expect.any(String),
      queuedMs: expect.any(Number),
      handlerMs: expect.any(Number),
      answeredAfterMs: expect.any(Number),
    });
    const text = renderTrace(trace).join('\n');
    expect(text).toContain(`PING ${pong.nonce}: handled`);
    expect(text).toMatch(/sent by \d{12} to \d{12}/);
    expect(text).toMatch(/handled in \d{12}, attempt 1, \d+ ms, answered/);
    expect(text).toContain('answer PONG from');
  });

  it('shows a refused request with its code; the account view lists both newest first, events --status the refusal', async () => {
    // A PING with a field its schema does not know, put as cicd on the bus toward the member.
    const nonce = randomUUID();
    await new EventSender(putEventsPort(cicd.eventBridge())).send([
      {
        busName: senderBusName(topology, topology.cicdAccountId, member),
        source: 'app.infra',
        detailType: 'PING',
        detail: {
          nonce,
          dryrun: false,
          target_account: member,
          reply_to: topology.cicdAccountId,
          evil: true,
        },
      },
    ]);
    const trace = await traced(nonce, 3);
    expect(trace.status).toBe('rejected');
    expect(trace.steps.map((s) => [s.step, s.type, s.code])).toEqual([
      ['sent', 'PING', undefined],
      ['rejected', 'PING', 'DETAIL_INVALID'],
      ['answer', 'REQUEST_FAILED', 'DETAIL_INVALID'],
    ]);

    const account = await waitFor(async () => {
      const result = await runTrace(reader, 'member-key', { accountIds: { 'member-key': member } });
      return result.kind === 'account' && result.traces.some((t) => t.nonce === nonce) ? result : undefined;
    });
    if (account.kind !== 'account') throw new Error('not an account trace');
    expect(account.accountId).toBe(member);
    expect(account.traces.length).toBeGreaterThanOrEqual(2);
    const sentAt = account.traces.map((t) => t.timings.sentAt ?? '');
    expect(sentAt).toEqual([...sentAt].sort().reverse());
    // `orgbridge events --status rejected`: the refused request, with its reason, from the index.
    const rejected = await listAuditEvents(reader, {
      since: new Date(Date.now() - 3_600_000),
      status: 'rejected',
    });
    expect(rejected).toEqual([
      expect.objectContaining({ requestType: 'PING', code: 'DETAIL_INVALID', account: member, nonce }),
    ]);
    expect(rejected[0]?.message).toMatch(/evil/);
    // `since` after every request: none.
    const none = await runTrace(reader, member, { accountIds: {}, since: new Date(Date.now() + 60_000) });
    expect(none).toEqual({ kind: 'account', accountId: member, traces: [] });
  });

  it('names a nonce the store does not hold', async () => {
    await expect(runTrace(reader, randomUUID(), { accountIds: {} })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
    });
  });
});
