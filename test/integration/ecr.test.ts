import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  GetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  MoveAccountCommand,
} from '@aws-sdk/client-organizations';
import { beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../src/cli/io.js';
import type { EcrRepository, ResolvedAccount, ResolvedConfig } from '../../src/config/model.js';
import { ecrDeployerRoleArn, syncEcr } from '../../src/pipeline/sync-ecr.js';
import { cfnLint } from '../support/cfn-lint.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { config as accountConfig, desired } from '../unit/plan/fixtures.js';

const repositories: EcrRepository[] = [
  {
    name: 'payments/api',
    lifecycle: [
      { tag_prefix: 'dev-', untagged: false, days: 7 },
      { untagged: true, days: 3 },
    ],
    pull: [{ environment: 'nonprod', services: ['payments'] }],
  },
  { name: 'ledger', lifecycle: [], pull: [{ services: ['ledger'] }] },
];

describe('sync-ecr on the emulator', () => {
  const moto = useMoto();
  const ids: Record<string, string> = {};
  let roleArn = '';

  const account = (key: string, service: string) => desired(key, { service, name: key });
  const configWith = (accounts: ResolvedAccount[], ecr: EcrRepository[]): ResolvedConfig =>
    ({
      ...accountConfig(accounts),
      directory: '/config',
      defaults: {},
      ecr,
      policies: [],
      account_policies: [],
      unmanaged: { accounts: [], organization_units: [], policies: [] },
    }) as ResolvedConfig;
  const sync = async (accounts: ResolvedAccount[], execute: boolean, ecr = repositories) => {
    const io = memoryIo();
    const clients = moto().management;
    const result = await syncEcr({
      config: configWith(accounts, ecr),
      organizations: clients.organizations(),
      cloudFormation: clients.cloudFormation(),
      ecr: clients.ecr(),
      serviceRoleArn: roleArn,
      execute,
      output: io,
      local: true,
    });
    return { ...result, out: io.stdout.join('\n') };
  };
  const pullPrincipals = async (repositoryName: string) => {
    const out = await moto().management.ecr().send(new GetRepositoryPolicyCommand({ repositoryName }));
    const policy = JSON.parse(out.policyText ?? '{}') as { Statement: { Principal: { AWS: string[] } }[] };
    return policy.Statement.flatMap((s) => s.Principal.AWS).sort();
  };
  const createMember = async (name: string) => {
    const org = moto().management.organizations();
    const out = await org.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }));
    const id = out.CreateAccountStatus?.AccountId as string;
    ids[name] = id;
    return id;
  };

  beforeAll(async () => {
    const { rootId } = await createOrganization(moto().management);
    // The ECR stack goes where the tests' clients act; moto neither checks nor assumes the role.
    roleArn = ecrDeployerRoleArn('us-east-1', await moto().management.callerAccountId());
    const org = moto().management.organizations();
    const internal = await org.send(
      new CreateOrganizationalUnitCommand({ ParentId: rootId, Name: 'Internal' }),
    );
    const dev = await org.send(
      new CreateOrganizationalUnitCommand({ ParentId: internal.OrganizationalUnit?.Id, Name: 'Dev' }),
    );
    for (const name of ['pay-dev-1', 'ledger-dev-1']) {
      const id = await createMember(name);
      await org.send(
        new MoveAccountCommand({
          AccountId: id,
          SourceParentId: rootId,
          DestinationParentId: dev.OrganizationalUnit?.Id,
        }),
      );
    }
  });

  const first = () => [account('pay-dev-1', 'payments'), account('ledger-dev-1', 'ledger')];

  it('plans the stack, deploys it, and sets lifecycle and pull policies', async () => {
    const dry = await sync(first(), false);
    expect(dry.outcome).toBe('pending');
    expect(dry.out).toContain('+ add payments/api');
    const run = await sync(first(), true);
    expect(run.outcome).toBe('done');
    const stack = await moto()
      .management.cloudFormation()
      .send(new DescribeStacksCommand({ StackName: 'orgbridge-ecr' }));
    expect(stack.Stacks?.[0]?.RoleARN).toBe(roleArn);
    expect(roleArn).toMatch(/:role\/orgbridge-ecr-deployer$/);
    const repos = await moto().management.ecr().send(new DescribeRepositoriesCommand({}));
    expect((repos.repositories ?? []).map((r) => r.repositoryName).sort()).toEqual([
      'ledger',
      'payments/api',
    ]);
    expect(await pullPrincipals('payments/api')).toEqual([`arn:aws:iam::${ids['pay-dev-1']}:root`]);
    const lifecycle = await moto()
      .management.ecr()
      .send(new GetLifecyclePolicyCommand({ repositoryName: 'payments/api' }));
    expect(JSON.parse(lifecycle.lifecyclePolicyText ?? '{}').rules).toHaveLength(2);
    expect((await sync(first(), false)).outcome).toBe('done');
  });

  it('grants a new account of the service on the next run, and only that repository changes', async () => {
    await createMember('pay-dev-2');
    const accounts = [...first(), account('pay-dev-2', 'payments')];
    const dry = await sync(accounts, false);
    expect(dry.changes).toEqual([{ repository: 'payments/api', change: 'update' }]);
    await sync(accounts, true);
    expect(await pullPrincipals('payments/api')).toEqual(
      [`arn:aws:iam::${ids['pay-dev-1']}:root`, `arn:aws:iam::${ids['pay-dev-2']}:root`].sort(),
    );
  });

  it('deploys a template cfn-lint accepts', async () => {
    const { rendered } = await sync(first(), false);
    const result = await cfnLint({ templates: [{ name: 'ecr.json', body: rendered.body }] });
    expect(result.findings).toEqual([]);
  });

  it('removes every repository when ecr.yml lists none, keeping the stack (CloudFormation needs a resource)', async () => {
    const run = await sync(first(), true, []);
    expect(run.changes.map((c) => c.change)).toEqual(['remove', 'remove']);
    expect(run.outcome).toBe('done');
    const repos = await moto().management.ecr().send(new DescribeRepositoriesCommand({}));
    expect(repos.repositories ?? []).toEqual([]);
    const stack = await moto()
      .management.cloudFormation()
      .send(new DescribeStacksCommand({ StackName: 'orgbridge-ecr' }));
    expect(stack.Stacks?.[0]?.StackStatus).toBe('UPDATE_COMPLETE');
    expect((await sync(first(), false, [])).outcome).toBe('done');
    const result = await cfnLint({ templates: [{ name: 'ecr-empty.json', body: run.rendered.body }] });
    expect(result.findings).toEqual([]);
  });
});
