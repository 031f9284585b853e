/**
 * Call-counting HTTP proxy for the peer benchmark (`npm run bench:peer`): sits in front of one
 * moto server, counts every AWS call by operation, and answers the Support API's
 * DescribeSeverityLevels the way real AWS does for an account on Basic support.
 *
 * moto does not implement the Support API and replies with an HTML page; real AWS answers an
 * account without Business/Enterprise support with SubscriptionRequiredException (HTTP 400):
 * https://docs.aws.amazon.com/awssupport/latest/APIReference/API_DescribeSeverityLevels.html
 */
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The operation a request names: JSON protocols carry it in X-Amz-Target, Query ones as Action. */
export function operationOf(method: string, url: string, headers: IncomingHttpHeaders, body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action =
    new URLSearchParams(body).get('Action') ?? new URL(url, 'http://x').searchParams.get('Action');
  if (action) return action;
  // REST protocols (S3): method and first path segment are the closest stable name.
  const first = new URL(url, 'http://x').pathname.split('/').filter(Boolean).length;
  return `${method} ${first > 1 ? 'object' : first === 1 ? 'bucket' : 'service'}`;
}

export interface CannedAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The answer real AWS gives where moto has none; undefined means forward to moto. */
export function cannedAnswer(operation: string): CannedAnswer | undefined {
  if (operation !== 'DescribeSeverityLevels') return undefined;
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({
      __type: 'SubscriptionRequiredException',
      message: 'AWS Premium Support Subscription is required to use this service.',
    }),
  };
}

/** Counts calls per operation; `total` is the sum, answered calls included (the client made them). */
export class CallCounter {
  private readonly counts = new Map<string, number>();
  add(operation: string): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }
  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }
  reset(): void {
    this.counts.clear();
  }
}

export interface CountingProxy {
  readonly endpoint: string;
  readonly counter: CallCounter;
  close(): Promise<void>;
}

/** Starts the proxy on a free local port, forwarding to `target` (moto's endpoint). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const counter = new CallCounter();
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers, body.toString('utf8'));
      counter.add(op);
      const canned = cannedAnswer(op);
      if (canned) {
        res.writeHead(canned.status, canned.headers).end(canned.body);
        return;
      }
      const fwd = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', (e) => res.writeHead(502).end(String(e)));
      fwd.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counter,
    close: () => new Promise<void>((ok, ko) => server.close((e) => (e ? ko(e) : ok()))),
  };
}
