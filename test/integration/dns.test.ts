import {
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { beforeAll, describe, expect, it } from 'vitest';
import { releaseAccountDnsRequest } from '../../src/handlers/dns/account-zone.js';
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
import { accountZoneBatch } from '../../src/handlers/dns/zone-batch.js';
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

  it('shares one listing and one change batch among the requests it works on together', async () => {
    const clients = moto().management;
    const before = { ...clients.counter.snapshot() };
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    const ports = { route53, parameters, bucket, batch: accountZoneBatch(route53, bucket) };
    const accounts = [
      ['555555555555', 'e'],
      ['666666666666', 'f'],
      ['777777777777', 'c'],
      ['888888888888', 'd'],
    ] as const;
    // As the records of one SQS batch: side by side, on one handler instance's ports.
    const results = await Promise.all(
      accounts.map(([id, name]) =>
        ensureAccountZone(ports, {
          accountId: id,
          accountName: name,
          parentDomain: PARENT,
          allowedDomains: [],
        }),
      ),
    );
    expect(results.map((r) => [r.zone, r.created])).toEqual(
      accounts.map(([, name]) => [`${name}.${PARENT}`, true]),
    );
    const after = clients.counter.snapshot();
    const calls = (op: string) => (after[`Route53.${op}`] ?? 0) - (before[`Route53.${op}`] ?? 0);
    // One listing finds the parent and that none of the four exists; each zone is created (its
    // answer names the name servers); the four delegations go in one change batch.
    expect(
      ['ListHostedZonesByName', 'CreateHostedZone', 'GetHostedZone', 'ChangeResourceRecordSets'].map(calls),
    ).toEqual([1, 4, 0, 1]);
    const parent = await records(PARENT);
    for (const [, name] of accounts) {
      const delegation = parent.find((r) => r.name === `${name}.${PARENT}` && r.type === 'NS');
      expect(delegation?.values.length).toBeGreaterThan(0);
    }
  });

  it('finds the zone a repeated create made instead of making a second one', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    const request = { accountId: '444444444444', accountName: 'g', parentDomain: PARENT, allowedDomains: [] };
    // Two deliveries of one request, each on its own instance: both list before either creates.
    const [first, second] = await Promise.all([
      ensureAccountZone({ route53, parameters, bucket }, request),
      ensureAccountZone({ route53, parameters, bucket }, request),
    ]);
    expect(second?.zoneId).toBe(first?.zoneId);
    const out = await moto()
      .management.route53()
      .send(new ListHostedZonesByNameCommand({ DNSName: 'g.aws.example.com.', MaxItems: 10 }));
    expect((out.HostedZones ?? []).filter((z) => z.Name === 'g.aws.example.com.')).toHaveLength(1);
  });

  it("never hands the zone it made for one account to another that takes the account's name", async () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    const retired = {
      accountId: '910000000001',
      accountName: 'payments',
      parentDomain: PARENT,
      allowedDomains: [],
    };
    await ensureAccountZone({ route53, parameters, bucket }, retired);
    // A new account named like the retired one: sharing the zone would let the retired account,
    // still registered, write the new one's records.
    await expect(
      ensureAccountZone({ route53, parameters, bucket }, { ...retired, accountId: '910000000002' }),
    ).rejects.toMatchObject({ code: 'DNS_ZONE_OF_ANOTHER_ACCOUNT' });
    expect((await readAccountDnsPermissions(parameters, '910000000002')).zone).toBeUndefined();
    // The account it was made for keeps it; a zone made by hand (the parent's own listing shows
    // a-domain.com, made with another reference) is not orgbridge's to refuse.
    expect((await ensureAccountZone({ route53, parameters, bucket }, retired)).created).toBe(false);
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

  it('takes an allowed domain from the account it moved to, not from the one that had it', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    await moto()
      .management.route53()
      .send(
        new CreateHostedZoneCommand({ Name: 'moved-domain.com', CallerReference: 'test-moved-domain.com' }),
      );
    const before = {
      accountId: '910000000003',
      accountName: 'old',
      parentDomain: PARENT,
      allowedDomains: ['moved-domain.com'],
    };
    await ensureAccountZone({ route53, parameters, bucket }, before);
    expect(
      (await writer.write('DNS_CREATE_ALIAS', before.accountId, alias('api.moved-domain.com'))).zone,
    ).toBe('moved-domain.com');
    // The domain moves to another account; the first one (retired, say) keeps its parameters.
    await ensureAccountZone(
      { route53, parameters, bucket },
      {
        accountId: '910000000004',
        accountName: 'new',
        parentDomain: PARENT,
        allowedDomains: ['moved-domain.com'],
      },
    );
    expect((await readAccountDnsPermissions(parameters, before.accountId)).allowedDomains).toEqual([
      'moved-domain.com',
    ]);
    await expect(
      writer.write('DNS_CREATE_ALIAS', before.accountId, alias('api.moved-domain.com')),
    ).rejects.toMatchObject({ code: 'DNS_RECORD_NOT_ALLOWED' });
    expect((await writer.write('DNS_CREATE_ALIAS', '910000000004', alias('api.moved-domain.com'))).zone).toBe(
      'moved-domain.com',
    );
  });

  it('a released (retired) account writes nothing more, in its zone or its domains; the zone stays', async () => {
    const bucket = new TokenBucket({ ratePerSecond: 5, capacity: 5, clock: instantClock });
    await moto()
      .management.route53()
      .send(
        new CreateHostedZoneCommand({ Name: 'gone-domain.com', CallerReference: 'test-gone-domain.com' }),
      );
    const retired = {
      accountId: '910000000005',
      accountName: 'gone',
      parentDomain: PARENT,
      allowedDomains: ['gone-domain.com'],
    };
    await ensureAccountZone({ route53, parameters, bucket }, retired);
    await writer.write('DNS_CREATE_ALIAS', retired.accountId, alias('api.gone-domain.com'));
    const released = await releaseAccountDnsRequest({ parameters }, { account_id: retired.accountId });
    expect(released).toEqual({
      changed: true,
      summary: {
        account_id: retired.accountId,
        released: 'true',
        zone: 'gone.aws.example.com',
        allowed_dns_domains: 'gone-domain.com',
      },
    });
    for (const name of ['api.gone-domain.com', 'web.gone.aws.example.com'])
      await expect(writer.write('DNS_CREATE_ALIAS', retired.accountId, alias(name))).rejects.toMatchObject({
        code: 'DNS_UNKNOWN_ACCOUNT',
      });
    expect(await route53.findPublicZone('gone.aws.example.com')).toBeDefined();
    // Redelivered: nothing left to release.
    expect((await releaseAccountDnsRequest({ parameters }, { account_id: retired.accountId })).changed).toBe(
      false,
    );
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

  it('refuses, never retries, a record Route 53 refuses: a CNAME where the name holds an A record', async () => {
    await writer.write('DNS_CREATE_ALIAS', A, alias('clash.a.aws.example.com'));
    const cname = () =>
      writer.write(
        'DNS_CREATE_VALIDATION_RECORD',
        A,
        validationRecord({
          ...envelope,
          name: 'clash.a.aws.example.com',
          value: '_98d2646601fa951d5.acm-validations.aws.',
        }),
      );
    // RequestRejected is what the runtime answers at once with REQUEST_FAILED, without retrying
    // or leaving the message in the dead-letter queue.
    await expect(cname()).rejects.toMatchObject({ name: 'RequestRejected', code: 'DNS_RECORD_REFUSED' });
    expect(warnings.at(-1)).toContain('InvalidChangeBatch');
    expect((await records('a.aws.example.com')).filter((r) => r.name === 'clash.a.aws.example.com')).toEqual([
      { name: 'clash.a.aws.example.com', type: 'A', values: [], alias: expect.any(String) },
    ]);
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
