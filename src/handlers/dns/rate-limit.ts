import type { Clock } from '../accounts/lifecycle.js';

/**
 * Route 53 answers more than 5 requests per second per account with Throttling
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests).
 * A token bucket in front of every Route 53 call keeps the handler under it. Lambda runs up to
 * DNS_HANDLER_INSTANCES (src/protocol/names.ts) instances of the DNS handler at once, each with
 * its own bucket, so each takes its share of the rate; the SDK's retry strategy absorbs the rest
 * (Throttling, PriorRequestNotComplete).
 */
export const ROUTE53_REQUESTS_PER_SECOND = 5;

export interface TokenBucketOptions {
  /** Tokens added per second. */
  readonly ratePerSecond: number;
  /** Most tokens held at once (the largest burst). */
  readonly capacity: number;
  readonly clock: Clock;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Callers are served in arrival order: each waits for the one before it. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: TokenBucketOptions) {
    if (options.ratePerSecond <= 0 || options.capacity < 1) {
      throw new RangeError('a token bucket needs a positive rate and a capacity of at least 1');
    }
    this.tokens = options.capacity;
    this.last = options.clock.now().getTime();
  }

  /** Resolves when a token is available, and takes it. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.takeNow());
    this.queue = turn.catch(() => {});
    return turn;
  }

  private refill(): void {
    const now = this.options.clock.now().getTime();
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(
      this.options.capacity,
      this.tokens + (elapsed * this.options.ratePerSecond) / 1000,
    );
  }

  private async takeNow(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      const waitMs = Math.ceil(((1 - this.tokens) * 1000) / this.options.ratePerSecond);
      await this.options.clock.sleep(waitMs);
      this.refill();
    }
    this.tokens -= 1;
  }
}

/**
 * The bucket of the DNS handlers: Route 53's 5 requests/s, no burst above it, or one caller's
 * share of it when `sharedBy` callers with a bucket each run at once.
 */
export function route53Bucket(clock: Clock, sharedBy = 1): TokenBucket {
  const ratePerSecond = ROUTE53_REQUESTS_PER_SECOND / sharedBy;
  return new TokenBucket({ ratePerSecond, capacity: Math.max(1, Math.floor(ratePerSecond)), clock });
}
