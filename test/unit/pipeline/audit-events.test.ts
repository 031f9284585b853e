import { describe, expect, it } from 'vitest';
import {
  type AuditEventRow,
  listAuditEvents,
  renderAuditEvents,
} from '../../../src/pipeline/audit-events.js';
import type { AuditedEvent } from '../../../src/pipeline/trace.js';
import { memoryAuditReader } from '../../support/audit-store.js';

const CICD = '222222222222';
const A = '333333333333';
const B = '444444444444';

let n = 0;
function request(type: string, target: string, time: string): AuditedEvent {
  n++;
  return {
    id: `e-${n}`,
    account: CICD,
    'detail-type': type,
    time,
    detail: { nonce: `nonce-${n}`, dryrun: false, target_account: target },
  };
}
function outcome(of: AuditedEvent, status: string, ms: number, code?: string): AuditedEvent {
  const target = of.detail.target_account as string;
  return {
    id: `${of.id}-o`,
    account: target,
    'detail-type': 'REQUEST_OUTCOME',
    time: of.time,
    detail: {
      nonce: of.detail.nonce,
      target_account: target,
      request_type: of['detail-type'],
      sender: CICD,
      message_id: 'm',
      outcome: status,
      ...(code ? { code, message: `refused: ${code}` } : {}),
      attempt: 1,
      replied: false,
      started_at: new Date(Date.parse(of.time) + ms).toISOString(),
      duration_ms: 3,
    },
  };
}

const ping1 = request('PING', A, '2026-12-03T14:10:00Z');
const ssm = request('PUT_SSM_PARAMETERS', B, '2026-12-03T15:20:00Z');
const ping2 = request('PING', B, '2026-12-03T16:25:00Z');
const forged = request('CREATE_VPC', A, '2026-12-03T16:29:00Z');
const events = [
  ping1,
  outcome(ping1, 'handled', 100),
  ssm,
  outcome(ssm, 'failed', 200, 'HANDLER_FAILED'),
  ping2,
  outcome(ping2, 'handled', 100),
  forged,
  outcome(forged, 'rejected', 50, 'DETAIL_INVALID'),
];
const now = new Date('2026-12-03T16:30:00Z');
const since = (hours: number) => new Date(now.getTime() - hours * 3_600_000);

describe('listAuditEvents', () => {
  it('lists every event of the hours back to --since, newest first', async () => {
    const rows = await listAuditEvents(memoryAuditReader(events), { since: since(1) }, now);
    expect(rows.map((r) => r.eventId)).toEqual([`${forged.id}-o`, forged.id, `${ping2.id}-o`, ping2.id]);
    const all = await listAuditEvents(memoryAuditReader(events), { since: since(3) }, now);
    expect(all).toHaveLength(8);
  });

  it('filters by type, and by status through the by-status index without reading the rest', async () => {
    const pings = await listAuditEvents(memoryAuditReader(events), { since: since(3), type: 'PING' }, now);
    expect(pings.map((r) => r.eventId)).toEqual([ping2.id, ping1.id]);
    const reader = memoryAuditReader(events);
    const rejected = await listAuditEvents(reader, { since: since(3), status: 'rejected' }, now);
    expect(rejected).toEqual([
      expect.objectContaining({
        type: 'REQUEST_OUTCOME',
        requestType: 'CREATE_VPC',
        status: 'rejected',
        code: 'DETAIL_INVALID',
        message: 'refused: DETAIL_INVALID',
        account: A,
        nonce: forged.detail.nonce,
      }),
    ]);
    expect(reader.gets).toBe(1);
    const handled = await listAuditEvents(
      memoryAuditReader(events),
      { since: since(3), status: 'handled' },
      now,
    );
    expect(handled.map((r) => r.requestType)).toEqual(['PING', 'PING']);
  });

  it("reads an account's index, newest first, with type, status and limit", async () => {
    const reader = memoryAuditReader(events);
    const inA = await listAuditEvents(reader, { since: since(3), account: A }, now);
    expect(inA.map((r) => r.eventId)).toEqual([`${forged.id}-o`, forged.id, `${ping1.id}-o`, ping1.id]);
    const failedInB = await listAuditEvents(reader, { since: since(3), account: B, status: 'failed' }, now);
    expect(failedInB.map((r) => r.code)).toEqual(['HANDLER_FAILED']);
    const one = await listAuditEvents(reader, { since: since(3), account: A, limit: 1 }, now);
    expect(one).toHaveLength(1);
    const recent = await listAuditEvents(reader, { since: since(1), account: A, type: 'PING' }, now);
    expect(recent).toEqual([]);
  });

  it('refuses a status that is no outcome, and renders a line per event with the reason', async () => {
    await expect(
      listAuditEvents(memoryAuditReader(events), { since: since(1), status: 'broken' }, now),
    ).rejects.toMatchObject({ code: 'EVENTS_STATUS_INVALID' });
    const rows = await listAuditEvents(memoryAuditReader(events), { since: since(1) }, now);
    expect(renderAuditEvents(rows.slice(0, 2))).toEqual([
      `2026-12-03 16:29:00.050  CREATE_VPC rejected DETAIL_INVALID in ${A} nonce=${forged.detail.nonce}: refused: DETAIL_INVALID`,
      `2026-12-03 16:29:00      CREATE_VPC from ${CICD} to ${A} nonce=${forged.detail.nonce}`,
    ]);
  });
});

describe('forged events in the listing', () => {
  const MEMBER = '555555555555';
  // What any member can put on the audit bus: a refusal naming B as the account that handled it.
  function forgedOutcome(id: string, time: string, startedAt: string): AuditedEvent {
    return {
      id,
      account: MEMBER,
      'detail-type': 'REQUEST_OUTCOME',
      time,
      detail: {
        nonce: `nonce-${id}`,
        target_account: B,
        request_type: 'CREATE_ACCOUNT',
        sender: CICD,
        message_id: 'm',
        outcome: 'rejected',
        code: 'DENIED',
        message: 'refused by B',
        attempt: 1,
        replied: false,
        started_at: startedAt,
        duration_ms: 3,
      },
    };
  }

  it('shows a forged outcome with the account that put it, marked, in the account and status indexes', async () => {
    const fake = forgedOutcome('f-1', '2026-12-03T16:28:00Z', '2026-12-03T16:27:59.900Z');
    const reader = memoryAuditReader([...events, fake]);
    const inB = await listAuditEvents(reader, { since: since(1), account: B }, now);
    // The store files an outcome under the account that put it, not the one it names.
    expect(inB.some((r) => r.eventId === 'f-1')).toBe(false);
    expect(inB.every((r) => r.suspect === undefined)).toBe(true);
    const inMember = await listAuditEvents(reader, { since: since(1), account: MEMBER }, now);
    expect(inMember[0]).toMatchObject({
      eventId: 'f-1',
      account: MEMBER,
      suspect: { reason: 'names-another-handler', account: B },
    });
    const rejected = await listAuditEvents(reader, { since: since(1), status: 'rejected' }, now);
    expect(rejected.map((r) => [r.eventId, r.suspect?.reason])).toEqual([
      [`${forged.id}-o`, undefined],
      ['f-1', 'names-another-handler'],
    ]);
    const names = new Map([
      [B, 'b'],
      [MEMBER, 'member'],
    ]);
    expect(renderAuditEvents([inMember[0] as AuditEventRow], (id) => `${names.get(id)} ${id}`)).toEqual([
      `2026-12-03 16:27:59.900  forged? CREATE_ACCOUNT rejected DENIED reported by member ${MEMBER} [suspect: put by member ${MEMBER}, it names b ${B} as the account that handled the request] nonce=nonce-f-1: refused by B`,
    ]);
  });

  it('does not let far-future events push the real ones out of the limit', async () => {
    const future = [1, 2, 3].map((i) =>
      forgedOutcome(`f-future-${i}`, '2099-01-01T00:00:00Z', '2099-01-01T00:00:00.000Z'),
    );
    // A start claimed long after its event was put does not move the row either.
    const lateStart = forgedOutcome('f-late', '2026-12-03T15:00:00Z', '2099-01-01T00:00:00.000Z');
    const reader = memoryAuditReader([...events, ...future, lateStart]);
    const inB = await listAuditEvents(reader, { since: since(3), account: B, limit: 2 }, now);
    // The two newest real events of B: the forged outcomes are filed under the member.
    expect(inB.map((r) => [r.eventId, r.suspect?.reason])).toEqual([
      [`${ping2.id}-o`, undefined],
      [ping2.id, undefined],
    ]);
    // There, at most `limit` future-dated ones, marked.
    const inMember = await listAuditEvents(reader, { since: since(3), account: MEMBER, limit: 2 }, now);
    expect(inMember.map((r) => [r.eventId, r.suspect?.reason])).toEqual([
      ['f-future-1', 'names-another-handler'],
      ['f-future-2', 'names-another-handler'],
      ['f-late', 'names-another-handler'],
    ]);
    const rejected = await listAuditEvents(reader, { since: since(3), status: 'rejected', limit: 2 }, now);
    expect(rejected.map((r) => r.eventId)).toContain(`${forged.id}-o`);
    const late = rejected.find((r) => r.eventId === 'f-late');
    expect(late?.time).toBe('2026-12-03T15:00:00Z');
  });
});
