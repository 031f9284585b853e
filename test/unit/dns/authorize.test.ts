import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountZoneName,
  authorizeDnsRecord,
  type DnsRecordRequest,
  dnsNameProblem,
  isWithinDomain,
  normaliseDnsName,
} from '../../../src/handlers/dns/authorize.js';
import { runs } from '../../support/property.js';

const accountA: Omit<DnsRecordRequest, 'name' | 'type'> = {
  senderAccountId: '111111111111',
  senderZone: 'a.aws.example.com',
  allowedDomains: ['a-domain.com', 'Checkout.Dev.Example.COM.'],
  parentDomain: 'aws.example.com',
};
const check = (name: string, type: DnsRecordRequest['type'] = 'A') =>
  authorizeDnsRecord({ ...accountA, name, type });

describe('authorizeDnsRecord', () => {
  it('allows records in an allowed domain and its subdomains', () => {
    expect(check('api.a-domain.com')).toMatchObject({
      allowed: true,
      grantedBy: 'a-domain.com',
      via: 'allowed-domain',
    });
    expect(check('a-domain.com')).toMatchObject({ allowed: true });
    expect(check('deep.er.api.a-domain.com')).toMatchObject({ allowed: true });
  });

  it('allows records in its own zone', () => {
    expect(check('api.a.aws.example.com')).toMatchObject({
      allowed: true,
      via: 'own-zone',
      grantedBy: 'a.aws.example.com',
    });
    expect(check('a.aws.example.com', 'A')).toMatchObject({ allowed: true });
  });

  it('refuses another account’s domain', () => {
    const verdict = check('api.b-domain.com');
    expect(verdict.allowed).toBe(false);
    expect(verdict).toMatchObject({
      reason: expect.stringContaining('outside the domains account 111111111111 may write'),
    });
  });

  it('refuses a name that only ends with the allowed domain as a string', () => {
    expect(check('evil-a-domain.com').allowed).toBe(false);
    expect(check('api.evil-a-domain.com').allowed).toBe(false);
    expect(check('xa-domain.com').allowed).toBe(false);
  });

  it('refuses the parent zone and other accounts’ zones', () => {
    expect(check('aws.example.com')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('is the parent zone'),
    });
    expect(check('www.aws.example.com').allowed).toBe(false);
    expect(check('api.b.aws.example.com').allowed).toBe(false);
    // `xa` is a different account whose zone name merely ends with `a`.
    expect(check('api.xa.aws.example.com').allowed).toBe(false);
  });

  it('never lets an allowed domain reach into the parent domain', () => {
    const verdict = authorizeDnsRecord({
      ...accountA,
      allowedDomains: ['aws.example.com'],
      name: 'api.b.aws.example.com',
      type: 'A',
    });
    expect(verdict.allowed).toBe(false);
  });

  it('normalises case and trailing dots on both sides', () => {
    expect(check('API.A-Domain.COM.')).toMatchObject({ allowed: true, name: 'api.a-domain.com' });
    expect(check('x.checkout.dev.example.com')).toMatchObject({
      allowed: true,
      grantedBy: 'checkout.dev.example.com',
    });
  });

  it('refuses invalid names and CNAMEs at its zone apex', () => {
    expect(check('api..a-domain.com')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('bad-label'),
    });
    expect(check('api.*.a-domain.com')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('misplaced-wildcard'),
    });
    expect(check('-bad.a-domain.com').allowed).toBe(false);
    expect(check('')).toMatchObject({ allowed: false });
    expect(check('a.aws.example.com', 'CNAME')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('apex'),
    });
    expect(check('*.a-domain.com')).toMatchObject({ allowed: true });
    expect(check('_3639ac514e785e898d.api.a-domain.com', 'CNAME')).toMatchObject({ allowed: true });
  });

  it("refuses a CNAME at the apex of an allowed domain's zone, which Route 53 would refuse", () => {
    expect(check('a-domain.com', 'CNAME')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining('apex of the allowed domain a-domain.com'),
    });
    expect(check('a-domain.com', 'A')).toMatchObject({ allowed: true });
  });

  it('refuses everything for an account without zone or domains', () => {
    const verdict = authorizeDnsRecord({
      senderAccountId: '333333333333',
      senderZone: undefined,
      allowedDomains: [],
      parentDomain: 'aws.example.com',
      name: 'api.a-domain.com',
      type: 'A',
    });
    expect(verdict).toMatchObject({ allowed: false, reason: expect.stringContaining('(none)') });
  });
});

describe('DNS names', () => {
  it('normalises and builds zone names', () => {
    expect(normaliseDnsName(' Foo.Example.com. ')).toBe('foo.example.com');
    expect(accountZoneName('Payments-Dev', 'AWS.example.com.')).toBe('payments-dev.aws.example.com');
    expect(dnsNameProblem('a'.repeat(64))).toBe('bad-label');
    expect(dnsNameProblem(`${'a.'.repeat(127)}a`)).toBe('too-long');
  });

  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));

  it('a name is within a domain exactly when it is the domain or a label-prefixed subdomain of it', () => {
    fc.assert(
      fc.property(domain, label, fc.array(label, { maxLength: 3 }), (d, glued, extra) => {
        // Gluing characters onto the first label never makes a name inside the domain.
        expect(isWithinDomain(`${glued}${d}`, d)).toBe(glued === '');
        expect(isWithinDomain([...extra, d].join('.'), d)).toBe(true);
        expect(isWithinDomain(`${d.toUpperCase()}.`, d)).toBe(true);
      }),
      { numRuns: runs(100) },
    );
  });
});
