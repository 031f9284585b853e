import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessagingLog } from '../../../src/bus/log.js';
import { leaseMessages, type MessageLeaseOptions } from '../../../src/runtime/lease.js';

/** A queue and an idempotency store that record what the lease asks of them, at what time. */
function fakes(options: { failVisibility?: number; lost?: string[] } = {}) {
  const visibility: { at: number; seconds: number; handles: readonly string[] }[] = [];
  const renewals: { at: number; until: number }[] = [];
  const logs: { level: string; message: string }[] = [];
  let failures = options.failVisibility ?? 0;
  const log: MessagingLog = {
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const base = (over: Partial<MessageLeaseOptions> = {}): MessageLeaseOptions => ({
    queue: {
      async changeVisibility(handles, seconds) {
        if (failures > 0) {
          failures--;
          throw new Error('Throttling');
        }
        visibility.push({ at: Date.now(), seconds, handles });
      },
    },
    store: {
      async extendInProgress(until) {
        renewals.push({ at: Date.now(), until });
        return { extended: 1, lost: options.lost ?? [] };
      },
    },
    receiptHandles: ['h1', 'h2'],
    visibilitySeconds: 3,
    maxLeaseSeconds: 900,
    log,
    ...over,
  });
  return { visibility, renewals, logs, base };
}

describe('leaseMessages', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('extends the messages and the in-progress records to now + visibility every third of it', async () => {
    const f = fakes();
    const lease = leaseMessages(f.base());
    expect(lease.deadline()).toBe(3_000);
    await vi.advanceTimersByTimeAsync(999);
    expect(f.visibility).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.visibility).toEqual([{ at: 1_000, seconds: 3, handles: ['h1', 'h2'] }]);
    expect(f.renewals).toEqual([{ at: 1_000, until: 4_000 }]);
    await vi.advanceTimersByTimeAsync(9_000);
    expect(f.visibility.map((v) => v.at)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1_000));
    expect(lease.deadline()).toBe(13_000);
    expect(lease.beats).toBe(10);
    await lease.release();
  });

  it('stops extending at the limit, and expires then, saying so', async () => {
    const f = fakes();
    const lease = leaseMessages(f.base({ visibilitySeconds: 3, maxLeaseSeconds: 5 }));
    let expiredAt: number | undefined;
    void lease.expired.then(() => {
      expiredAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(10_000);
    // 1 s: to 4 s; 2 s: to 5 s (capped, 3 s from now); 3 s: the bound, no further.
    expect(f.visibility.map((v) => [v.at, v.seconds])).toEqual([
      [1_000, 3],
      [2_000, 3],
    ]);
    expect(f.renewals.map((r) => r.until)).toEqual([4_000, 5_000]);
    expect(lease.deadline()).toBe(5_000);
    expect(expiredAt).toBe(5_000);
    expect(f.logs).toEqual([
      {
        level: 'error',
        message: 'message lease limit reached: no longer waiting for the batch; SQS will redeliver',
      },
    ]);
    await lease.release();
  });

  it('never extends a visibility that already covers the limit, and still expires at the limit', async () => {
    const f = fakes();
    const lease = leaseMessages(f.base({ visibilitySeconds: 1_800, maxLeaseSeconds: 300 }));
    let expiredAt: number | undefined;
    void lease.expired.then(() => {
      expiredAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(600_001);
    expect(f.visibility).toEqual([]);
    expect(lease.deadline()).toBe(1_800_000);
    // Lambda kills at its timeout, not when the message reappears.
    expect(expiredAt).toBe(300_000);
    await lease.release();
  });

  it('stops beating on release', async () => {
    const f = fakes();
    const lease = leaseMessages(f.base());
    await vi.advanceTimersByTimeAsync(2_500);
    await lease.release();
    let expired = false;
    void lease.expired.then(() => {
      expired = true;
    });
    await vi.advanceTimersByTimeAsync(1_000_000);
    expect(f.visibility).toHaveLength(2);
    expect(expired).toBe(false);
  });

  it('logs a failed extension, keeps the deadline, and tries again at the next beat', async () => {
    const f = fakes({ failVisibility: 1 });
    const lease = leaseMessages(f.base());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lease.deadline()).toBe(3_000);
    expect(f.renewals).toEqual([]);
    expect(f.logs.map((l) => l.message)).toEqual(['extending the message lease failed']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lease.deadline()).toBe(5_000);
    expect(f.renewals).toEqual([{ at: 2_000, until: 5_000 }]);
    await lease.release();
  });

  it('reports in-progress records it no longer holds', async () => {
    const f = fakes({ lost: ['orgbridge#abc'] });
    const lease = leaseMessages(f.base());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(f.logs).toEqual([
      { level: 'warn', message: 'in-progress record no longer held: completed or taken over' },
    ]);
    await lease.release();
  });
});
