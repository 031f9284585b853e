import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { QueueMessage, QueuePort } from '../../../src/bus/queue.js';
import {
  DEFAULT_ORPHAN_AFTER_MS,
  RequestClient,
  unclaimedHideSeconds,
  YOUNG_REPLY_MS,
} from '../../../src/bus/requests.js';
import { EventSender, type PutEventsPort } from '../../../src/bus/sender.js';
import { computeTopology } from '../../../src/protocol/topology.js';

const CICD = '111111111111';
const MEMBER = '222222222222';
const MINUTE = 60_000;

const topology = computeTopology({
  accounts: [
    { id: '000000000000', kind: 'management' },
    { id: CICD, kind: 'cicd' },
    { id: '333333333333', kind: 'identity' },
    { id: '444444444444', kind: 'dns' },
    { id: '555555555555', kind: 'logs' },
    { id: '666666666666', kind: 'audit' },
    { id: MEMBER, kind: 'member' },
  ],
  busName: 'bus',
  source: 'app.infra',
  region: 'us-east-1',
});

/** The clock of the fake queue and the client alike; SentTimestamps are set relative to it. */
const clock = () => Date.now();

interface Stored {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  handle: string;
}

/**
 * An SQS queue in memory with the behaviour the poller depends on: visibility timeouts, receive
 * counts, receipt handles that change per receive, and oldest-first receives (as moto does), so
 * unclaimed replies ahead of a real one fill every 10-message receive if nothing hides them.
 */
class FakeQueue implements QueuePort {
  readonly queueUrl = 'https://sqs.us-east-1.amazonaws.com/111111111111/orgbridge-replies';
  readonly messages: Stored[] = [];
  readonly visibilityChanges: { seconds: number; count: number }[] = [];
  receives = 0;

  put(body: unknown, sentAt = clock()): string {
    const messageId = randomUUID();
    this.messages.push({
      messageId,
      body: JSON.stringify(body),
      sentAt,
      receiveCount: 0,
      visibleAt: 0,
      handle: '',
    });
    return messageId;
  }

  async receive({ max }: { max: number }): Promise<QueueMessage[]> {
    this.receives++;
    // A long poll that finds nothing would wait; a few ms keep the loop from spinning.
    await new Promise((r) => setTimeout(r, 5));
    const now = clock();
    const out: QueueMessage[] = [];
    for (const m of this.messages) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      m.receiveCount++;
      m.visibleAt = now + 30_000;
      m.handle = randomUUID();
      out.push({
        messageId: m.messageId,
        receiptHandle: m.handle,
        body: m.body,
        receiveCount: m.receiveCount,
        sentTimestamp: String(m.sentAt),
      });
    }
    return out;
  }

  async delete(handles: readonly string[]): Promise<void> {
    for (const h of handles) {
      const i = this.messages.findIndex((m) => m.handle === h);
      if (i >= 0) this.messages.splice(i, 1);
    }
  }

  async changeVisibility(handles: readonly string[], seconds: number): Promise<void> {
    this.visibilityChanges.push({ seconds, count: handles.length });
    for (const m of this.messages) if (handles.includes(m.handle)) m.visibleAt = clock() + seconds * 1000;
  }

  has(messageId: string): boolean {
    return this.messages.some((m) => m.messageId === messageId);
  }
}

const envelope = (type: string, detail: Record<string, unknown>, account = MEMBER) => ({
  id: randomUUID(),
  account,
  source: 'app.infra',
  'detail-type': type,
  time: new Date().toISOString(),
  region: 'us-east-1',
  detail,
});

/** What a handler answers to a forged or long-abandoned request: nobody waits for its nonce. */
const orphanFailure = (nonce = randomUUID()) =>
  envelope('REQUEST_FAILED', {
    nonce,
    dryrun: false,
    target_account: CICD,
    code: 'ROUTE_NOT_ALLOWED',
    message: 'forged',
  });

const pong = (nonce: string) =>
  envelope('PONG', { nonce, dryrun: false, target_account: CICD, responder_kind: 'member' });

/** A member account that answers every PING on the queue, as the real handler would. */
function responder(queue: FakeQueue, answer = true): EventSender {
  const port: PutEventsPort = {
    async putEvents(entries) {
      for (const e of entries) {
        const detail = JSON.parse(e.Detail ?? '{}') as { nonce: string };
        if (answer && e.DetailType === 'PING') queue.put(pong(detail.nonce));
      }
      return { failedEntryCount: 0, entries: entries.map(() => ({ EventId: 'id' })) };
    },
  };
  return new EventSender(port);
}

function collectingLog() {
  const lines: { message: string; extra?: Readonly<Record<string, unknown>> }[] = [];
  const push = (message: string, extra?: Readonly<Record<string, unknown>>) =>
    lines.push({ message, ...(extra ? { extra } : {}) });
  return { log: { info: push, warn: push, error: push }, lines };
}

function clientFor(queue: FakeQueue, options: { answer?: boolean } = {}) {
  const { log, lines } = collectingLog();
  const client = new RequestClient({
    topology,
    sender: responder(queue, options.answer ?? true),
    replies: queue,
    log,
    waitSeconds: 1,
    timeoutMs: 5_000,
    now: clock,
  });
  return { client, lines };
}

describe('RequestClient: unclaimed replies on a shared reply queue', () => {
  it('hides an unclaimed reply 0 s on its first receive, then longer, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => unclaimedHideSeconds(n, 30))).toEqual([0, 2, 4, 8, 16, 30, 30]);
    expect(unclaimedHideSeconds(0, 30)).toBe(0);
  });

  it('hides a reply under a minute old at most 2 s, so a live owner elsewhere is never held back long', () => {
    // Another run's reply that this process keeps receiving first: its owner polls the same queue.
    expect([1, 2, 3, 6, 50].map((n) => unclaimedHideSeconds(n, 30, 10_000))).toEqual([0, 2, 2, 2, 2]);
    expect(unclaimedHideSeconds(6, 30, YOUNG_REPLY_MS - 1)).toBe(2);
    // Older: the back-off of a likely orphan.
    expect(unclaimedHideSeconds(6, 30, YOUNG_REPLY_MS)).toBe(30);
  });

  it('deletes and logs an orphan older than the bound, and still answers the live request', async () => {
    const queue = new FakeQueue();
    const orphanNonce = randomUUID();
    const orphan = queue.put(orphanFailure(orphanNonce), clock() - DEFAULT_ORPHAN_AFTER_MS - MINUTE);
    const { client, lines } = clientFor(queue);
    try {
      const reply = await client.request('PING', MEMBER, {});
      expect(reply.responder_kind).toBe('member');
      expect(queue.has(orphan)).toBe(false);
      expect(client.orphansDeleted).toBe(1);
      const logged = lines.find((l) => l.message.includes('orphan'));
      expect(logged?.extra).toMatchObject({ nonce: orphanNonce, type: 'REQUEST_FAILED' });
      expect(logged?.extra?.ageSeconds).toBeGreaterThan(20 * 60);
    } finally {
      await client.close();
    }
  });

  it('leaves a fresh unclaimed reply (and one just under the bound) for its owner in another process', async () => {
    const queue = new FakeQueue();
    const ownerNonce = randomUUID();
    const fresh = queue.put(pong(ownerNonce), clock() - 5_000);
    const nearlyOld = queue.put(orphanFailure(), clock() - DEFAULT_ORPHAN_AFTER_MS + MINUTE);
    const other = clientFor(queue);
    try {
      await other.client.request('PING', MEMBER, {});
      expect(queue.has(fresh)).toBe(true);
      expect(queue.has(nearlyOld)).toBe(true);
      expect(other.client.orphansDeleted).toBe(0);
      // First receive of an unclaimed reply: visible again at once, not hidden.
      expect(queue.visibilityChanges[0]).toEqual({ seconds: 0, count: 2 });
    } finally {
      await other.client.close();
    }
    // The owner (a second process polling the same queue) gets its reply at once.
    const owner = clientFor(queue, { answer: false });
    try {
      const started = Date.now();
      const [reply] = await owner.client.expectReplies(ownerNonce, MEMBER, 'owner PING');
      expect(reply?.['detail-type']).toBe('PONG');
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(queue.has(fresh)).toBe(false);
    } finally {
      await owner.client.close();
    }
  });

  it('a waiting request gets its reply promptly behind 18 fresh orphans and 5 old ones', async () => {
    const queue = new FakeQueue();
    const old = Array.from({ length: 5 }, () =>
      queue.put(orphanFailure(), clock() - DEFAULT_ORPHAN_AFTER_MS - 5 * MINUTE),
    );
    for (let i = 0; i < 18; i++) queue.put(orphanFailure(), clock() - 1_000);
    const { client } = clientFor(queue);
    try {
      const started = Date.now();
      const reply = await client.request('PING', MEMBER, {});
      expect(reply.responder_kind).toBe('member');
      // Released at visibility 0 forever, the oldest-first orphans would fill every receive and
      // the PONG would never come back within the timeout.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(client.receives).toBeLessThanOrEqual(5);
      for (const id of old) expect(queue.has(id)).toBe(false);
      expect(queue.messages).toHaveLength(18);
      expect(queue.visibilityChanges.some((c) => c.seconds > 0)).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('never deletes its own reply, however old, while its request waits', async () => {
    const queue = new FakeQueue();
    const nonce = randomUUID();
    queue.put(pong(nonce), clock() - DEFAULT_ORPHAN_AFTER_MS - MINUTE);
    const { client } = clientFor(queue, { answer: false });
    try {
      const [reply] = await client.expectReplies(nonce, MEMBER, 'old PING');
      expect(reply?.detail.nonce).toBe(nonce);
      expect(client.orphansDeleted).toBe(0);
    } finally {
      await client.close();
    }
  });
  it('refuses a reply that says it answers another request type, even a failure', async () => {
    const queue = new FakeQueue();
    // Answers every PING with a failure of a SYNC_SCPS that shares the nonce.
    const sender = new EventSender({
      async putEvents(entries) {
        for (const e of entries) {
          const { nonce } = JSON.parse(e.Detail ?? '{}') as { nonce: string };
          queue.put(
            envelope('REQUEST_FAILED', {
              nonce,
              dryrun: false,
              target_account: CICD,
              request_type: 'SYNC_SCPS',
              code: 'SYNC_SCPS_BLOCKED',
              message: 'not the PING',
            }),
          );
        }
        return { failedEntryCount: 0, entries: entries.map(() => ({ EventId: 'id' })) };
      },
    });
    const client = new RequestClient({
      topology,
      sender,
      replies: queue,
      waitSeconds: 1,
      timeoutMs: 5_000,
      now: clock,
    });
    try {
      await expect(client.request('PING', MEMBER, { message: 'hi' })).rejects.toMatchObject({
        code: 'REPLY_UNEXPECTED',
      });
    } finally {
      await client.close();
    }
  });
});
