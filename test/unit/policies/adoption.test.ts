import { describe, expect, it } from 'vitest';
import type { PolicyDocument } from '../../../src/config/model.js';
import { DEFAULT_LIMITS } from '../../../src/config/resolve.js';
import {
  type AccountAttachment,
  accountTarget,
  type ObservedPolicies,
  type ObservedPolicy,
  type PolicyScope,
  planPolicies,
  renderPolicyPlan,
} from '../../../src/plan/policies.js';

/**
 * Policy sync over an organization orgbridge did not build: existing policies the config
 * describes by name are adopted (no second policy, no marker), targets include the root and
 * accounts, FullAWSAccess is managed when the config declares it, and an authoritative config
 * detaches what it does not describe.
 */
const DENY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 'x:Y', Resource: '*' }],
});
const ACCOUNT = '200000000001';
const doc = (ou: string, name = 'DenyLeave', content = DENY): PolicyDocument => ({
  type: 'scp',
  organization_unit: ou,
  name,
  file: `policies/scp/${name}.json`,
  content,
});
const onAccount = (name = 'DenyLeave', content = DENY): AccountAttachment => ({
  type: 'scp',
  name,
  file: `policies/scp/${name}.json`,
  content,
  accountId: ACCOUNT,
  label: 'account app',
});
const existing = (
  name: string,
  targets: string[],
  content = DENY,
  extra: Partial<ObservedPolicy> = {},
): ObservedPolicy => ({
  id: `p-${name.toLowerCase().padEnd(8, '0')}`,
  name,
  type: 'scp',
  awsManaged: false,
  managed: false,
  // As a person typed it in the console: same document, other whitespace.
  content: JSON.stringify(JSON.parse(content), null, 4),
  targets: [...targets].sort(),
  ...extra,
});
const FULL_TARGETS = ['', 'Dev', 'Sandbox', accountTarget(ACCOUNT)];
const full = (targets = FULL_TARGETS): ObservedPolicy => ({
  id: 'p-FullAWSAccess',
  name: 'FullAWSAccess',
  type: 'scp',
  awsManaged: true,
  managed: false,
  targets: [...targets].sort(),
});
const observed = (policies: ObservedPolicy[]): ObservedPolicies => {
  const attached: Record<string, string[]> = {};
  for (const p of policies) for (const t of p.targets) attached[t] = [...(attached[t] ?? []), p.id];
  return {
    rootId: 'r-root',
    enabledTypes: ['scp'],
    policies,
    ous: { '': 'r-root', Dev: 'ou-root-dev00000', Sandbox: 'ou-root-sandbox0' },
    attached,
  };
};
const SCOPE: PolicyScope = {
  targets: ['', 'Dev', 'Sandbox', accountTarget(ACCOUNT)],
  labels: { [accountTarget(ACCOUNT)]: 'account app' },
};
const plan = (
  desired: PolicyDocument[],
  policies: ObservedPolicy[],
  scope: PolicyScope | null = SCOPE,
  accountDesired: AccountAttachment[] = [],
) =>
  planPolicies({
    desired,
    accountDesired,
    observed: observed(policies),
    limits: DEFAULT_LIMITS,
    types: ['scp'],
    ...(scope ? { scope } : {}),
  });
const summary = (p: ReturnType<typeof plan>) =>
  p.actions.map((a) => `${a.action} ${'awsName' in a ? a.awsName : ''}${'ou' in a ? ` ${a.ou}` : ''}`);

describe('planPolicies over an existing organization', () => {
  it('adopts a policy the config names: the same document on the same targets is nothing to do', () => {
    const p = plan(
      [doc(''), doc('Dev')],
      [full(), existing('DenyLeave', ['', 'Dev', accountTarget(ACCOUNT)])],
      SCOPE,
      [onAccount()],
    );
    expect(p.actions).toEqual([]);
    expect(p.adopted).toEqual(['scp DenyLeave']);
    expect(renderPolicyPlan(p)).toContain(
      'managed by name (existing policies the config describes): 1 (scp DenyLeave)',
    );
  });

  it('manages an adopted policy from then on: content, new targets, targets it left', () => {
    const changed = JSON.stringify({ Version: '2012-10-17', Statement: [] });
    const p = plan(
      [doc('', 'DenyLeave', changed), doc('Sandbox', 'DenyLeave', changed)],
      [full(), existing('DenyLeave', ['', 'Dev'])],
    );
    expect(summary(p)).toEqual([
      'update-policy DenyLeave',
      'attach-policy DenyLeave Sandbox',
      'detach-policy DenyLeave Dev',
    ]);
    // Never a second policy with orgbridge's name next to the existing one.
    expect(p.actions.some((a) => a.action === 'create-policy')).toBe(false);
  });

  it('attaches to and detaches from accounts and the root', () => {
    const p = plan([doc('')], [full(), existing('DenyLeave', ['Dev'])], SCOPE, [onAccount()]);
    expect(p.actions).toEqual([
      expect.objectContaining({ action: 'attach-policy', ou: 'Root', ouId: 'r-root' }),
      expect.objectContaining({
        action: 'attach-policy',
        ou: 'account app',
        ouId: ACCOUNT,
        account: ACCOUNT,
      }),
      expect.objectContaining({ action: 'detach-policy', ou: 'Dev' }),
    ]);
  });

  it('without a scope (SYNC_SCPS) never detaches an adopted policy', () => {
    const p = plan([doc('')], [full(), existing('DenyLeave', ['', 'Dev', accountTarget(ACCOUNT)])], null);
    expect(p.actions).toEqual([]);
  });

  it("prefers orgbridge's own policy to a namesake, and refuses a hand-made one with its name", () => {
    const own = existing('orgbridge-scp-DenyLeave', ['Dev'], DENY, { managed: true });
    expect(summary(plan([doc('Dev')], [full(), own, existing('DenyLeave', [])]))).toEqual([]);
    const taken = existing('orgbridge-scp-Other', []);
    expect(plan([doc('Dev', 'Other')], [full(), taken]).problems).toEqual([
      expect.objectContaining({ code: 'POLICY_NAME_TAKEN' }),
    ]);
  });

  it('FullAWSAccess, once declared: attached everywhere but where the config detaches it', () => {
    const guard = existing('Guard', ['Sandbox']);
    const declared = (detached: string[]) => ({ ...SCOPE, fullAwsAccessDetached: detached });
    // AWS has it everywhere; the config detaches it from Sandbox (Guard stays there).
    expect(summary(plan([doc('Sandbox', 'Guard')], [full(), guard], declared(['Sandbox'])))).toEqual([
      'detach-policy FullAWSAccess Sandbox',
    ]);
    // It went missing on the account: restored. Undeclared, it is left alone.
    const missing = full(['', 'Dev', 'Sandbox']);
    expect(summary(plan([doc('Sandbox', 'Guard')], [missing, guard], declared([])))).toEqual([
      'attach-policy FullAWSAccess account app',
    ]);
    expect(summary(plan([doc('Sandbox', 'Guard')], [missing, guard]))).toEqual([]);
    // Never the last SCP of a target.
    const alone = plan([], [full()], declared(['Dev']));
    expect(alone.actions).toEqual([]);
    expect(alone.problems).toEqual([expect.objectContaining({ code: 'POLICY_LAST_SCP' })]);
  });

  it('authoritative: detaches what the config does not describe, within its scope, except unmanaged policies', () => {
    const stray = existing('Stray', ['Dev', 'Elsewhere']);
    const kept = existing('ControlTower', ['Dev']);
    const scope = { ...SCOPE, authoritative: true, unmanagedPolicies: [kept.id] };
    const p = plan([], [full(), stray, kept], scope);
    expect(summary(p)).toEqual(['detach-policy Stray Dev']);
    expect(p.unmanaged).toContain('Dev: ControlTower');
    // Not authoritative: left alone, and listed.
    expect(plan([], [full(), stray], SCOPE).actions).toEqual([]);
  });

  it('never touches an unmanaged target, even with its own policies', () => {
    const own = existing('orgbridge-scp-old', ['Dev', 'Sandbox'], DENY, { managed: true });
    const p = plan([], [full(), own], { ...SCOPE, unmanaged: (t) => t === 'Sandbox' });
    expect(summary(p)).toEqual(['detach-policy orgbridge-scp-old Dev']);
  });
});
