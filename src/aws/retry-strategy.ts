import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import {
  DEFAULT_RETRY_POLICY,
  policyBackoff,
  type RetryPolicy,
  type RetryTally,
  TRANSIENT_CLIENT_ERRORS,
} from './retry.js';

/**
 * The SDK's StandardRetryStrategy with ConcurrentModificationException retried and, for the
 * emulator, 5xx surfaced at once. One instance per SDK client, as the SDK makes them, so each
 * client keeps its own retry quota; the tally is shared by every client of an AwsClients family.
 */
export class OrgbridgeRetryStrategy extends StandardRetryStrategy {
  constructor(
    readonly policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    readonly tally: RetryTally = { count: 0 },
  ) {
    const backoff = policyBackoff(policy);
    super({ maxAttempts: policy.maxAttempts, ...(backoff ? { backoff } : {}) });
  }

  override async refreshRetryTokenForRetry(
    token: StandardRetryToken,
    info: RetryErrorInfo,
  ): Promise<StandardRetryToken> {
    const status = info.error?.$metadata?.httpStatusCode ?? 0;
    if (status >= 500 && !this.policy.retryServerErrors) {
      throw new Error(`HTTP ${status} is not retried under this policy`);
    }
    const transient =
      info.errorType === 'CLIENT_ERROR' && TRANSIENT_CLIENT_ERRORS.has(info.error?.name ?? '');
    const next = await super.refreshRetryTokenForRetry(
      token,
      transient ? { ...info, errorType: 'TRANSIENT' } : info,
    );
    this.tally.count++;
    return next;
  }
}
