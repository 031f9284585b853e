import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, SdkError } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY } from '../../../src/aws/retry.js';
import { OrgbridgeRetryStrategy } from '../../../src/aws/retry-strategy.js';
import { AwsOperationError } from '../../../src/errors.js';

const err = (name: string): SdkError => {
  const e = new Error(name) as SdkError;
  e.name = name;
  return e;
};

/** Millisecond delays so the tests do not wait the SDK's real backoff. */
const FAST = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 2 };

const failure = (name: string, errorType: RetryErrorInfo['errorType'], status = 400): RetryErrorInfo => ({
  errorType,
  error: Object.assign(err(name), { $metadata: { httpStatusCode: status } }),
});

describe('OrgbridgeRetryStrategy', () => {
  it("retries Organizations' ConcurrentModificationException, which the SDK's standard strategy does not", async () => {
    const cme = failure('ConcurrentModificationException', 'CLIENT_ERROR');
    const standard = new StandardRetryStrategy(3);
    await expect(
      standard.refreshRetryTokenForRetry(await standard.acquireInitialRetryToken('Organizations'), cme),
    ).rejects.toThrow();

    const strategy = new OrgbridgeRetryStrategy({ ...FAST, maxAttempts: 3 });
    let token = await strategy.acquireInitialRetryToken('Organizations');
    token = await strategy.refreshRetryTokenForRetry(token, cme);
    expect(token.getRetryCount()).toBe(1);
    token = await strategy.refreshRetryTokenForRetry(
      token,
      failure('TooManyRequestsException', 'THROTTLING'),
    );
    expect(token.getRetryCount()).toBe(2);
    // The third attempt was the last one.
    await expect(strategy.refreshRetryTokenForRetry(token, cme)).rejects.toThrow();
    expect(strategy.tally.count).toBe(2);
  });

  it('does not retry client errors such as validation failures', async () => {
    const strategy = new OrgbridgeRetryStrategy(FAST);
    const token = await strategy.acquireInitialRetryToken('Organizations');
    await expect(
      strategy.refreshRetryTokenForRetry(token, failure('ValidationException', 'CLIENT_ERROR')),
    ).rejects.toThrow();
    expect(strategy.tally.count).toBe(0);
  });

  it("keeps the SDK's retry quota: a failing service exhausts it, successes refill it", async () => {
    const strategy = new OrgbridgeRetryStrategy({ ...FAST, maxAttempts: 1_000 });
    const full = strategy.getCapacity();
    const throttled = failure('ConcurrentModificationException', 'CLIENT_ERROR');
    let token = await strategy.acquireInitialRetryToken('Organizations');
    const refused = await (async () => {
      for (let i = 0; i < 1_000; i++) token = await strategy.refreshRetryTokenForRetry(token, throttled);
    })().then(
      () => false,
      () => true,
    );
    expect(refused).toBe(true);
    // Refused for want of quota, long before the 1,000 attempts: each retry cost some of it.
    expect(strategy.tally.count).toBeGreaterThan(10);
    expect(strategy.tally.count).toBeLessThan(200);
    expect(strategy.getCapacity()).toBeLessThan(full);
    strategy.recordSuccess(token);
    expect(strategy.getCapacity()).toBeGreaterThan(0);
  });

  it('surfaces server errors at once when told to (the emulator policy), retries them otherwise', async () => {
    const serverError = failure('InternalFailure', 'TRANSIENT', 500);
    const surfaced = new OrgbridgeRetryStrategy({ ...FAST, retryServerErrors: false });
    await expect(
      surfaced.refreshRetryTokenForRetry(await surfaced.acquireInitialRetryToken('SQS'), serverError),
    ).rejects.toThrow(/HTTP 500/);
    const retried = new OrgbridgeRetryStrategy(FAST);
    const token = await retried.refreshRetryTokenForRetry(
      await retried.acquireInitialRetryToken('SQS'),
      serverError,
    );
    expect(token.getRetryCount()).toBe(1);
  });

  it('uses full-jitter exponential backoff capped by maxDelayMs', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1_000 };
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});

describe('AwsOperationError', () => {
  it('says how many times the SDK retried before giving up (its $metadata.attempts)', () => {
    const throttled = Object.assign(err('Throttling'), { $metadata: { attempts: 10 } });
    expect(new AwsOperationError('assuming arn:aws:iam::111122223333:role/R', throttled).message).toBe(
      'assuming arn:aws:iam::111122223333:role/R: Throttling: Throttling, retried 9 times',
    );
    const once = Object.assign(err('Throttling'), { $metadata: { attempts: 2 } });
    expect(new AwsOperationError('x', once).message).toBe('x: Throttling: Throttling, retried 1 time');
    const first = Object.assign(err('AccessDenied'), { $metadata: { attempts: 1 } });
    expect(new AwsOperationError('x', first).message).toBe('x: AccessDenied: AccessDenied');
    expect(new AwsOperationError('x', 'plain').message).toBe('x: Error: plain');
  });
});
