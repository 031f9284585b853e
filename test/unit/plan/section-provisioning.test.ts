import { describe, expect, it } from 'vitest';
import { completionsBySlot } from '../../../src/pipeline/engine/dag.js';
import { provisioningSection } from '../../../src/plan/section-provisioning.js';

const step = (id: string, label: string, detail?: string) => {
  const [kind = '', accountId] = id.split(':');
  return {
    id,
    kind,
    label,
    ...(accountId && /^\d{12}$/.test(accountId) ? { accountId, slot: `${kind}:${accountId}` } : {}),
    ...(detail ? { detail } : {}),
  };
};

describe("the plan's provisioning section", () => {
  const steps = [
    step('upload-template:account-baseline-bbbb', 'upload account-baseline template'),
    step(
      'baseline:200000000001:bbbb',
      'access roles and backup in web (200000000001)',
      'roles: Admin, AutomationRole',
    ),
    step(
      'baseline:200000000002:aaaa',
      'access roles and backup in api (200000000002)',
      'roles: Admin, AutomationRole',
    ),
    step(
      'baseline:200000000003:bbbb',
      'access roles and backup in new (200000000003)',
      'roles: Admin, AutomationRole',
    ),
    step('iam-mapping:200000000009:cccc', 'UPDATE_IAM_MAPPING in identity 200000000009', 'no roles'),
  ];
  const done = new Set([
    'baseline:200000000001:aaaa', // web: deployed with another template
    'baseline:200000000002:aaaa', // api: unchanged
    'iam-mapping:200000000009:dddd',
  ]);

  it('lists the steps a run would take: changed (~) or first (+), with the roles they deploy; uploads counted', () => {
    const s = provisioningSection({
      steps,
      recorded: done,
      done,
      slotsRecorded: new Set(completionsBySlot(done, steps).keys()),
      missing: ['later'],
      pendingOus: [],
      stateLocation: 'state.json',
    });
    expect(s.status).toBe('changes');
    expect(s.summary).toBe('3 of 5 step(s) to run in 3 account(s)');
    expect(s.changes.map((c) => `${c.symbol} ${c.target}: ${c.reason}`)).toEqual([
      '~ access roles and backup in web (200000000001): changed since the last pipeline run; roles: Admin, AutomationRole',
      '+ access roles and backup in new (200000000003): not provisioned yet; roles: Admin, AutomationRole',
      '~ UPDATE_IAM_MAPPING in identity 200000000009: changed since the last pipeline run; no roles',
    ]);
    expect(s.notes).toEqual([
      'state: state.json (3 step(s) recorded)',
      'later: not created yet; provisioned on the run after sync-accounts',
      '1 supporting step(s) too (template uploads, waits, forward rules)',
    ]);
    expect(s.apply).toBe('orgbridge run --action pipeline --execute');
  });

  it('is in sync when the state records every step', () => {
    const all = new Set(steps.map((s) => s.id));
    const s = provisioningSection({
      steps,
      recorded: all,
      done: all,
      slotsRecorded: new Set(completionsBySlot(all, steps).keys()),
      missing: [],
      pendingOus: [],
      stateLocation: 'state.json',
    });
    expect(s.status).toBe('in-sync');
    expect(s.changes).toEqual([]);
    expect(s.summary).toBe('no changes (5 step(s) done)');
  });
});
