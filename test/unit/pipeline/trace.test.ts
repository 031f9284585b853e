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
