/**
 * A model of real-AWS wall time. On the emulator every call answers in milliseconds and an
 * account exists the moment CreateAccount returns, so emulator timings say nothing about a run
 * against AWS, where account creation takes minutes, stacks take tens of seconds and
 * Organizations throttles. This module replays a tool's work (its calls, waits and concurrency
 * structure) on a virtual clock with AWS's latencies, rate limits and concurrency quotas, so a
 * run of 1,000 accounts is modelled in well under a second, deterministically.
 *
 * The engine (Simulation, RateLimiter, Semaphore) knows nothing of AWS; the figures
 * (AWS_FIGURES) carry their sources; the workloads (orgbridge's pipeline, the peer's approach)
 * describe what each tool does, in the order and with the concurrency its code has.
 */

/** A virtual clock: tasks await `sleep`; `run` advances time to the next timer when all wait. */
export class Simulation {
  private clock = 0;
  private seq = 0;
  private readonly timers: { at: number; seq: number; wake: () => void }[] = [];

  get now(): number {
    return this.clock;
  }

  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((wake) => this.push({ at: this.clock + ms, seq: this.seq++, wake }));
  }

  /** Runs `main` to completion in virtual time; returns its result and the virtual ms it took. */
  async run<T>(main: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const start = this.clock;
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    main().then(
      (value) => {
        outcome = { ok: true, value };
      },
      (error: unknown) => {
        outcome = { ok: false, error };
      },
    );
    for (;;) {
      // Every continuation a timer released runs (microtasks) before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      if (outcome) break;
      const next = this.pop();
      if (!next) throw new Error('simulation stalled: every task waits and no timer is set');
      this.clock = next.at;
      next.wake();
      while (this.timers.length && (this.timers[0] as { at: number }).at === this.clock) this.pop()?.wake();
    }
    if (!outcome.ok) throw outcome.error;
    return { result: outcome.value, ms: this.clock - start };
  }

  // A binary heap ordered by (at, seq): timers fire in time order, ties in creation order.
  private push(timer: { at: number; seq: number; wake: () => void }): void {
    const h = this.timers;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p] as typeof timer, h[i] as typeof timer];
      i = p;
    }
  }

  private pop(): { at: number; seq: number; wake: () => void } | undefined {
    const h = this.timers;
    const top = h[0];
    const last = h.pop();
    if (!top || !last || !h.length) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as typeof top, h[i] as typeof top];
      i = m;
    }
    return top;
  }
}

function before(a?: { at: number; seq: number }, b?: { at: number; seq: number }): boolean {
  if (!a || !b) return false;
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A token bucket (`perSecond` sustained, `burst` at once) in front of a service. Callers queue
 * for a token: that is what a client does that backs off on throttling and retries (the SDK's
 * adaptive retry mode, https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html),
 * minus the requests it wastes; so the model is, if anything, kind to clients that retry blindly.
 */
export class RateLimiter {
  private tokens: number;
  private last = 0;
  constructor(
    private readonly sim: Simulation,
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): Promise<void> {
    const now = this.sim.now;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? Promise.resolve() : this.sim.sleep((-this.tokens * 1000) / this.perSecond);
  }
}

/** At most `limit` holders at once; others wait in arrival order. */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];
  maxHeld = 0;
  constructor(readonly limit: number) {}

  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.held >= this.limit) await new Promise<void>((go) => this.waiting.push(go));
    else this.held++;
    this.maxHeld = Math.max(this.maxHeld, this.held);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight (a tool's own worker pool). */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  const gate = new Semaphore(Math.max(1, limit));
  await Promise.all(items.map((item, i) => gate.use(() => fn(item, i))));
}

export type Service =
  | 'organizations'
  | 'sts'
  | 'cloudformation'
  | 'eventbridge'
  | 'ssm'
  | 'route53'
  | 'iam'
  | 's3'
  | 'other';

/** Latencies, rates and quotas of real AWS. Each figure says where it comes from. */
export interface AwsFigures {
  /** Round trip of one control-plane call from a client in the same partition. */
  readonly latencyMs: Readonly<Record<Service, number>>;
  /** Token buckets (per calling account) in front of a service, where AWS throttles noticeably. */
  readonly rate: Readonly<Partial<Record<Service, { readonly perSecond: number; readonly burst: number }>>>;
  /** From CreateAccount accepted to its status SUCCEEDED. */
  readonly accountCreationMs: number;
  /** Account creations AWS keeps in progress at once for one organization. */
  readonly creationsInProgress: number;
  /** Time to CREATE_COMPLETE of each kind of stack orgbridge (or the peer) deploys. */
  readonly stackMs: Readonly<Record<StackKind, number>>;
  /** What a StackSets operation adds around the stack it creates in one account. */
  readonly stackSetOperationMs: number;
  /** One EventBridge hop: PutEvents to a rule's target (another bus, or SQS then Lambda). */
  readonly eventHopMs: number;
  /** First invocation of a handler in an account (a Lambda cold start). */
  readonly coldStartMs: number;
}

export type StackKind = 'bus' | 'handlers' | 'baseline' | 'vpc' | 'dnsZone' | 'identity' | 'logs';

export const AWS_FIGURES: AwsFigures = {
  latencyMs: {
    // Organizations has one endpoint, in us-east-1, for every Region
    // (https://docs.aws.amazon.com/general/latest/gr/ao.html); AWS publishes no latency for it
    // or for the other control planes below: these are typical round trips, and the model's
    // results barely move with them (minutes of waiting dominate; see the sensitivity rows).
    organizations: 200,
    sts: 100,
    cloudformation: 150,
    eventbridge: 60,
    ssm: 60,
    route53: 150,
    iam: 150,
    s3: 60,
    other: 100,
  },
  rate: {
    // Organizations answers too many requests with TooManyRequestsException
    // (https://docs.aws.amazon.com/organizations/latest/APIReference/CommonErrors.html) but does
    // not publish the rate (https://github.com/awsdocs/aws-organizations-docs/issues/39); users
    // report throttling from a few requests per second per account. Assumed: 10/s, burst 20;
    // the bench also reports 5/s and 20/s.
    organizations: { perSecond: 10, burst: 20 },
    // Route 53: five requests per second per account
    // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests).
    route53: { perSecond: 5, burst: 5 },
  },
  // CreateAccount is asynchronous: "You might need to wait a few minutes before you can
  // successfully access the account"
  // (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateAccount.html).
  // Assumed 4 minutes; the bench also reports 2 and 8.
  accountCreationMs: 4 * 60_000,
  // Organizations keeps at most five account creations in progress per organization (the
  // Organizations quotas, https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html;
  // orgbridge's MAX_CREATIONS_IN_FLIGHT).
  creationsInProgress: 5,
  // CloudFormation publishes no durations. A stack takes as long as its slowest resources:
  // IAM roles and SQS queues tens of seconds, a Lambda function with its role about a minute,
  // a NAT gateway minutes ("It can take a few minutes for the NAT gateway to become
  // available", https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html),
  // a hosted zone until its change is INSYNC ("generally within 60 seconds",
  // https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html). Assumed:
  stackMs: {
    bus: 45_000,
    handlers: 90_000,
    baseline: 90_000,
    vpc: 240_000,
    dnsZone: 60_000,
    identity: 60_000,
    logs: 45_000,
  },
  // A StackSets operation is queued and runs per account and Region
  // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html#stackset-ops-options);
  // assumed 30 s around the stack itself.
  stackSetOperationMs: 30_000,
  // EventBridge delivers asynchronously and at least once
  // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html); the
  // SQS event source of Lambda long-polls, so a message is picked up as it arrives
  // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). Assumed 0.5 s a hop.
  eventHopMs: 500,
  // Assumed: a Node.js function importing its SDK clients
  // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-ib).
  coldStartMs: 1_000,
};

/** The simulated AWS a workload runs against: latencies, throttling and the creation quota. */
export class AwsModel {
  readonly sim = new Simulation();
  readonly calls = new Map<string, number>();
  private readonly limiters = new Map<string, RateLimiter>();
  /** The organization's account creations in progress (AWS's quota, whatever the client does). */
  readonly creations: Semaphore;
  private readonly warm = new Set<string>();

  constructor(readonly figures: AwsFigures = AWS_FIGURES) {
    this.creations = new Semaphore(figures.creationsInProgress);
  }

  /** One API call from `account` (rate limits are per calling account). */
  async call(service: Service, operation: string, account = 'management'): Promise<void> {
    const key = `${service}.${operation}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const rate = this.figures.rate[service];
    if (rate) {
      const id = `${service}@${account}`;
      let limiter = this.limiters.get(id);
      if (!limiter) {
        limiter = new RateLimiter(this.sim, rate.perSecond, rate.burst);
        this.limiters.set(id, limiter);
      }
      await limiter.take();
    }
    await this.sim.sleep(this.figures.latencyMs[service]);
  }

  get totalCalls(): number {
    let sum = 0;
    for (const n of this.calls.values()) sum += n;
    return sum;
  }

  /** A request over EventBridge to a handler in `account` and its reply (two hops). */
  async request(account: string, work: () => Promise<void>): Promise<void> {
    await this.call('eventbridge', 'PutEvents', 'cicd');
    await this.sim.sleep(this.figures.eventHopMs);
    if (!this.warm.has(account)) {
      this.warm.add(account);
      await this.sim.sleep(this.figures.coldStartMs);
    }
    await work();
    await this.call('eventbridge', 'PutEvents', account);
    await this.sim.sleep(this.figures.eventHopMs);
  }

  /** A stack created and waited for (DescribeStacks polled every 5 s, as SDK waiters do). */
  async stack(kind: StackKind, account: string): Promise<void> {
    await this.call('cloudformation', 'CreateStack', account);
    const done = this.sim.now + this.figures.stackMs[kind];
    while (this.sim.now < done) {
      await this.sim.sleep(Math.min(5_000, done - this.sim.now + 1));
      await this.call('cloudformation', 'DescribeStacks', account);
    }
  }
}

/** A named interval on one lane (an account, or the organization): the critical path's pieces. */
export interface Segment {
  readonly lane: string;
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export class Tracer {
  readonly segments: Segment[] = [];
  constructor(private readonly sim: Simulation) {}

  async span<T>(lane: string, name: string, fn: () => Promise<T>): Promise<T> {
    const start = this.sim.now;
    try {
      return await fn();
    } finally {
      this.segments.push({ lane, name, start, end: this.sim.now });
    }
  }

  /** `fn` once `gate` lets it run; the wait for the gate is a segment of its own, named after it. */
  async slot<T>(
    lane: string,
    gateName: string,
    gate: Semaphore,
    name: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const queued = this.sim.now;
    return gate.use(async () => {
      if (this.sim.now > queued)
        this.segments.push({ lane, name: `waiting for ${gateName}`, start: queued, end: this.sim.now });
      return this.span(lane, name, fn);
    });
  }

  /**
   * The critical path: the lane that finished last, its segments in order, with the organization-
   * wide segments it waited for and the time it spent queued between them.
   */
  criticalPath(gapName = 'waiting'): { name: string; ms: number }[] {
    const last = this.segments.reduce<Segment | undefined>(
      (a, s) => (!a || s.end > a.end ? s : a),
      undefined,
    );
    if (!last) return [];
    const mine = this.segments
      .filter((s) => s.lane === last.lane || s.lane === 'organization')
      .sort((a, b) => a.start - b.start || a.end - b.end);
    const path: { name: string; ms: number }[] = [];
    let at = 0;
    for (const s of mine) {
      if (s.end <= at) continue;
      if (s.start > at) path.push({ name: gapName, ms: s.start - at });
      path.push({
        name: s.lane === 'organization' ? s.name : `${s.name} (${s.lane})`,
        ms: s.end - Math.max(at, s.start),
      });
      at = s.end;
    }
    return path;
  }
}

/** mulberry32: a seeded PRNG, so the retry jitter of a modelled run is the same every time. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A service that throttles: a token bucket that answers "too many requests" when empty instead
 * of queueing the caller (what Organizations does, TooManyRequestsException).
 */
export class ThrottlingService {
  private tokens: number;
  private last = 0;
  accepted = 0;
  throttled = 0;
  constructor(
    private readonly sim: Simulation,
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** True when the request is served, false when throttled. */
  admit(): boolean {
    const now = this.sim.now;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.accepted++;
      return true;
    }
    this.throttled++;
    return false;
  }
}

/**
 * The SDK's standard retry mode as @smithy/core implements it
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): a throttled
 * attempt is retried after a full-jitter delay (base 1 s for throttling, doubling, cap 20 s)
 * while attempts remain (orgbridge: 8) and the client's retry quota (500, 5 per throttled retry,
 * given back on the retried call's success, 1 back per first-attempt success) allows; otherwise
 * the call fails. One quota per SDK client, shared by every call the client makes.
 */
export class StandardRetryClient {
  private capacity = 500;
  failed = 0;
  private readonly random: () => number;
  constructor(
    private readonly sim: Simulation,
    private readonly service: ThrottlingService,
    private readonly latencyMs: number,
    private readonly maxAttempts = 8,
    seed = 1,
  ) {
    this.random = seeded(seed);
  }

  /** One call; false when it failed (throttled past its attempts or the quota). */
  async call(): Promise<boolean> {
    let cost = 0;
    for (let retries = 0; ; retries++) {
      await this.sim.sleep(this.latencyMs);
      if (this.service.admit()) {
        this.capacity = Math.min(500, this.capacity + (cost || 1));
        return true;
      }
      if (retries + 1 >= this.maxAttempts || this.capacity < 5) {
        this.failed++;
        return false;
      }
      cost = 5;
      this.capacity -= cost;
      await this.sim.sleep(Math.floor(this.random() * Math.min(1_000 * 2 ** retries, 20_000)));
    }
  }
}

/**
 * `reads` Organizations reads, `inFlight` at a time, against a service throttling at `perSecond`:
 * with the SDK's standard retries, or paced by a client-side rate at the service's rate.
 */
export async function modelThrottledReads(
  reads: number,
  inFlight: number,
  paced: boolean,
  figures: AwsFigures = AWS_FIGURES,
): Promise<{ ms: number; throttled: number; failed: number }> {
  const sim = new Simulation();
  const rate = figures.rate.organizations ?? { perSecond: 10, burst: 20 };
  const service = new ThrottlingService(sim, rate.perSecond, rate.burst);
  const client = new StandardRetryClient(sim, service, figures.latencyMs.organizations);
  const pace = paced ? new RateLimiter(sim, rate.perSecond, rate.burst) : undefined;
  const { ms } = await sim.run(() =>
    pool(
      Array.from({ length: reads }, (_, i) => i),
      inFlight,
      async () => {
        await pace?.take();
        await client.call();
      },
    ),
  );
  return { ms, throttled: service.throttled, failed: client.failed };
}
