import {
  AttachPolicyCommand,
  CreateOrganizationalUnitCommand,
  CreatePolicyCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  type PolicyType,
} from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import type { PolicyDocument, ResolvedConfig } from '../../src/config/model.js';
import { type OrganizationsPolicyPort, organizationsPolicyPort } from '../../src/handlers/policies/ports.js';
import { planTextOf, syncScpsHandler } from '../../src/handlers/policies/sync.js';
import type { HandlerContext } from '../../src/handlers/types.js';
import { syncPolicies } from '../../src/pipeline/sync-policies.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { config as accountConfig, desired } from '../unit/plan/fixtures.js';

const doc = (type: PolicyDocument['type'], ou: string, name: string, content: object): PolicyDocument => ({
  type,
  organization_unit: ou,
  name,
  file: `policies/${type}/${ou}/${name}.json`,
  content: JSON.stringify(content),
});
const denyLeave = (sid = 'DenyLeave') => ({
  Version: '2012-10-17',
  Statement: [{ Sid: sid, Effect: 'Deny', Action: 'organizations:LeaveOrganization', Resource: '*' }],
});
const noReserved = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Deny', Action: 'ec2:PurchaseReservedInstancesOffering', Resource: '*' }],
};
const costCentre = { tags: { 'cost-centre': { tag_key: { '@@assign': 'cost-centre' } } } };
const daily = { plans: { Daily: { regions: { '@@assign': ['us-east-1'] } } } };

describe('policy sync on the emulator', () => {
  const moto = useMoto();
  let port: OrganizationsPolicyPort;
  const ous: Record<string, string> = {};

  const configWith = (policies: PolicyDocument[]): ResolvedConfig =>
    ({
      ...accountConfig([desired('api'), desired('web'), desired('ledger', { scope: 'standard' })]),
      directory: '/config',
      defaults: {},
      ecr: [],
      policies,
      account_policies: [],
      unmanaged: { accounts: [], organization_units: [], policies: [] },
    }) as ResolvedConfig;
  const sync = async (policies: PolicyDocument[], execute: boolean) => {
    const io = memoryIo();
    const result = await syncPolicies({
      config: configWith(policies),
      port,
      execute,
      output: io,
      emulator: true,
    });
    return { ...result, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };
  const attachedNames = async (ou: string, type: PolicyType = 'SERVICE_CONTROL_POLICY') => {
    const out = await moto()
      .management.organizations()
      .send(new ListPoliciesForTargetCommand({ TargetId: ous[ou], Filter: type }));
    return (out.Policies ?? []).map((p) => p.Name).sort();
  };

  beforeAll(async () => {
    const org = moto().management.organizations();
    const { rootId } = await createOrganization(moto().management);
    port = organizationsPolicyPort(org);
    const make = async (parent: string, name: string) =>
      (await org.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name })))
        .OrganizationalUnit?.Id as string;
    ous.Internal = await make(rootId, 'Internal');
    ous['Internal/Dev'] = await make(ous.Internal, 'Dev');
    ous['Internal/Standard'] = await make(ous.Internal, 'Standard');
  });

  const first = [
    doc('scp', 'Internal', 'deny-leave', denyLeave()),
    doc('scp', 'Internal/Dev', 'no-reserved', noReserved),
    doc('tag', 'Internal', 'cost-centre', costCentre),
    doc('backup', 'Internal/Dev', 'daily', daily),
  ];

  it('dry run plans the changes with accounts affected and changes nothing', async () => {
    const dry = await sync(first, false);
    expect(dry.outcome).toBe('pending');
    expect(dry.err).toContain(
      'skipping backup policies (1 files): the AWS emulator (moto) cannot create BACKUP_POLICY',
    );
    expect(dry.out).toContain('> attach scp orgbridge-scp-deny-leave to Internal (3 accounts affected)');
    expect(dry.out).toContain('> attach scp orgbridge-scp-no-reserved to Internal/Dev (2 accounts affected)');
    expect(dry.out).not.toContain('backup');
    expect(await attachedNames('Internal')).not.toContain('orgbridge-scp-deny-leave');
  });

  it('creates, tags and attaches, then a second run has nothing to do', async () => {
    const run = await sync(first, true);
    expect(run.applied?.failures).toEqual([]);
    expect(run.outcome).toBe('done');
    expect(await attachedNames('Internal')).toEqual(
      expect.arrayContaining(['FullAWSAccess', 'orgbridge-scp-deny-leave']),
    );
    expect(await attachedNames('Internal/Dev')).toContain('orgbridge-scp-no-reserved');
    expect(await attachedNames('Internal', 'TAG_POLICY')).toEqual(['orgbridge-tag-cost-centre']);
    const again = await sync(first, false);
    expect(again.out).toContain('no changes');
    expect(again.outcome).toBe('done');
  });

  it('updates, detaches and deletes its own policies and leaves hand-made ones alone', async () => {
    const org = moto().management.organizations();
    const hand = await org.send(
      new CreatePolicyCommand({
        Name: 'guardrail-by-hand',
        Description: 'not orgbridge',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify(noReserved),
      }),
    );
    await org.send(
      new AttachPolicyCommand({ PolicyId: hand.Policy?.PolicySummary?.Id, TargetId: ous['Internal/Dev'] }),
    );

    const second = [
      doc('scp', 'Internal', 'deny-leave', denyLeave('DenyLeaveV2')),
      doc('tag', 'Internal', 'cost-centre', costCentre),
    ];
    const run = await sync(second, true);
    expect(run.plan.actions.map((a) => a.action)).toEqual([
      'update-policy',
      'detach-policy',
      'delete-policy',
    ]);
    expect(run.plan.unmanaged).toContain('Internal/Dev: guardrail-by-hand');
    expect(run.outcome).toBe('done');
    expect(await attachedNames('Internal/Dev')).toEqual(['FullAWSAccess', 'guardrail-by-hand']);
    const all = await org.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }));
    expect((all.Policies ?? []).map((p) => p.Name).sort()).toEqual([
      'FullAWSAccess',
      'guardrail-by-hand',
      'orgbridge-scp-deny-leave',
    ]);
    expect((await sync(second, false)).outcome).toBe('done');
  });

  it('blocks when a policy would exceed the per-OU quota, FullAWSAccess counted', async () => {
    const many = ['a', 'b', 'c', 'd', 'e'].map((n) => doc('scp', 'Internal/Standard', n, denyLeave(n)));
    const blocked = await sync(many, true);
    expect(blocked.outcome).toBe('failed');
    expect(blocked.out).toContain('Internal/Standard would have 6 scp policies');
    expect(await attachedNames('Internal/Standard')).toEqual(['FullAWSAccess']);
  });

  it('SYNC_SCPS: plans in a dry run, applies otherwise, and refuses a blocked plan', async () => {
    const ctx = {
      clients: moto().management,
      log: { info: () => {}, warn: () => {}, error: () => {} },
      account: { id: '123456789012', kind: 'management' },
      sender: { id: '210987654321', kind: 'cicd' },
      nonce: 'f1e2d3c4-b5a6-4978-8877-665544332211',
      dryrun: true,
      reply: async () => {},
    } satisfies HandlerContext;
    const detail = (
      dryrun: boolean,
      policies: { name: string; organization_unit: string; content: string }[],
    ) => ({
      nonce: ctx.nonce,
      dryrun,
      target_account: ctx.account.id,
      policies,
    });
    const wanted = [
      {
        name: 'deny-leave',
        organization_unit: 'Internal',
        content: JSON.stringify(denyLeave('DenyLeaveV2')),
      },
      { name: 'by-event', organization_unit: 'Internal/Standard', content: JSON.stringify(noReserved) },
    ];
    const dry = await syncScpsHandler.handle(detail(true, wanted), ctx);
    expect(dry).toMatchObject({
      request_type: 'SYNC_SCPS',
      changed: false,
      summary: { actions: '2', 'create-policy': '1', 'attach-policy': '1' },
    });
    // The dry run's answer says what would change, as the CLI prints a plan (with each
    // document's diff indented below its line).
    expect(planTextOf(dry?.summary)).toMatch(
      /^policies \(scp\): 1 create-policy, 1 attach-policy\n.*create scp orgbridge-scp-by-event .*\n(?: {6}.*\n)*.*attach scp orgbridge-scp-by-event to Internal\/Standard/,
    );
    expect(await attachedNames('Internal/Standard')).toEqual(['FullAWSAccess']);
    expect(await syncScpsHandler.handle(detail(false, wanted), { ...ctx, dryrun: false })).toMatchObject({
      changed: true,
    });
    expect(await attachedNames('Internal/Standard')).toEqual(['FullAWSAccess', 'orgbridge-scp-by-event']);
    const tooBig = [
      {
        name: 'big',
        organization_unit: 'Internal',
        content: JSON.stringify({ Statement: ['x'.repeat(6000)] }),
      },
    ];
    await expect(syncScpsHandler.handle(detail(false, tooBig), ctx)).rejects.toMatchObject({
      code: 'SYNC_SCPS_BLOCKED',
    });
  });
});
