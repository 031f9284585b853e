import { DefaultRateLimiter, StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryErrorType, StandardRetryToken } from '@smithy/types';
import {
  DEFAULT_RETRY_POLICY,
  policyBackoff,
  type RetryPolicy,
  type RetryTally,
  TRANSIENT_CLIENT_ERRORS,
} from './retry.js';

/**
 * The lowest sending rate the adaptive limiter falls to, requests per second. Organizations
 * throttles by rate; once it has throttled a client, the limiter paces that client's calls (the
 * SDK's adaptive mode: CUBIC, lowered on each throttle, raised on success) and never below this.
 */
export const MIN_ADAPTIVE_RATE_PER_SECOND = 5;

/** A client-side sending rate, adapted to the service's throttling (the SDK's DefaultRateLimiter). */
export function adaptiveRate(): DefaultRateLimiter {
  return new DefaultRateLimiter({ minFillRate: MIN_ADAPTIVE_RATE_PER_SECOND });
}

/**
 * The SDK's StandardRetryStrategy with ConcurrentModificationException retried and, for the
 * emulator, 5xx surfaced at once. One instance per SDK client, as the SDK makes them, so each
 * client keeps its own retry quota; the tally is shared by every client of an AwsClients family.
 *
 * With `rate`, the SDK's adaptive retry mode besides
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): every attempt
 * first takes a token of a client-side rate limiter, which does nothing until the service
 * throttles and from then on paces the client to the rate the service accepts. Reading 1,000
 * accounts' tags with standard retries alone spends the retry quota on throttled attempts and
 * fails reads (docs/performance.md, "Throttling risk at scale"); paced, none are throttled.
 */
export class OrgbridgeRetryStrategy extends StandardRetryStrategy {
  constructor(
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    readonly tally: RetryTally = { count: 0 },
    readonly rate?: DefaultRateLimiter,
    /** True once the client is closed: a failed attempt is then not retried (see LazyClient). */
    readonly stopped: () => boolean = () => false,
  ) {
    const backoff = policyBackoff(policy);
    super({ maxAttempts: policy.maxAttempts, ...(backoff ? { backoff } : {}) });
  }

  override async acquireInitialRetryToken(scope: string): Promise<StandardRetryToken> {
    const token = await super.acquireInitialRetryToken(scope);
    await this.rate?.getSendToken();
    return token;
  }

  override async refreshRetryTokenForRetry(
    token: StandardRetryToken,
    info: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    if (this.stopped()) throw new Error('not retried: the AWS clients were closed');
    this.rate?.updateClientSendingRate(info);
    const status = info.error?.$metadata?.httpStatusCode ?? 0;
    if (status >= 500 && !this.policy.retryServerErrors) {
      throw new Error(`HTTP ${status} is not retried under this policy`);
    }
    const transient =
      info.errorType === 'CLIENT_ERROR' && TRANSIENT_CLIENT_ERRORS.has(info.error?.name ?? '');
    const next = await super.refreshRetryTokenForRetry(
      token,
      transient ? { ...info, errorType: 'TRANSIENT' as RetryErrorType } : info,
    );
    this.tally.count++;
    await this.rate?.getSendToken();
    return next;
  }

  override recordSuccess(token: StandardRetryToken): void {
    this.rate?.updateClientSendingRate({});
    super.recordSuccess(token);
  }
}
