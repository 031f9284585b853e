import type { StandardRetryBackoffStrategy } from '@smithy/types';

/**
 * The SDK's standard retry mode (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html)
 * already retries throttling (TooManyRequestsException, Throttling, SlowDown,
 * PriorRequestNotComplete, HTTP 429, ...), HTTP 500/502/503/504, timeouts and connection resets,
 * with jittered backoff and a retry quota that stops retry storms when a service keeps failing.
 * It does not retry Organizations' ConcurrentModificationException, an HTTP 400 that means
 * "the target of the operation is currently being modified by a different request; try again
 * later" (e.g. https://docs.aws.amazon.com/organizations/latest/APIReference/API_MoveAccount.html#API_MoveAccount_Errors):
 * that one is retried here as a transient error, with the same backoff and quota.
 */
export const TRANSIENT_CLIENT_ERRORS: ReadonlySet<string> = new Set(['ConcurrentModificationException']);

export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries (used against the emulator). */
  readonly maxAttempts: number;
  /** Backoff base and cap in ms; without them, the SDK's standard backoff. Tests set small ones. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Retry HTTP 5xx answers too (real AWS: yes; moto: its 500s are bugs, surface them). */
  readonly retryServerErrors: boolean;
  /**
   * Pace Organizations calls once throttled (the SDK's adaptive mode, retry-strategy.ts); on
   * unless false. A test turns it off to show what standard retries alone do.
   */
  readonly adaptive?: boolean;
}

/** Eight attempts: Organizations throttles account creation and moves hard. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  retryServerErrors: true,
};

/** Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(
  retryCount: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const base = policy.baseDelayMs ?? 100;
  const ceiling = Math.min(policy.maxDelayMs ?? 20_000, base * 2 ** retryCount);
  return Math.floor(random() * ceiling);
}

/** The policy's own delays for every error type (the SDK would raise the base for throttling). */
export function policyBackoff(policy: RetryPolicy): StandardRetryBackoffStrategy | undefined {
  if (policy.baseDelayMs === undefined && policy.maxDelayMs === undefined) return undefined;
  return {
    computeNextBackoffDelay: (retryCount) => backoffDelay(retryCount, policy),
    setDelayBase: () => {},
  };
}

/** Retries made by a family of clients (benchmarks and fault tests report it). */
export interface RetryTally {
  count: number;
}
