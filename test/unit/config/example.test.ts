import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';

describe('examples/ (the realistic configuration the docs use)', async () => {
  const config = await loadConfig('examples');

  it('resolves with no errors into ~80 accounts across the seed scopes', () => {
    expect(config.accounts.length).toBeGreaterThanOrEqual(75);
    expect(Object.keys(config.scopes).sort()).toEqual([
      'audit',
      'cde',
      'dev',
      'infra',
      'infra-ro',
      'scp',
      'standard',
    ]);
    expect(config.ecr.length).toBeGreaterThan(3);
    expect(config.policies.map((p) => p.type).sort()).toContain('backup');
  });

  it('has each special account', () => {
    const kinds = new Set(config.accounts.map((a) => a.kind));
    for (const kind of ['management', 'cicd', 'identity', 'dns', 'logs', 'audit'])
      expect(kinds).toContain(kind);
  });

  it("carries the seed's CREATE_ACCOUNT tags", () => {
    const account = config.accounts.find((a) => a.key === 'checkout-web-dev');
    expect(account).toMatchObject({
      name: 'checkout-web-nonprod-us-east-1',
      email: 'aws+checkout-web-nonprod-us-east-1@example.com',
      organization_unit: 'Internal/Dev',
    });
    expect(account?.tags).toMatchObject({
      scope: 'dev',
      'service-name': 'checkout-web',
      environment: 'nonprod',
      region: 'us-east-1',
    });
  });

  it('minifies policies', () => {
    for (const policy of config.policies)
      expect(policy.content).toBe(JSON.stringify(JSON.parse(policy.content)));
  });
});
