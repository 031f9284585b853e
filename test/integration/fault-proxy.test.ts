import { ListAccountsCommand } from '@aws-sdk/client-organizations';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients, DEFAULT_RETRY_POLICY, emulatorContext } from '../../src/aws/index.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { createOrganization, useMoto } from '../support/moto.js';

describe('fault proxy + retry strategy', () => {
  const moto = useMoto();
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(moto().server.endpoint, 42);
    await createOrganization(moto().management);
  });
  afterAll(() => proxy?.close());

  it('injects Organizations throttling that the SDK sees as TooManyRequestsException', async () => {
    proxy.setRules([{ match: /^Organizations\./, throttle: 1 }]);
    const clients = new AwsClients(emulatorContext(proxy.endpoint));
    const err = await clients
      .organizations()
      .send(new ListAccountsCommand({}))
      .catch((e: Error) => e);
    expect((err as Error).name).toBe('TooManyRequestsException');
    expect(proxy.injected.throttled).toBe(1);
    clients.destroy();
  });

  it('converges through 20 % throttling with the jittered retry policy', async () => {
    proxy.setRules([{ match: /^Organizations\./, throttle: 0.2 }]);
    const clients = new AwsClients(
      emulatorContext(proxy.endpoint, { retry: { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1, maxDelayMs: 5 } }),
    );
    const before = proxy.injected.throttled;
    for (let i = 0; i < 40; i++) {
      const out = await clients.organizations().send(new ListAccountsCommand({}));
      expect(out.Accounts?.length).toBe(1);
    }
    expect(proxy.injected.throttled - before).toBeGreaterThan(0);
    expect(clients.retries.count).toBe(proxy.injected.throttled - before);
    clients.destroy();
  });
});

describe('fault proxy: throttling in every wire protocol', () => {
  const moto = useMoto();
  const BUCKET = 'orgbridge-fault-proxy-test';
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(moto().server.endpoint, 7);
    await moto()
      .management.s3()
      .send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterAll(() => proxy?.close());

  it.each([
    ['STS (query/XML)', /^STS\./, (c: AwsClients) => c.sts().send(new GetCallerIdentityCommand({}))],
    [
      'Route 53 (REST-XML)',
      /^Route53\./,
      (c: AwsClients) => c.route53().send(new ListHostedZonesCommand({})),
    ],
    ['S3 (REST-XML)', /^S3\./, (c: AwsClients) => c.s3().send(new ListBucketsCommand({}))],
    // An object PUT carries the object's content type; S3 still answers in XML (a JSON body here
    // once made the pipeline's S3 state writes fail unretried).
    [
      'S3 PutObject of a JSON document',
      /^S3\./,
      (c: AwsClients) =>
        c.s3().send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: 'state.json',
            Body: '{}',
            ContentType: 'application/json',
          }),
        ),
    ],
  ])('%s throttling is classified and retried until the call succeeds', async (_name, match, call) => {
    proxy.setRules([{ match, throttle: 0.5 }]);
    const clients = new AwsClients(
      emulatorContext(proxy.endpoint, {
        retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: 30, baseDelayMs: 1, maxDelayMs: 2 },
      }),
    );
    const before = proxy.injected.throttled;
    for (let i = 0; i < 10; i++) await call(clients);
    expect(proxy.injected.throttled - before).toBeGreaterThan(0);
    expect(clients.retries.count).toBe(proxy.injected.throttled - before);
    clients.destroy();
  });
});
