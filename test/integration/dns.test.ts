import { CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ParameterPort,
  type Route53Port,
  route53Port,
  ssmParameterPort,
} from '../../src/handlers/dns/ports.js';
import { TokenBucket } from '../../src/handlers/dns/rate-limit.js';
import { type DnsRecordHandlers, dnsRecordHandlers } from '../../src/handlers/dns/records.js';
import { ensureAccountZone, readAccountDnsPermissions } from '../../src/handlers/dns/zones.js';
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
  let handlers: DnsRecordHandlers;
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
    handlers = dnsRecordHandlers({
      route53,
      parameters,
      bucket,
      parentDomain: PARENT,
      logger: { info: () => {}, warn: (m) => warnings.push(m) },
    });
  });

  it('creates one zone per account, delegated from the parent, and exports permissions', async () => {
    const parent = await records(PARENT);
    const delegation = parent.find((r) => r.name === 'a.aws.example.com' && r.type === 'NS');
    expect(delegation?.values.length).toBeGreaterThan(0);
    expect(await readAccountDnsPermissions(parameters, B)).toEqual({
      zone: 'b.aws.example.com',
      allowedDomains: ['b-domain.com'],
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

  it('lets account A write api.a-domain.com, idempotently', async () => {
    const event = { account: A, detail: { name: 'api.a-domain.com', type: 'A', values: ['192.0.2.10'] } };
    expect(await handlers.createAlias(event)).toMatchObject({
      detailType: 'DNS_RECORD_UPSERTED',
      detail: { name: 'api.a-domain.com', zone: 'a-domain.com' },
    });
    expect(await handlers.createAlias(event)).toMatchObject({ detailType: 'DNS_RECORD_UPSERTED' });
    const written = (await records('a-domain.com')).filter((r) => r.name === 'api.a-domain.com');
    expect(written).toEqual([
      { name: 'api.a-domain.com', type: 'A', values: ['192.0.2.10'], alias: undefined },
    ]);
  });

  it('writes aliases in the own zone and ACM validation CNAMEs', async () => {
    const alias = await handlers.createAlias({
      account: A,
      detail: {
        name: 'web.a.aws.example.com.',
        alias: { dnsName: 'my-lb-1234.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K' },
      },
    });
    expect(alias).toMatchObject({ detailType: 'DNS_RECORD_UPSERTED', detail: { zone: 'a.aws.example.com' } });
    const validation = await handlers.createValidationRecord({
      account: A,
      detail: {
        name: '_3639ac514e785e89.API.a-domain.com.',
        value: '_98d2646601fa951d5.acm-validations.aws.',
      },
    });
    expect(validation).toMatchObject({ detailType: 'DNS_RECORD_UPSERTED' });
    expect(await records('a-domain.com')).toContainEqual({
      name: '_3639ac514e785e89.api.a-domain.com',
      type: 'CNAME',
      values: ['_98d2646601fa951d5.acm-validations.aws'],
      alias: undefined,
    });
    expect(
      (await records('a.aws.example.com')).find((r) => r.name === 'web.a.aws.example.com')?.alias,
    ).toMatch(/my-lb-1234/);
  });

  it.each([
    ['api.b-domain.com', 'b-domain.com'],
    ['aws.example.com', PARENT],
    ['www.aws.example.com', PARENT],
    ['api.b.aws.example.com', 'b.aws.example.com'],
    ['evil-a-domain.com', 'evil-a-domain.com'],
    ['api.evil-a-domain.com', 'evil-a-domain.com'],
  ])('refuses account A writing %s, answers REQUEST_FAILED and logs it', async (name, zone) => {
    const before = await records(zone);
    const reply = await handlers.createAlias({ account: A, detail: { name, values: ['192.0.2.66'] } });
    expect(reply).toMatchObject({ detailType: 'REQUEST_FAILED', detail: { code: 'DNS_RECORD_NOT_ALLOWED' } });
    expect(warnings.at(-1)).toContain('DNS_CREATE_ALIAS refused');
    expect(await records(zone)).toEqual(before);
  });

  it('refuses unknown senders and malformed requests', async () => {
    expect(
      await handlers.createAlias({
        account: '999999999999',
        detail: { name: 'api.a-domain.com', values: ['192.0.2.1'] },
      }),
    ).toMatchObject({ detail: { code: 'DNS_UNKNOWN_ACCOUNT' } });
    expect(
      await handlers.createAlias({
        account: A,
        detail: { name: 'x.a-domain.com', type: 'CNAME', values: ['a', 'b'] },
      }),
    ).toMatchObject({
      detail: { code: 'DNS_INVALID_REQUEST', message: expect.stringContaining('exactly one value') },
    });
    expect(await handlers.createValidationRecord({ account: A, detail: { name: 'x' } })).toMatchObject({
      detail: { code: 'DNS_INVALID_REQUEST' },
    });
  });
});
