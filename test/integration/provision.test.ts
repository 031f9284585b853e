import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBackupVaultCommand, DescribeBackupVaultCommand } from '@aws-sdk/client-backup';
import { DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { DescribeNatGatewaysCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import { ssmPort } from '../../src/handlers/provisioning/ports.js';
import {
  type CompletionStore,
  fileCompletionStore,
  MemoryCompletionStore,
} from '../../src/pipeline/engine/dag.js';
import { directProvisioningGateway } from '../../src/pipeline/gateways/provision-gateway.js';
import { type ProvisioningGateway, provision } from '../../src/pipeline/provision.js';
import { orgPathResolver } from '../../src/plan/access.js';
import { RUNTIME_STACKS } from '../../src/protocol/names.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { bootstrapOrganization, HOME_REGION, type ProvisionedOrg } from '../support/provisioning.js';

/**
 * moto returns inline role policies created through CloudFormation as a Python dict repr
 * ({'Version': ...}), not URL-encoded JSON; ours contain no quotes or booleans, so swapping
 * quotes is exact for them.
 */
interface PolicyStatementJson {
  readonly Resource: string[];
  readonly Condition: Record<string, Record<string, string[]>>;
}
function parsePolicy(text: string | undefined): { Statement: PolicyStatementJson[] } {
  const decoded = decodeURIComponent(text ?? '{}');
  return JSON.parse(decoded.startsWith("{'") ? decoded.replaceAll("'", '"') : decoded);
}

const MEMBERS = `  app:
    scope: dev
    tags:
      team: payments
  web:
    scope: dev
    create_vpc: false
    use_cfr: true
    allowed_dns_domains: [web.example.com]
  batch:
    scope: dev
    nat_gateway_count: 2
`;

describe('new-account provisioning on the emulator', () => {
  const moto = useMoto();
  let org: ProvisionedOrg;
  let webVaultCreated: Date | undefined;
  const quick = { maxWaitMs: 5_000, pollMs: 10, sleep: async () => {} };

  const gatewayFor = (wrap?: (g: ProvisioningGateway) => ProvisioningGateway) => {
    const g = directProvisioningGateway({
      management: moto().management,
      config: org.config,
      accountIds: org.ids,
      specialIds: org.special,
      homeRegion: HOME_REGION,
      deploy: quick,
    });
    return wrap ? wrap(g) : g;
  };
  const run = async (store: CompletionStore, gateway = gatewayFor()) => {
    const io = memoryIo();
    const result = await provision({
      config: org.config,
      observed: org.observed,
      organizationId: org.organizationId,
      gateway,
      store,
      execute: true,
      output: io,
      waitPollMs: 1,
      waitTimeoutMs: 2_000,
      sleep: async () => {},
    });
    return { ...result, io };
  };
  const inAccount = (key: string) => moto().management.forAccount(org.ids[key] as string);
  const parametersOf = async (key: string) =>
    Object.fromEntries(
      (await ssmPort(inAccount(key).ssm(HOME_REGION)).parametersByPath('/orgbridge/account/')).map((p) => [
        p.name,
        p.value,
      ]),
    );

  beforeAll(async () => {
    const { management } = moto();
    const { managementId } = await createOrganization(management);
    org = await bootstrapOrganization(management, managementId, MEMBERS, {
      // Seed 004's monthly policy on the dev OU: its role is not orgbridge-backup, and it runs
      // in the home region and in us-west-2 (the example's ap-southeast-2 is not a region here).
      files: {
        'policies/backup/Internal/Dev/monthly.json': readFileSync(
          'examples/policies/backup/Internal/Standard/monthly.json',
          'utf8',
        ).replace('"ap-southeast-2"', '"us-west-2"'),
      },
    });
    // An adopted account where someone opened the AWS Backup console: Default exists already.
    const backup = moto()
      .management.forAccount(org.ids.web as string)
      .backup(HOME_REGION);
    await backup.send(new CreateBackupVaultCommand({ BackupVaultName: 'Default' }));
    webVaultCreated = (await backup.send(new DescribeBackupVaultCommand({ BackupVaultName: 'Default' })))
      .CreationDate;
  });

  it('provisions every account, then a re-run does nothing', async () => {
    const store = new MemoryCompletionStore();
    const first = await run(store);
    expect(first.run?.outcomes.filter((o) => o.status !== 'done')).toEqual([]);
    expect(first.outcome).toBe('done');

    // SSM parameters of a new dev account: its tags and the organization's facts.
    const byName = await parametersOf('app');
    expect(byName['/orgbridge/account/id']).toBe(org.ids.app);
    expect(byName['/orgbridge/account/tags/team']).toBe('payments');
    expect(byName['/orgbridge/account/tags/cost-centre']).toBe('platform');
    expect(byName['/orgbridge/account/accounts/identity']).toBe(org.special.identity);
    expect(byName['/orgbridge/account/event-bus']).toBe('orgbridge-bus');
    expect(byName['/orgbridge/account/regions']).toBe('us-east-1,us-west-2');
    expect((await parametersOf('web'))['/orgbridge/account/allowed-dns-domains']).toBe('web.example.com');
    expect(byName['/orgbridge/account/allowed-dns-domains']).toBeUndefined();

    // Roles in the dev account: the scope's role names and AutomationRole trusting only cicd.
    const iam = inAccount('app').iam();
    for (const name of ['Admin', 'PowerUser', 'Developer']) {
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      const trust = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '{}'));
      expect(trust.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${org.special.identity}:root`);
    }
    const admin = await iam.send(new GetRoleCommand({ RoleName: 'Admin' }));
    const adminTrust = JSON.parse(decodeURIComponent(admin.Role?.AssumeRolePolicyDocument ?? '{}'));
    expect(adminTrust.Statement[0].Condition.ArnEquals['aws:PrincipalArn']).toEqual([
      `arn:aws:iam::${org.special.identity}:role/orgbridge-group-all`,
    ]);
    await expect(iam.send(new GetRoleCommand({ RoleName: 'ReadOnly' }))).rejects.toThrow();
    const automation = await iam.send(new GetRoleCommand({ RoleName: 'AutomationRole' }));
    const autoTrust = JSON.parse(decodeURIComponent(automation.Role?.AssumeRolePolicyDocument ?? '{}'));
    expect(autoTrust.Statement).toHaveLength(1);
    expect(autoTrust.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${org.special.cicd}:root`);

    // Backup: the role the dev OU's backup policy names exists beside orgbridge-backup, trusting
    // AWS Backup; an infra account, whose OU has no backup policy, gets only orgbridge-backup.
    for (const name of ['orgbridge-backup', 'MyMonthlyBackupIamRole']) {
      const role = await iam.send(new GetRoleCommand({ RoleName: name }));
      const trust = JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '{}'));
      expect(trust.Statement[0].Principal.Service).toBe('backup.amazonaws.com');
    }
    const auditIam = inAccount('audit').iam();
    await auditIam.send(new GetRoleCommand({ RoleName: 'orgbridge-backup' }));
    await expect(auditIam.send(new GetRoleCommand({ RoleName: 'MyMonthlyBackupIamRole' }))).rejects.toThrow();
    // The vault Default: made sure of through the Backup API, in the home region and in us-west-2
    // where the dev OU's plan copies to, never a stack's resource (AWS Backup's console creates
    // it in adopted accounts: a stack creating it would fail there with AlreadyExists).
    const deployed = await inAccount('app')
      .cloudFormation(HOME_REGION)
      .send(new GetTemplateCommand({ StackName: RUNTIME_STACKS.accountBaseline }));
    expect(deployed.TemplateBody).not.toContain('AWS::Backup::BackupVault');
    const defaultVault = (key: string, region: string) =>
      inAccount(key)
        .backup(region)
        .send(new DescribeBackupVaultCommand({ BackupVaultName: 'Default' }));
    await expect(defaultVault('app', HOME_REGION)).resolves.toBeDefined();
    await expect(defaultVault('app', 'us-west-2')).resolves.toBeDefined();
    await expect(defaultVault('audit', HOME_REGION)).resolves.toBeDefined();
    await expect(defaultVault('audit', 'us-west-2')).rejects.toThrow();
    // The vault 'web' had before orgbridge came (the console's) is the one still there.
    expect((await defaultVault('web', HOME_REGION)).CreationDate).toEqual(webVaultCreated);
    // us-west-2 needs only Default: no stack there.
    for (const key of ['app', 'audit']) {
      await expect(
        inAccount(key)
          .cloudFormation('us-west-2')
          .send(new DescribeStacksCommand({ StackName: RUNTIME_STACKS.backupVaults })),
      ).rejects.toThrow();
    }

    // VPC only where create_vpc resolves true, with its NAT gateway count.
    const vpcsOf = async (key: string) =>
      (
        await inAccount(key)
          .ec2(HOME_REGION)
          .send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.0.0.0/16'] }] }))
      ).Vpcs ?? [];
    expect(await vpcsOf('app')).toHaveLength(1);
    expect(await vpcsOf('web')).toHaveLength(0);
    const nats = await inAccount('batch').ec2(HOME_REGION).send(new DescribeNatGatewaysCommand({}));
    expect(nats.NatGateways?.length).toBe(2);

    // The identity mapping grants each group exactly the configured roles, by OU path.
    const identityIam = moto().management.forAccount(org.special.identity).iam();
    const orgPath = orgPathResolver(org.organizationId, org.observed.ous);
    const grantsOf = async (group: string) => {
      const policy = await identityIam.send(
        new GetRolePolicyCommand({
          RoleName: `orgbridge-group-${group}`,
          PolicyName: 'assume-granted-roles',
        }),
      );
      const doc = parsePolicy(policy.PolicyDocument);
      return doc.Statement.map((s) => ({
        roles: s.Resource.map((r) => r.replace('arn:aws:iam::*:role/', '')),
        ous: s.Condition['ForAnyValue:StringEquals']?.['aws:ResourceOrgPaths'],
      }));
    };
    expect(await grantsOf('rw')).toEqual([
      { roles: ['Developer', 'PowerUser'], ous: [orgPath('Internal/Dev')] },
    ]);
    expect(await grantsOf('all')).toEqual([
      { roles: ['Admin'], ous: [orgPath('Internal/Dev')] },
      { roles: ['ReadOnly'], ous: [orgPath('Internal/Infra')] },
    ]);
    expect(await grantsOf('sre')).toEqual([{ roles: ['Admin'], ous: [orgPath('Internal/Infra')] }]);

    // The cicd forward rule of every account exists.
    const rules = await inAccount('cicd')
      .eventBridge(HOME_REGION)
      .send(new ListRulesCommand({ EventBusName: 'orgbridge-bus', NamePrefix: 'orgbridge-fwd-' }));
    expect(rules.Rules?.map((r) => r.Name)).toContain(`orgbridge-fwd-${org.ids.app}`);

    // The logs stack is deployed (moto skips S3::BucketPolicy: the policy is asserted on the template).
    const logs = await moto()
      .management.forAccount(org.special.logs)
      .cloudFormation(HOME_REGION)
      .send(new DescribeStacksCommand({ StackName: RUNTIME_STACKS.logBuckets }));
    expect(logs.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');

    const before = moto().management.counter.total;
    const again = await run(store);
    expect(again.pending).toEqual([]);
    expect(again.run?.counts.done).toBe(0);
    expect(again.outcome).toBe('done');
    // Re-running reads the store only: no AWS call at all.
    expect(moto().management.counter.total - before).toBe(0);
  });

  it('a failure in one branch leaves the others done, and the re-run finishes the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'orgbridge-state-'));
    const path = join(dir, '.orgbridge', 'pipeline-state.json');
    const appId = org.ids.app as string;
    const failing = gatewayFor((g) => ({
      ...g,
      async ensureForwardRule(accountId) {
        if (accountId === appId) throw new Error('injected: EventBridge unavailable');
        return g.ensureForwardRule(accountId);
      },
      async putSsmParameters(accountId, parameters) {
        if (accountId === org.ids.web) throw new Error('injected: SSM throttled');
        return g.putSsmParameters(accountId, parameters);
      },
    }));
    const first = await run(fileCompletionStore(path), failing);
    expect(first.outcome).toBe('failed');
    const by = (status: string) =>
      (first.run?.outcomes ?? [])
        .filter((o) => o.status === status)
        .map((o) => o.id.split(':').slice(0, 2).join(':'));
    expect(by('failed').sort()).toEqual([`forward-rule:${appId}`, `ssm-parameters:${org.ids.web}`].sort());
    // Only what needs app's forward rule is blocked; web's baseline and every other account are done.
    expect(by('blocked').sort()).toEqual(
      [`baseline:${appId}`, `ssm-parameters:${appId}`, `vpc:${appId}`].sort(),
    );
    expect(by('done')).toContain(`baseline:${org.ids.web}`);
    expect(by('done')).toContain(`vpc:${org.ids.batch}`);
    expect(first.io.stderr.join('\n')).toContain('injected: EventBridge unavailable');

    // A new process: the file store remembers what is done; only the five steps left run (us-west-2
    // needs only the vault Default, which the baseline's handler makes: no backup-vaults step).
    const second = await run(fileCompletionStore(path));
    expect(second.outcome).toBe('done');
    expect(second.pending.map((s) => s.id.split(':').slice(0, 2).join(':')).sort()).toEqual(
      [
        `forward-rule:${appId}`,
        `ssm-parameters:${appId}`,
        `baseline:${appId}`,
        `vpc:${appId}`,
        `ssm-parameters:${org.ids.web}`,
      ].sort(),
    );
    expect(second.run?.counts.done).toBe(5);
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(1);
    const third = await run(fileCompletionStore(path));
    expect(third.pending).toEqual([]);
  });

  it('a dry run lists the pending steps by kind and changes nothing', async () => {
    const io = memoryIo();
    const result = await provision({
      config: org.config,
      observed: org.observed,
      organizationId: org.organizationId,
      gateway: gatewayFor(),
      store: new MemoryCompletionStore(),
      execute: false,
      output: io,
    });
    expect(result.outcome).toBe('pending');
    expect(result.run).toBeUndefined();
    expect(io.stdout.join('\n')).toMatch(/ssm-parameters\s+9/);
  });
});
