import type { SdkError } from '@smithy/types';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY, OrgbridgeRetryStrategy } from '../../../src/aws/retry.js';
import { AwsOperationError } from '../../../src/errors.js';

const err = (name: string): SdkError => {
  const e = new Error(name) as SdkError;
  e.name = name;
  return e;
};

describe('OrgbridgeRetryStrategy', () => {
  it('retries Organizations throttling and concurrent-modification errors, then gives up', async () => {
    const strategy = new OrgbridgeRetryStrategy({ ...DEFAULT_RETRY_POLICY, maxAttempts: 3 });
    let token = await strategy.acquireInitialRetryToken();
    token = await strategy.refreshRetryTokenForRetry(token, {
      errorType: 'CLIENT_ERROR',
      error: err('ConcurrentModificationException'),
    });
    expect(token.getRetryCount()).toBe(1);
    token = await strategy.refreshRetryTokenForRetry(token, {
      errorType: 'CLIENT_ERROR',
      error: err('TooManyRequestsException'),
    });
    expect(token.getRetryCount()).toBe(2);
    await expect(
      strategy.refreshRetryTokenForRetry(token, {
        errorType: 'THROTTLING',
        error: err('TooManyRequestsException'),
      }),
    ).rejects.toThrow(/exhausted/);
    expect(strategy.retries).toBe(2);
  });

  it('does not retry client errors such as validation failures', async () => {
    const strategy = new OrgbridgeRetryStrategy();
    const token = await strategy.acquireInitialRetryToken();
    await expect(
      strategy.refreshRetryTokenForRetry(token, {
        errorType: 'CLIENT_ERROR',
        error: err('ValidationException'),
      }),
    ).rejects.toThrow();
  });

  it('surfaces server errors at once when told to (the emulator policy)', async () => {
    const strategy = new OrgbridgeRetryStrategy({ ...DEFAULT_RETRY_POLICY, retryServerErrors: false });
    const token = await strategy.acquireInitialRetryToken();
    await expect(strategy.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR' })).rejects.toThrow();
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
