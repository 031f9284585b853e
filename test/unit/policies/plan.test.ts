import { describe, expect, it } from 'vitest';
import type { PolicyDocument, PolicyLimits } from '../../../src/config/model.js';
import { awsPolicyName } from '../../../src/config/policies.js';
import { DEFAULT_LIMITS } from '../../../src/config/resolve.js';
import {
  accountsUnderFrom,
  type ObservedPolicies,
  type ObservedPolicy,
  planPolicies,
  renderPolicyPlan,
} from '../../../src/plan/policies.js';

const doc = (
  type: PolicyDocument['type'],
  ou: string,
  name: string,
  content: object = { Statement: [name] },
): PolicyDocument => ({
  type,
  organization_unit: ou,
  name,
  file: `policies/${type}/${ou}/${name}.json`,
  content: JSON.stringify(content),
});
const FULL: ObservedPolicy = {
  id: 'p-FullAWSAccess',
  name: 'FullAWSAccess',
  type: 'scp',
  awsManaged: true,
  managed: false,
  targets: [],
};
const managed = (
  type: PolicyDocument['type'],
  name: string,
  content: string,
  targets: string[],
  id = `p-${name}`,
): ObservedPolicy => ({
  id,
  name: awsPolicyName(type, name),
  type,
  awsManaged: false,
  managed: true,
  content,
  targets,
});
const OUS = {
  Internal: 'ou-root-internal1',
  'Internal/Dev': 'ou-root-dev00001',
  'Internal/Cde': 'ou-root-cde00001',
};
const observed = (
  policies: ObservedPolicy[],
  attached: Record<string, string[]> = {},
  enabled: ObservedPolicies['enabledTypes'] = ['scp', 'tag'],
): ObservedPolicies => ({
  rootId: 'r-root',
  enabledTypes: enabled,
  policies: [FULL, ...policies],
  ous: OUS,
  attached: {
    Internal: ['p-FullAWSAccess'],
    'Internal/Dev': ['p-FullAWSAccess'],
    'Internal/Cde': ['p-FullAWSAccess'],
    ...attached,
  },
});
const accountsUnder = accountsUnderFrom([
  { organization_unit: 'Internal/Dev' },
  { organization_unit: 'Internal/Dev' },
  { organization_unit: 'Internal/Cde' },
  { organization_unit: 'Internal/Cde/Deep' },
]);
const plan = (
  desired: PolicyDocument[],
  obs: ObservedPolicies,
  limits: PolicyLimits = DEFAULT_LIMITS,
  types = ['scp', 'tag'] as const,
) => planPolicies({ desired, observed: obs, limits, types: [...types], accountsUnder });

describe('planPolicies', () => {
  it('creates and attaches new policies, with accounts affected, in a stable order', () => {
    const p = plan([doc('scp', 'Internal', 'deny-leave'), doc('scp', 'Internal/Dev', 'no-ri')], observed([]));
    expect(
      p.actions.map((a) => [a.action, 'awsName' in a ? a.awsName : a.type, 'ou' in a ? a.ou : '']),
    ).toEqual([
      ['create-policy', 'orgbridge-scp-deny-leave', ''],
      ['create-policy', 'orgbridge-scp-no-ri', ''],
      ['attach-policy', 'orgbridge-scp-deny-leave', 'Internal'],
      ['attach-policy', 'orgbridge-scp-no-ri', 'Internal/Dev'],
    ]);
    expect(p.actions[2]).toMatchObject({ ouId: 'ou-root-internal1', accounts: 4 });
    expect(p.problems).toEqual([]);
    // Only the OUs the plan looks at (those with files or orgbridge policies) are listed.
    expect(p.unmanaged).toEqual(['Internal/Dev: FullAWSAccess', 'Internal: FullAWSAccess']);
  });

  it('plans nothing when everything is in place', () => {
    const d = doc('scp', 'Internal/Dev', 'no-ri');
    const p = plan(
      [d],
      observed([managed('scp', 'no-ri', d.content, ['Internal/Dev'])], {
        'Internal/Dev': ['p-FullAWSAccess', 'p-no-ri'],
      }),
    );
    expect(p.actions).toEqual([]);
    expect(renderPolicyPlan(p)).toMatch(/^policies \(scp, tag\): no changes/);
  });

  it('updates changed content, moves attachments and deletes what no file wants', () => {
    const d = doc('scp', 'Internal/Cde', 'no-ri', { Statement: ['v2'] });
    const p = plan(
      [d],
      observed(
        [
          managed('scp', 'no-ri', '{"Statement":["v1"]}', ['Internal/Dev']),
          managed('scp', 'gone', '{}', ['Internal']),
        ],
        { 'Internal/Dev': ['p-FullAWSAccess', 'p-no-ri'], Internal: ['p-FullAWSAccess', 'p-gone'] },
      ),
    );
    expect(p.actions).toEqual([
      expect.objectContaining({
        action: 'update-policy',
        policyId: 'p-no-ri',
        previousChars: 20,
        chars: 20,
        accounts: 4,
      }),
      expect.objectContaining({
        action: 'attach-policy',
        policyId: 'p-no-ri',
        ou: 'Internal/Cde',
        accounts: 2,
      }),
      expect.objectContaining({ action: 'detach-policy', policyId: 'p-gone', ou: 'Internal', accounts: 4 }),
      expect.objectContaining({
        action: 'detach-policy',
        policyId: 'p-no-ri',
        ou: 'Internal/Dev',
        accounts: 2,
      }),
      expect.objectContaining({ action: 'delete-policy', policyId: 'p-gone' }),
    ]);
    const text = renderPolicyPlan(p);
    expect(text).toContain(
      '~ update scp orgbridge-scp-no-ri from policies/scp/Internal/Cde/no-ri.json (20 -> 20 chars) (4 accounts affected)',
    );
    expect(text).toContain('< detach scp orgbridge-scp-gone from Internal (4 accounts affected)');
  });

  it('never touches policies it did not create, and refuses to reuse their names', () => {
    const foreign: ObservedPolicy = {
      id: 'p-hand',
      name: 'orgbridge-scp-no-ri',
      type: 'scp',
      awsManaged: false,
      managed: false,
      targets: [],
    };
    const ct: ObservedPolicy = {
      id: 'p-ct',
      name: 'aws-guardrails-xyz',
      type: 'scp',
      awsManaged: false,
      managed: false,
      targets: [],
    };
    const p = plan(
      [doc('scp', 'Internal/Dev', 'no-ri')],
      observed([foreign, ct], { 'Internal/Dev': ['p-FullAWSAccess', 'p-ct', 'p-hand'] }),
    );
    expect(p.actions).toEqual([]);
    expect(p.problems).toEqual([expect.objectContaining({ code: 'POLICY_NAME_TAKEN', blocking: true })]);
    expect(p.unmanaged).toContain('Internal/Dev: aws-guardrails-xyz');
  });

  it('never detaches the last SCP of an OU', () => {
    // Someone detached FullAWSAccess by hand; orgbridge's SCP is all the OU has left.
    const p = plan(
      [],
      observed([managed('scp', 'old', '{}', ['Internal/Dev'])], { 'Internal/Dev': ['p-old'] }),
    );
    expect(p.actions.filter((a) => a.action === 'detach-policy')).toEqual([]);
    expect(p.problems).toEqual([expect.objectContaining({ code: 'POLICY_LAST_SCP', blocking: false })]);
    // Nor does it delete the policy that is still attached there.
    expect(p.actions.filter((a) => a.action === 'delete-policy')).toEqual([]);
  });

  it('counts FullAWSAccess and hand-made policies against the per-target quota', () => {
    const limits = { ...DEFAULT_LIMITS, scp_per_target: 3 };
    const ct: ObservedPolicy = {
      id: 'p-ct',
      name: 'guardrail',
      type: 'scp',
      awsManaged: false,
      managed: false,
      targets: [],
    };
    const p = plan(
      [doc('scp', 'Internal/Dev', 'a'), doc('scp', 'Internal/Dev', 'b')],
      observed([ct], { 'Internal/Dev': ['p-FullAWSAccess', 'p-ct'] }),
      limits,
    );
    expect(p.problems).toEqual([
      expect.objectContaining({
        code: 'POLICY_TOO_MANY_ON_TARGET',
        blocking: true,
        message: expect.stringContaining(
          'Internal/Dev would have 4 scp policies (FullAWSAccess, guardrail, orgbridge-scp-a, orgbridge-scp-b), over the limit of 3 (FullAWSAccess counts)',
        ),
      }),
    ]);
  });

  it('checks the minified size against the configured limit', () => {
    const big = doc('scp', 'Internal', 'big', { Statement: ['x'.repeat(6000)] });
    expect(plan([big], observed([])).problems).toEqual([
      expect.objectContaining({ code: 'POLICY_TOO_LARGE' }),
    ]);
    expect(plan([big], observed([]), { ...DEFAULT_LIMITS, scp_max_chars: 10_240 }).problems).toEqual([]);
  });

  it('enables a policy type first and reports operators AWS would ignore', () => {
    const parent = doc('tag', 'Internal', 'owner', {
      tags: {
        owner: { tag_key: { '@@assign': 'owner', '@@operators_allowed_for_child_policies': ['@@none'] } },
      },
    });
    const child = doc('tag', 'Internal/Dev', 'owner-dev', {
      tags: { owner: { tag_key: { '@@assign': 'Owner' } } },
    });
    const p = plan([parent, child], observed([], {}, ['scp']));
    expect(p.actions[0]).toEqual({ action: 'enable-policy-type', type: 'tag', rootId: 'r-root' });
    expect(p.warnings).toEqual([
      expect.stringContaining(
        'tag policy owner-dev on Internal/Dev: @@assign on tags.owner.tag_key is ignored',
      ),
    ]);
  });

  it('leaves OUs that do not exist yet for the next run', () => {
    const p = plan([doc('scp', 'Internal/New', 'x')], observed([]));
    expect(p.actions.map((a) => a.action)).toEqual(['create-policy']);
    expect(p.problems).toEqual([expect.objectContaining({ code: 'POLICY_OU_MISSING', blocking: false })]);
  });

  it('attaches one policy file name used under two OUs as one policy', () => {
    const p = plan([doc('scp', 'Internal/Dev', 'same'), doc('scp', 'Internal/Cde', 'same')], observed([]));
    expect(p.actions.map((a) => a.action)).toEqual(['create-policy', 'attach-policy', 'attach-policy']);
  });
});
