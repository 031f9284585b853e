import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting HTTP proxy in front of moto: the emulator never throttles and never fails
 * on purpose, real AWS does both. Faults are decided by a seeded PRNG so a failing run can be
 * replayed with the same seed.
 */
export interface FaultRule {
  /** Which requests are eligible, e.g. /^Organizations\./ on `Service.Operation`. */
  readonly match: RegExp;
  /** Probability of answering with a throttling error instead of forwarding. */
  readonly throttle?: number;
  /** Probability of answering with an HTTP 500 instead of forwarding. */
  readonly serverError?: number;
  /**
   * Throttle by rate, as AWS does: the rule's requests beyond this many per second (a token
   * bucket holding one second's worth) are answered with a throttling error.
   */
  readonly ratePerSecond?: number;
}

export interface FaultCounts {
  throttled: number;
  serverErrors: number;
  forwarded: number;
  /** Faults (throttling and 500s) by service, e.g. `{ Route53: 12, S3: 30 }`. */
  readonly byService: Record<string, number>;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Live counters. */
  readonly injected: FaultCounts;
  /** A copy of the counters, to subtract from later ones. */
  snapshot(): FaultCounts;
  setRules(rules: readonly FaultRule[]): void;
  close(): Promise<void>;
}

/** mulberry32: tiny, seedable, good enough to pick faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `Service.Operation` of an AWS request: JSON protocols name it in X-Amz-Target, query protocols in Action=. */
export function operationOf(req: IncomingMessage, body: string): string {
  const target = req.headers['x-amz-target'];
  const auth = String(req.headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const names: Record<string, string> = {
    organizations: 'Organizations',
    events: 'EventBridge',
    sqs: 'SQS',
    sts: 'STS',
    iam: 'IAM',
    ssm: 'SSM',
    cloudformation: 'CloudFormation',
    route53: 'Route53',
    ecr: 'ECR',
    s3: 'S3',
    dynamodb: 'DynamoDB',
  };
  const serviceName = names[service] ?? service;
  if (typeof target === 'string' && target.includes('.')) return `${serviceName}.${target.split('.').pop()}`;
  const action =
    /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1] ?? /[?&]Action=([A-Za-z]+)/.exec(req.url ?? '')?.[1];
  return `${serviceName}.${action ?? req.method}`;
}

/**
 * A throttling answer in the wire format the caller's protocol parses: JSON protocols name the
 * error in `__type`; query and REST-XML services (STS, IAM, CloudFormation, Route 53, EC2) in an
 * XML `<Code>`; S3 says 503 SlowDown. An unparseable body would reach the SDK as an unclassified
 * error and never be retried, which is not what AWS does.
 */
export function throttleResponse(
  operation: string,
  requestContentType: string,
): { status: number; headers: Record<string, string>; body: string } {
  const service = operation.split('.')[0];
  // S3 before the content type: an object PUT carries its object's type (a JSON state document
  // is `application/json`), yet S3 always answers in XML.
  if (service === 'S3') {
    return {
      status: 503,
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate. (injected)</Message></Error>',
    };
  }
  if (requestContentType.includes('json')) {
    const code = service === 'Organizations' ? 'TooManyRequestsException' : 'ThrottlingException';
    return {
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ __type: code, message: 'Rate exceeded (injected)' }),
    };
  }
  return {
    status: 400,
    headers: { 'content-type': 'text/xml' },
    body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded (injected)</Message></Error><RequestId>injected</RequestId></ErrorResponse>',
  };
}

export async function startFaultProxy(
  upstream: string,
  seed = 1,
  rules: readonly FaultRule[] = [],
): Promise<FaultProxy> {
  const random = seededRandom(seed);
  const target = new URL(upstream);
  let current = rules;
  const injected: FaultCounts = { throttled: 0, serverErrors: 0, forwarded: 0, byService: {} };
  const fault = (operation: string) => {
    const service = operation.split('.')[0] as string;
    injected.byService[service] = (injected.byService[service] ?? 0) + 1;
  };
  // One token bucket per rate rule, full at the start.
  const buckets = new Map<FaultRule, { tokens: number; at: number }>();
  const overRate = (rule: FaultRule): boolean => {
    const rate = rule.ratePerSecond;
    if (rate === undefined) return false;
    const now = performance.now();
    const bucket = buckets.get(rule) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000);
    bucket.at = now;
    buckets.set(rule, bucket);
    if (bucket.tokens < 1) return true;
    bucket.tokens -= 1;
    return false;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = operationOf(req, body.toString('utf8'));
      const rule = current.find((r) => r.match.test(operation));
      if (rule) {
        const roll = random();
        if (roll < (rule.throttle ?? 0) || overRate(rule)) {
          injected.throttled++;
          fault(operation);
          const r = throttleResponse(operation, String(req.headers['content-type'] ?? ''));
          res.writeHead(r.status, r.headers).end(r.body);
          return;
        }
        if (roll < (rule.throttle ?? 0) + (rule.serverError ?? 0)) {
          injected.serverErrors++;
          fault(operation);
          res.writeHead(500, { 'content-type': 'text/plain' }).end('injected internal error');
          return;
        }
      }
      injected.forwarded++;
      const upstreamReq = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstreamReq.on('error', (e) => res.writeHead(502).end(String(e)));
      upstreamReq.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    injected,
    snapshot: () => ({ ...injected, byService: { ...injected.byService } }),
    setRules: (r) => {
      current = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
