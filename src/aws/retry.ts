import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

/**
 * Error names that mean "try again later" across the services orgbridge calls. Organizations
 * answers bursts with TooManyRequestsException and serialises writes with
 * ConcurrentModificationException ("another request is already in progress"); neither is
 * retried by the SDK's standard strategy for the latter. Route 53 says PriorRequestNotComplete.
 */
export const RETRYABLE_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'ConcurrentModificationException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'PriorRequestNotComplete',
  'SlowDown',
  'ServiceUnavailable',
  'InternalFailure',
]);

export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries (used against the emulator). */
  readonly maxAttempts: number;
  /** Base delay of the exponential backoff, in ms. */
  readonly baseDelayMs: number;
  /** Upper bound of one delay, in ms. */
  readonly maxDelayMs: number;
  /** Retry HTTP 5xx answers too (real AWS: yes; moto: its 500s are bugs, surface them). */
  readonly retryServerErrors: boolean;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 100,
  maxDelayMs: 20_000,
  retryServerErrors: true,
};

export function isRetryableError(info: RetryErrorInfo, policy: RetryPolicy): boolean {
  const name = info.error?.name;
  if (name && RETRYABLE_ERROR_NAMES.has(name)) return true;
  if (info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT') return true;
  return info.errorType === 'SERVER_ERROR' && policy.retryServerErrors;
}

/** Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(
  retryCount: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryCount);
  return Math.floor(random() * ceiling);
}

class Token implements RetryToken {
  constructor(
    private readonly count: number,
    private readonly delay: number,
  ) {}
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return this.delay;
  }
}

/**
 * The SDK retry strategy for every orgbridge client: the SDK sleeps `getRetryDelay()` between
 * attempts and stops when `refreshRetryTokenForRetry` throws.
 */
export class OrgbridgeRetryStrategy implements RetryStrategyV2 {
  /** Retries performed by every client sharing this strategy: reported by benchmarks. */
  retries = 0;

  constructor(readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY) {}

  async acquireInitialRetryToken(): Promise<RetryToken> {
    return new Token(0, 0);
  }

  async refreshRetryTokenForRetry(token: RetryToken, info: RetryErrorInfo): Promise<RetryToken> {
    const next = token.getRetryCount() + 1;
    if (next >= this.policy.maxAttempts || !isRetryableError(info, this.policy)) {
      throw new Error('retry budget exhausted or error not retryable');
    }
    this.retries++;
    const hinted = info.retryAfterHint ? Math.max(0, info.retryAfterHint.getTime() - Date.now()) : 0;
    return new Token(next, Math.max(hinted, backoffDelay(next - 1, this.policy)));
  }

  recordSuccess(): void {}
}
