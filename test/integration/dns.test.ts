import { CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ParameterPort,
  type Route53Port,
  route53Port,
  ssmParameterPort,
} from '../../src/handlers/dns/ports.js';
import { TokenBucket } from '../../src/handlers/dns/rate-limit.js';
import {
  aliasRecord,
  type DnsRecordWriter,
  dnsCreateAliasHandler,
  dnsRecordWriter,
  validationRecord,
} from '../../src/handlers/dns/records.js';
import { ensureAccountZone, readAccountDnsPermissions } from '../../src/handlers/dns/zones.js';
import type { HandlerContext } from '../../src/handlers/types.js';
import { useMoto } from '../support/moto.js';

/** The DNS account is moto's default account; account A and B only appear as senders. */
const A = '111111111111';
const B = '222222222222';
const PARENT = 'aws.example.com';
const instantClock = { now: () => new Date(), sleep: async () => {} };

describe('central DNS on the emulator', () => {
  const moto = useMoto();
  let route53: Route53Port;
  let parameters: ParameterPort;
  let writer: DnsRecordWriter;
  const warnings: string[] = [];

  const records = async (zone: string) => {
    const id = (await route53.findPublicZone(zone))?.id;
    const out = await moto()
      .management.route53()
      .send(new ListResourceRecordSetsCommand({ HostedZoneId: id }));
    return (out.ResourceRecordSets ?? []).map((r) => ({
      name: r.Name?.replace(/\.$/, ''),
      type: r.Type,
      values: (r.ResourceRecords ?? []).map((v) => v.Value),
      alias: r.AliasTarget?.DNSName,
    }));
  };

  beforeAll(async () => {
    const clients = moto().management;
    route53 = route53Port(clients.route53());
    parameters = ssmParameterPort(clients.ssm());
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    for (const zone of [PARENT, 'a-domain.com', 'b-domain.com', 'evil-a-domain.com']) {
      await clients
        .route53()
        .send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `test-${zone}` }));
    }
    await ensureAccountZone(
      { route53, parameters, bucket },
      {
        accountId: A,
        accountName: 'a',
        parentDomain: PARENT,
        allowedDomains: ['a-domain.com'],
      },
    );
    await ensureAccountZone(
      { route53, parameters, bucket },
      {
        accountId: B,
        accountName: 'b',
        parentDomain: PARENT,
        allowedDomains: ['B-Domain.com.'],
      },
    );
    writer = dnsRecordWriter({
      route53,
      parameters,
      bucket,
      log: { info: () => {}, warn: (m) => warnings.push(m), error: () => {} },
    });
  });

  it('creates one zone per account, delegated from the parent, and exports permissions', async () => {
    const parent = await records(PARENT);
    const delegation = parent.find((r) => r.name === 'a.aws.example.com' && r.type === 'NS');
    expect(delegation?.values.length).toBeGreaterThan(0);
    expect(await readAccountDnsPermissions(parameters, B)).toEqual({
      zone: 'b.aws.example.com',
      allowedDomains: ['b-domain.com'],
      parentDomain: PARENT,
    });
    // A second run finds everything in place.
    const again = await ensureAccountZone(
      {
        route53,
        parameters,
        bucket: new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock }),
      },
      { accountId: A, accountName: 'a', parentDomain: PARENT, allowedDomains: ['a-domain.com'] },
    );
    expect(again.created).toBe(false);
  });

  it('takes three Route 53 calls for a new zone once the parent is known, the delegation as before', async () => {
    const clients = moto().management;
    const before = { ...clients.counter.snapshot() };
    const ports = {
      route53,
      parameters,
      bucket: new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock }),
      parents: new Map(),
    };
    for (const [id, name] of [
      ['777777777777', 'c'],
      ['888888888888', 'd'],
    ] as const) {
      await ensureAccountZone(ports, {
        accountId: id,
        accountName: name,
        parentDomain: PARENT,
        allowedDomains: [],
      });
    }
    const after = clients.counter.snapshot();
    const calls = (op: string) => (after[`Route53.${op}`] ?? 0) - (before[`Route53.${op}`] ?? 0);
    // The parent looked up once for both; each zone: look up, create (which names its name
    // servers), delegate.
    expect([calls('ListHostedZonesByName'), calls('CreateHostedZone'), calls('GetHostedZone')]).toEqual([
      3, 2, 0,
    ]);
    expect(calls('ChangeResourceRecordSets')).toBe(2);
    const delegation = (await records(PARENT)).find((r) => r.name === 'd.aws.example.com' && r.type === 'NS');
    expect(delegation?.values.length).toBeGreaterThan(0);
  });

  const envelope = {
    nonce: '5f0c4c3e-8d4a-4f57-9a43-6a3f1f0b2b11',
    dryrun: false,
    target_account: '123456789012',
  };
  const alias = (name: string) =>
    aliasRecord({
      ...envelope,
      name,
      alias_target: { dns_name: 'my-lb-1234.us-east-1.elb.amazonaws.com.', hosted_zone_id: 'Z35SXDOTRQ7X7K' },
    });

  it('lets account A write api.a-domain.com, idempotently', async () => {
    expect(await writer.write('DNS_CREATE_ALIAS', A, alias('api.a-domain.com'))).toEqual({
      name: 'api.a-domain.com',
      type: 'A',
      zone: 'a-domain.com',
      zoneId: expect.any(String),
    });
    await writer.write('DNS_CREATE_ALIAS', A, alias('API.a-domain.com.'));
    const written = (await records('a-domain.com')).filter((r) => r.name === 'api.a-domain.com');
    expect(written).toEqual([
      { name: 'api.a-domain.com', type: 'A', values: [], alias: expect.stringMatching(/^my-lb-1234/) },
    ]);
  });

  it('writes in the own zone and ACM validation CNAMEs', async () => {
    expect(await writer.write('DNS_CREATE_ALIAS', A, alias('web.a.aws.example.com.'))).toMatchObject({
      zone: 'a.aws.example.com',
    });
    await writer.write(
      'DNS_CREATE_VALIDATION_RECORD',
      A,
      validationRecord({
        ...envelope,
        name: '_3639ac514e785e89.API.a-domain.com.',
        value: '_98d2646601fa951d5.acm-validations.aws.',
      }),
    );
    expect(await records('a-domain.com')).toContainEqual({
      name: '_3639ac514e785e89.api.a-domain.com',
      type: 'CNAME',
      values: ['_98d2646601fa951d5.acm-validations.aws'],
      alias: undefined,
    });
  });

  it.each([
    ['api.b-domain.com', 'b-domain.com'],
    ['aws.example.com', PARENT],
    ['www.aws.example.com', PARENT],
    ['api.b.aws.example.com', 'b.aws.example.com'],
    ['evil-a-domain.com', 'evil-a-domain.com'],
    ['api.evil-a-domain.com', 'evil-a-domain.com'],
  ])('refuses account A writing %s, logs it and writes nothing', async (name, zone) => {
    const before = await records(zone);
    await expect(writer.write('DNS_CREATE_ALIAS', A, alias(name))).rejects.toMatchObject({
      name: 'RequestRejected',
      code: 'DNS_RECORD_NOT_ALLOWED',
    });
    expect(warnings.at(-1)).toContain('DNS_CREATE_ALIAS refused');
    expect(await records(zone)).toEqual(before);
  });

  it('refuses senders it has no permissions for', async () => {
    await expect(
      writer.write('DNS_CREATE_ALIAS', '999999999999', alias('api.a-domain.com')),
    ).rejects.toMatchObject({
      code: 'DNS_UNKNOWN_ACCOUNT',
    });
  });

  it('answers through the runtime handler with REQUEST_COMPLETED, or throws RequestRejected', async () => {
    const ctx = (sender: string) =>
      ({
        clients: moto().management,
        log: { info: () => {}, warn: () => {}, error: () => {} },
        account: { id: '123456789012', kind: 'dns' },
        sender: { id: sender, kind: 'member' },
        nonce: envelope.nonce,
        dryrun: false,
        reply: async () => {},
      }) satisfies HandlerContext;
    const detail = {
      ...envelope,
      name: 'b.b-domain.com',
      alias_target: { dns_name: 'd111111abcdef8.cloudfront.net', hosted_zone_id: 'Z2FDTNDATAQYW2' },
    };
    expect(await dnsCreateAliasHandler.handle(detail, ctx(B))).toEqual({
      request_type: 'DNS_CREATE_ALIAS',
      changed: true,
      summary: { name: 'b.b-domain.com', type: 'A', zone: 'b-domain.com' },
    });
    await expect(dnsCreateAliasHandler.handle(detail, ctx(A))).rejects.toMatchObject({
      code: 'DNS_RECORD_NOT_ALLOWED',
    });
  });
});
