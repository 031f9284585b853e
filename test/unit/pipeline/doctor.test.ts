import { describe, expect, it } from 'vitest';
import { type DoctorFacts, doctorChecks } from '../../../src/pipeline/doctor.js';
import { accountId, syntheticConfig } from '../templates/fixtures.js';

/** The checks of `orgbridge doctor` on facts it could not easily meet on the emulator. */
const config = syntheticConfig(2);
const special = Object.fromEntries(
  ['management', 'cicd', 'identity', 'dns', 'logs', 'audit'].map((k, i) => [
    k,
    { id: accountId(i + 1), assumed: true as const },
  ]),
) as DoctorFacts['specialAccounts'];
const facts: DoctorFacts = {
  nodeVersion: '22.12.0',
  caller: { arn: `arn:aws:iam::${accountId(1)}:user/admin`, account: accountId(1) },
  organization: { id: 'o-abcdefghij', managementAccountId: accountId(1), featureSet: 'ALL' },
  stackSetsAccess: 'ENABLED',
  enabledPolicyTypes: ['scp'],
  observed: { rootId: 'r-ab12', managementAccountId: accountId(1), ous: { '': 'r-ab12' }, accounts: [] },
  specialAccounts: special,
  artifactBuckets: { 'ap-southeast-2': true, 'us-east-1': false },
  scpTargets: [{ target: 'r-ab12', count: 1, maxChars: 120 }],
};
const statusOf = (f: DoctorFacts) => Object.fromEntries(doctorChecks(config, f).map((c) => [c.id, c.status]));

describe('doctor checks', () => {
  it('pass a ready organization, warning only about what the bootstrap creates', () => {
    const s = statusOf(facts);
    expect(Object.entries(s).filter(([, v]) => v !== 'pass')).toEqual([['artifacts-us-east-1', 'warn']]);
  });

  it('fail what blocks a bootstrap, each with its fix', () => {
    const bad: DoctorFacts = {
      ...facts,
      nodeVersion: '18.19.0',
      caller: { arn: `arn:aws:iam::${accountId(2)}:user/dev`, account: accountId(2) },
      organization: {
        id: 'o-abcdefghij',
        managementAccountId: accountId(1),
        featureSet: 'CONSOLIDATED_BILLING',
      },
      stackSetsAccess: 'DISABLED_PERMANENTLY',
      specialAccounts: { ...special, dns: { id: accountId(4), assumed: { error: 'AccessDenied' } } },
      scpTargets: [{ target: 'ou-ab12-1', count: 6, maxChars: 6000 }],
    };
    const checks = doctorChecks(config, bad);
    const failed = checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.id).sort()).toEqual(
      ['account-dns', 'all-features', 'caller', 'node', 'scp-limits', 'stacksets-trusted-access'].sort(),
    );
    for (const c of failed) expect(c.fix, c.id).toBeTruthy();
    expect(checks.find((c) => c.id === 'caller')?.message).toContain(
      `not the management account ${accountId(1)}`,
    );
    expect(checks.find((c) => c.id === 'scp-limits')?.message).toMatch(
      /ou-ab12-1 has 6 SCPs \(> 5\).*6000 chars \(> 5120\)/,
    );
  });

  it('fail a home region without an artifact bucket region', () => {
    const outside = { ...config, defaults: { ...config.defaults, regions: ['us-east-1'] } };
    const checks = doctorChecks(outside, facts);
    expect(checks.find((c) => c.id === 'home-region')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('ap-southeast-2'),
    });
  });
});
