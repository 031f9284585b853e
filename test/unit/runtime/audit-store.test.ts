import { describe, expect, it } from 'vitest';
import {
  AUDIT_PREFIXES,
  auditObjectKeys,
  invertedTime,
  parseAccountKey,
  parseStatusKey,
} from '../../../src/runtime/lambda/audit-store.js';

const NONCE = '687754b2-abd6-4ae6-ae2d-f98bd134512e';
const event = (type: string, time: string, detail: Record<string, unknown>, id = 'e-1') => ({
  messageId: 'm-1',
  body: JSON.stringify({
    version: '0',
    id,
    account: '222222222222',
    source: 'app.infra',
    'detail-type': type,
    time,
    region: 'us-east-1',
    resources: [],
    detail,
  }),
});

describe('audit store layout', () => {
  it('stores an event under its hour, by nonce and by target account', () => {
    const keys = auditObjectKeys(
      event('PING', '2026-12-03T16:30:05Z', { nonce: NONCE, dryrun: false, target_account: '333333333333' }),
    );
    expect(keys).toEqual([
      'events/2026/12/03/16/PING/e-1.json',
      `by-nonce/${NONCE}/20261203T163005Z/PING/e-1.json`,
      `by-account/333333333333/${invertedTime(Date.parse('2026-12-03T16:30:05Z'))}/PING/-/${NONCE}/e-1.json`,
    ]);
    expect(keys[0]?.startsWith(AUDIT_PREFIXES.hour(Date.parse('2026-12-03T16:59:59Z')))).toBe(true);
    expect(keys[1]?.startsWith(AUDIT_PREFIXES.nonce(NONCE))).toBe(true);
    expect(keys[2]?.startsWith(AUDIT_PREFIXES.account('333333333333'))).toBe(true);
  });

  it("puts a REQUEST_OUTCOME's outcome in its account key, so a listing answers by status", () => {
    const [, , byAccount] = auditObjectKeys(
      event('REQUEST_OUTCOME', '2026-12-03T16:30:06Z', {
        nonce: NONCE,
        target_account: '222222222222',
        outcome: 'rejected',
      }),
    );
    expect(parseAccountKey(byAccount as string)).toEqual({
      ms: Date.parse('2026-12-03T16:30:06Z'),
      type: 'REQUEST_OUTCOME',
      status: 'rejected',
      nonce: NONCE,
      id: 'e-1',
    });
  });

  it('files an outcome under the account that put it, whatever account its detail names', () => {
    // Put by 222222222222 (the envelope, as EventBridge stamps it), naming 333333333333.
    const keys = auditObjectKeys(
      event('REQUEST_OUTCOME', '2026-12-03T16:30:06Z', {
        nonce: NONCE,
        target_account: '333333333333',
        request_type: 'RETIRE_ACCOUNT',
        outcome: 'rejected',
      }),
    );
    expect(keys.some((k) => k.startsWith(AUDIT_PREFIXES.account('333333333333')))).toBe(false);
    expect(keys.filter((k) => k.startsWith(AUDIT_PREFIXES.account('222222222222')))).toHaveLength(1);
    expect(parseStatusKey(keys[3] as string)?.target).toBe('222222222222');
  });

  it('indexes the outcomes that went wrong by status, over the organization', () => {
    const keys = (outcome: string) =>
      auditObjectKeys(
        event('REQUEST_OUTCOME', '2026-12-03T16:30:06Z', {
          nonce: NONCE,
          target_account: '222222222222',
          request_type: 'PING',
          outcome,
        }),
      );
    expect(keys('handled')).toHaveLength(3);
    const problem = keys('rejected');
    expect(problem).toHaveLength(4);
    expect(problem[3]?.startsWith(AUDIT_PREFIXES.status('rejected'))).toBe(true);
    expect(parseStatusKey(problem[3] as string)).toEqual({
      ms: Date.parse('2026-12-03T16:30:06Z'),
      status: 'rejected',
      target: '222222222222',
      requestType: 'PING',
      nonce: NONCE,
    });
  });

  it('lists an account newest first and a nonce oldest first, as S3 sorts keys', () => {
    const times = [
      '2026-12-03T09:59:59Z',
      '2026-12-03T16:30:05Z',
      '2027-01-01T00:00:00Z',
      '2026-12-03T16:30:04Z',
    ];
    const keys = times.map((t, i) =>
      auditObjectKeys(event('PING', t, { nonce: NONCE, target_account: '333333333333' }, `e-${i}`)),
    );
    const byAccount = keys.map((k) => k[2] as string).sort();
    expect(byAccount.map((k) => parseAccountKey(k)?.ms)).toEqual(
      [...times].map(Date.parse).sort((a, b) => b - a),
    );
    const byNonce = keys.map((k) => k[1] as string).sort();
    expect(byNonce.map((k) => k.split('/')[2])).toEqual([
      '20261203T095959Z',
      '20261203T163004Z',
      '20261203T163005Z',
      '20270101T000000Z',
    ]);
  });

  it('keeps forged detail-types and nonces to one level of the key each', () => {
    const keys = auditObjectKeys(
      event('../../evil', '2026-12-03T16:30:05Z', { nonce: 'a/../../b', target_account: '../x' }, 'id/1'),
    );
    expect(keys).toEqual([
      'events/2026/12/03/16/.._.._evil/id_1.json',
      'by-nonce/a_.._.._b/20261203T163005Z/.._.._evil/id_1.json',
    ]);
    expect(auditObjectKeys(event('PING', 'yesterday', {}))).toEqual(['events/undated/PING/e-1.json']);
    expect(auditObjectKeys({ messageId: 'm/2', body: '{' })).toEqual(['events/unparsed/m_2.json']);
  });
});
