import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { loadConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/model.js';
import { operatingRegions } from '../../src/config/regions.js';
import { retiredAccountsOf, runCustomizations } from '../../src/pipeline/customizations.js';
import { directCustomizationGateway } from '../../src/pipeline/gateways/customization-gateway.js';
import { planOrganization } from '../../src/pipeline/organization-plan.js';
import { MARKERS } from '../../src/plan/markers.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { bootstrapOrganization, type ProvisionedOrg } from '../support/provisioning.js';

/**
 * `run --action customizations` on the emulator, direct gateway: two customizations targeted at
 * different accounts and regions, applied, re-run, changed, narrowed, and one failing account.
 */

const MEMBERS = `  app:
    scope: dev
    tags:
      team: payments
  web:
    scope: dev
  batch:
    scope: infra
`;

const PARAMETER_STACK = `targets:
  scopes: [dev]
regions: all
parameters:
  ServiceName: '{key}'
  ParameterName: '/platform/{environment}/{key}'
`;
const parameterTemplate = (suffix: string) => `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  ServiceName: { Type: String }
  ParameterName: { Type: String }
Resources:
  Service:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Ref ParameterName
      Type: String
      Value: !Sub '\${ServiceName}${suffix}'
`;
const ROLE_STACK = `targets:
  tags: { team: payments }
depends_on: [service-parameter]
`;
const ROLE_TEMPLATE = `Resources:
  Auditor:
    Type: AWS::IAM::Role
    Properties:
      RoleName: custom-external-auditor
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: { Service: cloudformation.amazonaws.com }
            Action: sts:AssumeRole
`;

describe('run --action customizations on the emulator', () => {
  const moto = useMoto();
  let org: ProvisionedOrg;
  const quick = { maxWaitMs: 5_000, pollMs: 10, sleep: async () => {} };

  const write = (path: string, text: string) => writeFileSync(join(org.configDir, path), text);
  const run = async (
    execute: boolean,
    config?: ResolvedConfig,
    more: Partial<Pick<Parameters<typeof runCustomizations>[0], 'accountIds' | 'retired'>> = {},
  ) => {
    const io = memoryIo();
    const result = await runCustomizations({
      config: config ?? (await loadConfig(org.configDir)),
      accountIds: org.ids,
      ...more,
      gateway: directCustomizationGateway({
        management: moto().management,
        specialIds: org.special,
        deploy: quick,
      }),
      execute,
      output: io,
    });
    return { ...result, text: [...io.stdout, ...io.stderr].join('\n') };
  };
  const actions = (
    decisions: readonly { action: string; account: string; region: string; customization: string }[],
  ) =>
    decisions
      .filter((d) => d.action !== 'unchanged')
      .map((d) => `${d.action} ${d.customization} ${d.account} ${d.region}`)
      .sort();
  const stackIn = async (key: string, region: string, name: string) => {
    const clients = moto().management.forAccount(org.ids[key] as string);
    return clients
      .cloudFormation(region)
      .send(new DescribeStacksCommand({ StackName: name }))
      .then((o) => o.Stacks?.[0])
      .catch(() => undefined);
  };
  const calls = (operation: string) =>
    moto().management.counter.counts.get(`CloudFormation.${operation}`) ?? 0;

  beforeAll(async () => {
    const { managementId } = await createOrganization(moto().management);
    org = await bootstrapOrganization(moto().management, managementId, MEMBERS, {
      stackInstancesFor: () => false,
      files: {
        'stacks/service-parameter/stack.yml': PARAMETER_STACK,
        'stacks/service-parameter/template.yml': parameterTemplate(''),
        'stacks/readonly-role/stack.yml': ROLE_STACK,
        'stacks/readonly-role/template.yml': ROLE_TEMPLATE,
      },
    });
  }, 120_000);

  it('shows the creates in a dry run, then deploys each stack to exactly the selected accounts and regions', async () => {
    const dry = await run(false);
    expect(dry.outcome).toBe('pending');
    const wanted = [
      'create readonly-role app us-east-1',
      'create service-parameter app us-east-1',
      'create service-parameter app us-west-2',
      'create service-parameter web us-east-1',
      'create service-parameter web us-west-2',
    ];
    expect(actions(dry.decisions)).toEqual(wanted);
    expect(dry.text).toContain('+ Service (AWS::SSM::Parameter)');
    expect(await stackIn('app', 'us-east-1', 'custom-service-parameter')).toBeUndefined();

    const applied = await run(true);
    expect(applied.outcome).toBe('done');
    expect(actions(applied.decisions)).toEqual(wanted);
    for (const [key, region] of [
      ['app', 'us-east-1'],
      ['app', 'us-west-2'],
      ['web', 'us-west-2'],
    ] as const) {
      const ssm = moto()
        .management.forAccount(org.ids[key] as string)
        .ssm(region);
      const value = await ssm.send(new GetParameterCommand({ Name: `/platform/nonprod/${key}` }));
      expect(value.Parameter?.Value).toBe(key);
    }
    expect(await stackIn('batch', 'us-east-1', 'custom-service-parameter')).toBeUndefined();
    expect(await stackIn('web', 'us-east-1', 'custom-readonly-role')).toBeUndefined();
    const role = await moto()
      .management.forAccount(org.ids.app as string)
      .iam()
      .send(new GetRoleCommand({ RoleName: 'custom-external-auditor' }));
    expect(role.Role?.RoleName).toBe('custom-external-auditor');
    expect(role.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      `arn:aws:iam::${org.ids.app}:policy/orgbridge-customization-boundary`,
    );
  });

  it('does nothing on a re-run: no change set, no update', async () => {
    const before = [calls('CreateChangeSet'), calls('UpdateStack'), calls('CreateStack')];
    const dry = await run(false);
    expect(dry.outcome).toBe('done');
    expect(actions(dry.decisions)).toEqual([]);
    const again = await run(true);
    expect(again.outcome).toBe('done');
    expect([calls('CreateChangeSet'), calls('UpdateStack'), calls('CreateStack')]).toEqual(before);
  });

  it('orgbridge plan shows the same decisions in its customizations section', async () => {
    const plan = async () => {
      const p = await planOrganization({
        config: await loadConfig(org.configDir),
        connection: { kind: 'direct', clients: moto().management, close: async () => {} },
        now: new Date(),
        only: ['customizations'],
      });
      return p.sections[0];
    };
    const settled = await plan();
    expect(settled).toMatchObject({
      kind: 'customizations',
      summary: 'no changes (5 unchanged)',
      changes: [],
    });
    expect(settled?.drift).toEqual([]);
    // A value changed by hand: drift detection runs in every plan and names the resource.
    const ssm = moto()
      .management.forAccount(org.ids.web as string)
      .ssm('us-west-2');
    await ssm.send(
      new PutParameterCommand({
        Name: '/platform/nonprod/web',
        Value: 'by-hand',
        Type: 'String',
        Overwrite: true,
      }),
    );
    const drifted = await plan();
    expect(drifted?.drift).toEqual([
      {
        target: 'web/us-west-2/custom-service-parameter',
        detail: 'Service (AWS::SSM::Parameter) MODIFIED: /Value web -> by-hand',
      },
    ]);
    expect(drifted?.changes).toEqual([]);
    await ssm.send(
      new PutParameterCommand({
        Name: '/platform/nonprod/web',
        Value: 'web',
        Type: 'String',
        Overwrite: true,
      }),
    );
    expect((await plan())?.drift).toEqual([]);
    write(
      'stacks/readonly-role/stack.yml',
      ROLE_STACK.replace('tags: { team: payments }', 'accounts: [app, web]'),
    );
    try {
      const pending = await plan();
      expect(pending?.changes.map((c) => `${c.group} ${c.target}`)).toEqual([
        'create stack web/us-east-1/custom-readonly-role',
      ]);
      expect(pending?.summary).toBe('1 to create (5 unchanged)');
    } finally {
      write('stacks/readonly-role/stack.yml', ROLE_STACK);
    }
  });

  it("shows a template change as each stack's resource changes, and updates only those stacks", async () => {
    write('stacks/service-parameter/template.yml', parameterTemplate('-v2'));
    const dry = await run(false);
    expect(actions(dry.decisions)).toEqual([
      'update service-parameter app us-east-1',
      'update service-parameter app us-west-2',
      'update service-parameter web us-east-1',
      'update service-parameter web us-west-2',
    ]);
    expect(dry.text).toMatch(/~ Service \(AWS::SSM::Parameter\)/);
    const updates = calls('UpdateStack');
    const applied = await run(true);
    expect(applied.outcome).toBe('done');
    expect(calls('UpdateStack') - updates).toBe(4);
    const ssm = moto()
      .management.forAccount(org.ids.web as string)
      .ssm('us-east-1');
    expect(
      (await ssm.send(new GetParameterCommand({ Name: '/platform/nonprod/web' }))).Parameter?.Value,
    ).toBe('web-v2');
  });

  it('deletes the stacks of a target removed, after showing it', async () => {
    write('stacks/service-parameter/stack.yml', `${PARAMETER_STACK}exclude:\n  accounts: [web]\n`);
    const dry = await run(false);
    expect(actions(dry.decisions)).toEqual([
      'delete service-parameter web us-east-1',
      'delete service-parameter web us-west-2',
    ]);
    expect(dry.text).toContain('no longer targeted');
    expect((await run(true)).outcome).toBe('done');
    expect(await stackIn('web', 'us-west-2', 'custom-service-parameter')).toBeUndefined();
    expect(await stackIn('app', 'us-west-2', 'custom-service-parameter')).toBeDefined();
  });

  it('keeps a failing stack to its account and region: the others are done, its dependants wait', async () => {
    // A new resource whose parameter exists already in app/us-east-1 (made by hand).
    write(
      'stacks/service-parameter/template.yml',
      `${parameterTemplate('-v2')}  Extra:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub '\${ParameterName}-extra'
      Type: String
      Value: extra
`,
    );
    await moto()
      .management.forAccount(org.ids.app as string)
      .ssm('us-east-1')
      .send(
        new PutParameterCommand({ Name: '/platform/nonprod/app-extra', Value: 'by hand', Type: 'String' }),
      );
    write(
      'stacks/readonly-role/template.yml',
      ROLE_TEMPLATE.replace('custom-external-auditor', 'custom-external-auditor-2'),
    );
    const applied = await run(true);
    expect(applied.outcome).toBe('failed');
    expect(Object.keys(applied.failures).sort()).toEqual([
      'app/us-east-1/custom-readonly-role',
      'app/us-east-1/custom-service-parameter',
    ]);
    expect(applied.failures['app/us-east-1/custom-service-parameter']).toMatch(/UPDATE_ROLLBACK_COMPLETE/);
    expect(applied.failures['app/us-east-1/custom-readonly-role']).toMatch(/depends on service-parameter/);
    const ssm = moto()
      .management.forAccount(org.ids.app as string)
      .ssm('us-west-2');
    const extra = await ssm.send(new GetParameterCommand({ Name: '/platform/nonprod/app-extra' }));
    expect(extra.Parameter?.Value).toBe('extra');
    rmSync(join(org.configDir, 'stacks/readonly-role'), { recursive: true });
  });

  it('deletes the stacks of an account retired to the morgue, unless keep_on_retire', async () => {
    // `app` left the DSL and sits in the morgue: retiredAccountsOf names it (unit-tested below).
    const retiredRun = async (execute: boolean) => {
      const config = await loadConfig(org.configDir);
      const { app: _app, ...ids } = org.ids;
      return run(
        execute,
        { ...config, accounts: config.accounts.filter((a) => a.key !== 'app') },
        {
          accountIds: ids,
          retired: [{ key: 'app', id: org.ids.app as string, regions: ['us-east-1', 'us-west-2'] }],
        },
      );
    };
    const ofApp = (
      decisions: readonly { account: string; action: string; region: string; reasons: readonly string[] }[],
    ) =>
      decisions
        .filter((d) => d.account === 'app')
        .map((d) => `${d.action} ${d.region}: ${d.reasons.join(', ')}`)
        .sort();
    write('stacks/service-parameter/template.yml', parameterTemplate('-v3'));
    write('stacks/service-parameter/stack.yml', `${PARAMETER_STACK}keep_on_retire: true\n`);
    // The role stack's customization was removed above: it goes either way.
    expect(ofApp((await retiredRun(false)).decisions)).toEqual([
      'delete us-east-1: customization removed',
      'kept us-east-1: account retired; keep_on_retire is set',
      'kept us-west-2: account retired; keep_on_retire is set',
    ]);
    write('stacks/service-parameter/stack.yml', PARAMETER_STACK);
    expect(ofApp((await retiredRun(false)).decisions)).toEqual([
      'delete us-east-1: account retired',
      'delete us-east-1: customization removed',
      'delete us-west-2: account retired',
    ]);
    expect((await retiredRun(true)).outcome).toBe('done');
    expect(await stackIn('app', 'us-east-1', 'custom-service-parameter')).toBeUndefined();
    expect(await stackIn('app', 'us-west-2', 'custom-service-parameter')).toBeUndefined();
  });
});

describe('retiredAccountsOf', () => {
  it('names the active accounts in the morgue whose key the DSL no longer has', async () => {
    const config = await loadConfig('examples');
    const kept = config.accounts[10]?.key as string;
    const account = (
      id: string,
      ou: string,
      tags: Record<string, string>,
      status: 'ACTIVE' | 'SUSPENDED' = 'ACTIVE',
    ) => ({
      id,
      name: id,
      email: `${id}@example.com`,
      status,
      ou,
      tags,
      joined: '2026-01-01T00:00:00.000Z',
    });
    const morgue = config.organization.morgue_ou as string;
    const observed = {
      rootId: 'r-root',
      managementAccountId: '000000000000',
      ous: {},
      accounts: [
        account('100000000001', morgue, { [MARKERS.key]: 'gone' }),
        account('100000000002', morgue, { [MARKERS.key]: 'closed' }, 'SUSPENDED'),
        account('100000000003', morgue, {}),
        account('100000000004', 'Internal/Dev', { [MARKERS.key]: 'elsewhere' }),
        account('100000000005', morgue, { [MARKERS.key]: kept }),
      ],
    };
    expect(retiredAccountsOf(config, observed)).toEqual([
      { key: 'gone', id: '100000000001', regions: operatingRegions(config) },
    ]);
  });
});
