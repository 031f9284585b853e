import { describe, expect, it } from 'vitest';
import {
  type AuditedEvent,
  buildTrace,
  parseSince,
  renderTrace,
  runTrace,
} from '../../../src/pipeline/trace.js';
import { memoryAuditReader } from '../../support/audit-store.js';

const CICD = '222222222222';
const MEMBER = '333333333333';
const NONCE = '687754b2-abd6-4ae6-ae2d-f98bd134512e';

const event = (
  id: string,
  type: string,
  account: string,
  time: string,
  detail: Record<string, unknown>,
): AuditedEvent => ({ id, account, 'detail-type': type, time, detail: { nonce: NONCE, ...detail } });
const outcome = (id: string, time: string, detail: Record<string, unknown>) =>
  event(id, 'REQUEST_OUTCOME', MEMBER, time, {
    target_account: MEMBER,
    request_type: 'PING',
    sender: CICD,
    message_id: `m-${id}`,
    attempt: 1,
    replied: false,
    duration_ms: 5,
    ...detail,
  });

const request = event('e-req', 'PING', CICD, '2026-12-03T16:30:05Z', {
  dryrun: false,
  target_account: MEMBER,
  reply_to: CICD,
});
const retrying = outcome('e-o1', '2026-12-03T16:30:05Z', {
  outcome: 'retrying',
  code: 'HANDLER_FAILED',
  message: 'Error: boom',
  started_at: '2026-12-03T16:30:05.250Z',
  duration_ms: 40,
});
const handled = outcome('e-o2', '2026-12-03T16:30:07Z', {
  outcome: 'handled',
  attempt: 2,
  replied: true,
  started_at: '2026-12-03T16:30:07.100Z',
  duration_ms: 12,
});
const pong = event('e-pong', 'PONG', MEMBER, '2026-12-03T16:30:07Z', {
  dryrun: false,
  target_account: CICD,
  responder_kind: 'member',
});

describe('buildTrace', () => {
  it('orders the request, its attempts and its answer, whatever order the store listed them in', () => {
    const trace = buildTrace(NONCE, [pong, handled, request, retrying]);
    expect(trace.steps.map((s) => s.step)).toEqual(['sent', 'retrying', 'handled', 'answer']);
    expect(trace).toMatchObject({
      nonce: NONCE,
      requestType: 'PING',
      sender: CICD,
      target: MEMBER,
      dryrun: false,
      status: 'handled',
      timings: { sentAt: '2026-12-03T16:30:05Z', queuedMs: 250, handlerMs: 52, answeredAfterMs: 2000 },
    });
    expect(trace.steps[1]).toMatchObject({ code: 'HANDLER_FAILED', message: 'Error: boom', attempt: 1 });
  });

  it('is `sent` without attempts, and takes its status from the last attempt', () => {
    expect(buildTrace(NONCE, [request]).status).toBe('sent');
    const rejected = outcome('e-o3', '2026-12-03T16:30:05Z', {
      outcome: 'rejected',
      code: 'DETAIL_INVALID',
      message: 'bad',
      started_at: '2026-12-03T16:30:05.010Z',
    });
    expect(buildTrace(NONCE, [request, rejected]).status).toBe('rejected');
    // A trace from the outcome alone (the request was put on a bus that takes no audit copy).
    expect(buildTrace(NONCE, [rejected])).toMatchObject({ requestType: 'PING', target: MEMBER });
  });

  it('renders one line per step with the accounts named, and the timings', () => {
    const names = new Map([
      [CICD, 'cicd'],
      [MEMBER, 'member'],
    ]);
    const text = renderTrace(
      buildTrace(NONCE, [request, retrying, handled, pong]),
      (id) => `${names.get(id)} ${id}`,
    );
    expect(text).toEqual([
      `PING ${NONCE}: handled`,
      `  2026-12-03 16:30:05      sent by cicd ${CICD} to member ${MEMBER}`,
      `  2026-12-03 16:30:05.250  retrying in member ${MEMBER}, attempt 1, 40 ms: HANDLER_FAILED`,
      '                             Error: boom',
      `  2026-12-03 16:30:07.100  handled in member ${MEMBER}, attempt 2, 12 ms, answered`,
      `  2026-12-03 16:30:07      answer PONG from member ${MEMBER} to cicd ${CICD}`,
      '  timings: queued 250 ms, handler 52 ms, answered after 2.0 s (event times are to the second)',
    ]);
  });
});

describe('forged events in a trace', () => {
  const MANAGEMENT = '111111111111';
  const names = new Map([
    [CICD, 'cicd'],
    [MEMBER, 'member'],
    [MANAGEMENT, 'management'],
  ]);
  const name = (id: string) => `${names.get(id) ?? '?'} ${id}`;
  // A real PING to the management account, handled and answered there.
  const toManagement = { ...request, detail: { ...request.detail, target_account: MANAGEMENT } };
  const handledThere = {
    ...handled,
    account: MANAGEMENT,
    detail: { ...handled.detail, target_account: MANAGEMENT, attempt: 1 },
  };
  const pongThere = { ...pong, account: MANAGEMENT };
  // What any member can put on the audit bus: an outcome naming the management account.
  const forgedOutcome = (id: string, time: string, startedAt: string, nonce = NONCE) =>
    event(id, 'REQUEST_OUTCOME', MEMBER, time, {
      nonce,
      target_account: MANAGEMENT,
      request_type: 'PING',
      sender: CICD,
      message_id: `m-${id}`,
      outcome: 'rejected',
      code: 'DENIED',
      message: 'refused by management',
      attempt: 1,
      replied: false,
      started_at: startedAt,
      duration_ms: 5,
    });

  it('credits a forged outcome to the member that put it, marks it, and keeps the real status', () => {
    const forged = forgedOutcome('e-f1', '2026-12-03T16:30:08Z', '2026-12-03T16:30:08.500Z');
    const trace = buildTrace(NONCE, [toManagement, handledThere, pongThere, forged]);
    expect(trace.status).toBe('handled');
    expect(trace.suspectSteps).toBe(1);
    expect(trace.steps.at(-1)).toMatchObject({
      step: 'rejected',
      account: MEMBER,
      suspect: { reason: 'names-another-handler', account: MANAGEMENT },
    });
    expect(trace.timings).toMatchObject({ handlerMs: 12 });
    expect(renderTrace(trace, name)).toEqual([
      `PING ${NONCE}: handled, 1 suspect step not counted`,
      `  2026-12-03 16:30:05      sent by cicd ${CICD} to management ${MANAGEMENT}`,
      `  2026-12-03 16:30:07.100  handled in management ${MANAGEMENT}, attempt 1, 12 ms, answered`,
      `  2026-12-03 16:30:07      answer PONG from management ${MANAGEMENT} to cicd ${CICD}`,
      `  2026-12-03 16:30:08.500  forged? rejected reported by member ${MEMBER}, attempt 1, 5 ms: DENIED`,
      `                             suspect: put by member ${MEMBER}, it names management ${MANAGEMENT} as the account that handled the request`,
      '                             refused by management',
      '  timings: queued 2.1 s, handler 12 ms, answered after 2.0 s (event times are to the second)',
    ]);
  });

  it('does not let a far-future outcome or start hide the real steps or set the status', () => {
    const farFuture = forgedOutcome('e-f2', '2099-01-01T00:00:00Z', '2099-01-01T00:00:00.000Z');
    // Put by the right account, but claiming a start long after the event was put.
    const lateStart = {
      ...handledThere,
      id: 'e-f3',
      detail: { ...handledThere.detail, outcome: 'failed', started_at: '2099-01-01T00:00:00.000Z' },
    };
    const now = new Date('2026-12-04T00:00:00Z');
    const trace = buildTrace(NONCE, [farFuture, lateStart, pongThere, handledThere, toManagement], { now });
    expect(trace.status).toBe('handled');
    expect(trace.steps.map((s) => [s.eventId, s.suspect?.reason])).toEqual([
      ['e-req', undefined],
      ['e-f3', 'started-after-put'],
      ['e-o2', undefined],
      ['e-pong', undefined],
      ['e-f2', 'names-another-handler'],
    ]);
    // The late start is placed at its event's time, not in 2099.
    expect(trace.steps[1]?.at).toBe('2026-12-03T16:30:07Z');
    const text = renderTrace(trace, name);
    expect(text[0]).toBe(`PING ${NONCE}: handled, 2 suspect steps not counted`);
    expect(text).toContain(
      "                             suspect: claims to have started at 2099-01-01T00:00:00.000Z, after the event was put; placed at the event's time",
    );
    // A far-future time from the right account is marked too.
    const dated = { ...pongThere, id: 'e-f4', time: '2099-01-01T00:00:00Z' };
    expect(buildTrace(NONCE, [toManagement, handledThere, dated], { now }).steps.at(-1)?.suspect).toEqual({
      reason: 'dated-in-future',
    });
  });

  it('marks an answer not put by the account the request went to, and requests that share a nonce', () => {
    const forgedAnswer = event('e-f5', 'REQUEST_FAILED', MEMBER, '2026-12-03T16:30:09Z', {
      dryrun: false,
      target_account: CICD,
      code: 'DENIED',
      message: 'no',
    });
    const trace = buildTrace(NONCE, [toManagement, handledThere, pongThere, forgedAnswer]);
    expect(trace.steps.at(-1)).toMatchObject({
      step: 'answer',
      account: MEMBER,
      suspect: { reason: 'not-from-request-target', account: MANAGEMENT },
    });
    expect(trace.timings.answeredAfterMs).toBe(2000);
    expect(renderTrace(trace, name)).toContain(
      `  2026-12-03 16:30:09      forged? answer REQUEST_FAILED from member ${MEMBER} to cicd ${CICD}: DENIED`,
    );
    // A member's own request with the same nonce: which request is real cannot be told.
    const copy = event('e-f6', 'PING', MEMBER, '2026-12-03T16:30:01Z', {
      dryrun: false,
      target_account: MEMBER,
    });
    const shared = buildTrace(NONCE, [copy, toManagement, handledThere]);
    expect(shared.steps.filter((s) => s.step === 'sent').map((s) => s.suspect?.reason)).toEqual([
      'nonce-shared',
      'nonce-shared',
    ]);
  });

  it("lists an account's real requests even when forged far-future events name it", async () => {
    const future = ['a', 'b', 'c'].map((x) =>
      forgedOutcome(
        `e-fut-${x}`,
        '2099-01-01T00:00:00Z',
        '2099-01-01T00:00:00.000Z',
        `${x}1234567-abd6-4ae6-ae2d-f98bd134512e`,
      ),
    );
    const reader = memoryAuditReader([toManagement, handledThere, pongThere, ...future]);
    const now = new Date('2026-12-04T00:00:00Z');
    const result = await runTrace(reader, MANAGEMENT, { accountIds: {}, limit: 1, now });
    if (result.kind !== 'account') throw new Error('not an account trace');
    expect(result.traces.map((t) => t.nonce)).toContain(NONCE);
    expect(result.traces.find((t) => t.nonce === NONCE)?.status).toBe('handled');
    // The store files an outcome under the account that put it: none of them is management's.
    expect(result.traces).toHaveLength(1);
    // Under the member that put them: at most `limit` future-dated ones, every step marked.
    const inMember = await runTrace(reader, MEMBER, { accountIds: {}, limit: 1, now });
    if (inMember.kind !== 'account') throw new Error('not an account trace');
    expect(inMember.traces).toHaveLength(1);
    expect(inMember.traces[0]?.steps.every((s) => s.suspect && s.account === MEMBER)).toBe(true);
    expect(inMember.traces[0]?.status).toBe('sent');
  });
});

describe('runTrace', () => {
  const other = '11111111-2222-4333-8444-555555555555';
  const later = {
    ...request,
    id: 'e-req2',
    time: '2026-12-03T17:00:00Z',
    detail: { ...request.detail, nonce: other },
  };
  const reader = memoryAuditReader([request, retrying, handled, pong, later]);

  it('reads a nonce through its index, and refuses one the store does not hold', async () => {
    const result = await runTrace(reader, NONCE, { accountIds: {} });
    expect(result.kind === 'request' && result.trace.steps).toHaveLength(4);
    await expect(runTrace(reader, 'no-such-nonce', { accountIds: {} })).rejects.toMatchObject({
      code: 'TRACE_NOT_FOUND',
    });
  });

  it('lists an account by id or key, newest first, back to --since', async () => {
    const byKey = await runTrace(reader, 'member-a', { accountIds: { 'member-a': MEMBER } });
    expect(byKey.kind === 'account' && byKey.traces.map((t) => t.nonce)).toEqual([other, NONCE]);
    const recent = await runTrace(reader, MEMBER, {
      accountIds: {},
      since: new Date('2026-12-03T16:45:00Z'),
    });
    expect(recent.kind === 'account' && recent.traces.map((t) => t.nonce)).toEqual([other]);
    const one = await runTrace(reader, MEMBER, { accountIds: {}, limit: 1 });
    expect(one.kind === 'account' && one.traces).toHaveLength(1);
  });
});

describe('parseSince', () => {
  const now = new Date('2026-12-03T16:30:00Z');
  it('takes a duration back from now or an ISO time, and names anything else', () => {
    expect(parseSince('1h', now).toISOString()).toBe('2026-12-03T15:30:00.000Z');
    expect(parseSince('30m', now).toISOString()).toBe('2026-12-03T16:00:00.000Z');
    expect(parseSince('2d', now).toISOString()).toBe('2026-12-01T16:30:00.000Z');
    expect(parseSince('2026-12-01T00:00:00Z', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(() => parseSince('yesterday', now)).toThrow(
      expect.objectContaining({ code: 'TRACE_SINCE_INVALID' }),
    );
  });
});
