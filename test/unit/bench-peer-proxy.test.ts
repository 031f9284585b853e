import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { CallCounter, cannedAnswer, operationOf, startCountingProxy } from '../../bench/peer/proxy.js';

describe('peer benchmark proxy', () => {
  it('names the operation from X-Amz-Target, a Query Action, or the REST shape', () => {
    expect(operationOf('POST', '/', { 'x-amz-target': 'AWSOrganizationsV20161128.MoveAccount' }, '{}')).toBe(
      'MoveAccount',
    );
    expect(operationOf('POST', '/', {}, 'Action=AssumeRole&Version=2011-06-15')).toBe('AssumeRole');
    expect(operationOf('PUT', '/bucket/key', {}, '')).toBe('PUT object');
    expect(operationOf('GET', '/bucket', {}, '')).toBe('GET bucket');
  });

  it('answers DescribeSeverityLevels as AWS does for Basic support, and nothing else', () => {
    const a = cannedAnswer('DescribeSeverityLevels');
    expect(a?.status).toBe(400);
    expect(JSON.parse(a?.body ?? '{}').__type).toBe('SubscriptionRequiredException');
    expect(cannedAnswer('ListAccounts')).toBeUndefined();
  });

  it('counts per operation and in total', () => {
    const c = new CallCounter();
    c.add('B');
    c.add('A');
    c.add('B');
    expect(c.snapshot()).toEqual({ A: 1, B: 2 });
    expect(c.total).toBe(3);
    c.reset();
    expect(c.total).toBe(0);
  });

  const upstream = createServer((req, res) => res.end(`upstream:${req.headers['x-amz-target'] ?? ''}`));
  afterAll(() => new Promise<void>((ok) => upstream.close(() => ok())));

  it('forwards other calls upstream, answers the Support call itself, and counts both', async () => {
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    const proxy = await startCountingProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    const call = (target: string) =>
      new Promise<{ status: number; body: string }>((ok, ko) => {
        const r = request(
          `${proxy.endpoint}/`,
          { method: 'POST', headers: { 'x-amz-target': target } },
          (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
          },
        );
        r.on('error', ko);
        r.end('{}');
      });
    expect(await call('AWSOrganizationsV20161128.ListAccounts')).toEqual({
      status: 200,
      body: 'upstream:AWSOrganizationsV20161128.ListAccounts',
    });
    expect((await call('AWSSupport_20130415.DescribeSeverityLevels')).status).toBe(400);
    expect(proxy.counter.snapshot()).toEqual({ DescribeSeverityLevels: 1, ListAccounts: 1 });
    await proxy.close();
  });
});
