import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
} from '@aws-sdk/client-route-53';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/index.js';
import type { RequestClient } from '../../src/bus/requests.js';
import { memoryIo } from '../../src/cli/io.js';
import type { ResolvedConfig } from '../../src/config/model.js';
import { ssmParameterPort } from '../../src/handlers/dns/ports.js';
import { readAccountDnsPermissions } from '../../src/handlers/dns/zones.js';
import { ssmPort } from '../../src/handlers/provisioning/ports.js';
import { handlersFor } from '../../src/handlers/registry.js';
import { pipelineAction } from '../../src/pipeline/actions/pipeline.js';
import { type CompletionStore, MemoryCompletionStore } from '../../src/pipeline/engine/dag.js';
import { cicdRequestClient } from '../../src/pipeline/gateways/accounts-gateway.js';
import { eventBridgeProvisioningGateway } from '../../src/pipeline/gateways/provision-gateway.js';
import { provision } from '../../src/pipeline/provision.js';
import { artifactObjectUrl, RUNTIME_STACKS, templateKey } from '../../src/protocol/names.js';
import { computeTopology, type Topology } from '../../src/protocol/topology.js';
import type { RecordOutcome } from '../../src/runtime/handle.js';
import { type LocalPollers, startLocalPollers } from '../../src/runtime/poller.js';
import { provisionTopology } from '../../src/runtime/provision.js';
import { accountKinds } from '../../src/templates/inputs.js';
import { createOrganization, useMoto } from '../support/moto.js';
import { BUS, bootstrapOrganization, HOME_REGION, type ProvisionedOrg } from '../support/provisioning.js';

const PARENT = 'aws.example.com';
const MEMBERS = `  app:
    scope: dev
    tags:
      team: payments
  web:
    scope: dev
    create_vpc: false
    allowed_dns_domains: [web.example.com]
    alias: 'acme-{key}'
  data:
    scope: infra
`;

/**
 * The pipeline as it runs in AWS: cicd credentials only, every change in another account a
 * request over EventBridge to that account's handler (here the local pollers, running the same
 * registry as local mode: `handlersFor(kind)`), answered on the cicd reply queue.
 */
describe('provisioning over EventBridge: cicd pipeline -> every account handler', () => {
  const moto = useMoto();
  let org: ProvisionedOrg;
  let topology: Topology;
  let pollers: LocalPollers;
  let client: RequestClient;
  let cicd: AwsClients;
  const outcomes: { account: string; outcome: RecordOutcome }[] = [];

  const run = async (config: ResolvedConfig, store: CompletionStore) => {
    const io = memoryIo();
    const result = await provision({
      config,
      observed: org.observed,
      organizationId: org.organizationId,
      gateway: eventBridgeProvisioningGateway({
        client,
        cicd,
        config,
        accountIds: org.ids,
        specialIds: org.special,
        homeRegion: HOME_REGION,
        timeoutMs: 15_000,
        stackTimeoutMs: 15_000,
      }),
      store,
      execute: true,
      output: io,
      waitPollMs: 1,
      waitTimeoutMs: 5_000,
      sleep: async () => {},
    });
    return { ...result, io };
  };
  const inAccount = (id: string) => moto().management.forAccount(id);
  /** The runtime reports an outcome just after it answers: wait until none has come for a while. */
  const settled = async () => {
    for (let seen = -1; seen !== outcomes.length; ) {
      seen = outcomes.length;
      await new Promise((r) => setTimeout(r, 1_200));
    }
    return outcomes.length;
  };
  const handled = (type: string) =>
    outcomes.filter((o) => o.outcome.status === 'handled' && o.outcome.type === type);

  beforeAll(async () => {
    const { management } = moto();
    const { managementId } = await createOrganization(management);
    org = await bootstrapOrganization(management, managementId, MEMBERS, {
      organization: `  dns_parent_domain: ${PARENT}\n`,
    });
    const kinds = accountKinds(org.config);
    topology = computeTopology({
      accounts: Object.entries(org.ids).map(([key, id]) => ({ id, kind: kinds.get(key) ?? 'member' })),
      busName: BUS,
      source: org.config.organization.event_source,
      region: HOME_REGION,
      visibilityTimeoutSeconds: 5,
    });
    const clientsFor = (id: string) => (id === managementId ? management : management.forAccount(id));
    await provisionTopology(topology, clientsFor, { organizationId: org.organizationId, concurrency: 6 });
    // The parent zone is the one thing a person creates in the DNS account (docs/dns.md).
    await inAccount(org.special.dns)
      .route53()
      .send(new CreateHostedZoneCommand({ Name: PARENT, CallerReference: 'parent' }));
    pollers = startLocalPollers({
      topology,
      clientsFor,
      // The management account's LIST_ACCOUNTS too, which `run --action pipeline` lists with.
      handlersFor: (kind) =>
        handlersFor(kind, {
          accounts: {
            rootOu: org.config.organization.root_ou as string,
            morgueOu: org.config.organization.morgue_ou as string,
          },
        }),
      waitSeconds: 1,
      retryDelaySeconds: 0,
      concurrency: 8,
      onOutcome: (account, outcome) => outcomes.push({ account, outcome }),
    });
    cicd = management.forAccount(org.special.cicd);
    client = await cicdRequestClient(cicd, {
      busName: BUS,
      source: org.config.organization.event_source,
      waitSeconds: 1,
      timeoutMs: 15_000,
    });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await pollers?.stop();
  });

  it('provisions every account through requests, then a re-run sends nothing', async () => {
    const store = new MemoryCompletionStore();
    const first = await run(org.config, store);
    expect(first.run?.outcomes.filter((o) => o.status !== 'done')).toEqual([]);
    expect(first.outcome).toBe('done');

    const accounts = Object.values(org.ids);
    const app = org.ids.app as string;
    const web = org.ids.web as string;
    // Every change went over the bus, from cicd, to the account it concerns.
    await settled();
    const targets = (type: string) => handled(type).map((o) => o.account);
    expect(targets('PUT_SSM_PARAMETERS').sort()).toEqual([...accounts].sort());
    expect(targets('UPDATE_ACCOUNT_BASELINE').sort()).toEqual([...accounts].sort());
    // The alias of the one account whose DSL sets one, by the account's own handler.
    expect(targets('UPDATE_IAM_ACCOUNT_SETTINGS')).toEqual([web]);
    const { ListAccountAliasesCommand } = await import('@aws-sdk/client-iam');
    const aliases = await moto().management.forAccount(web).iam().send(new ListAccountAliasesCommand({}));
    expect(aliases.AccountAliases).toEqual(['acme-web']);
    expect(targets('CREATE_VPC')).toEqual([app]);
    expect(targets('UPDATE_IAM_MAPPING')).toEqual([org.special.identity]);
    expect(targets('UPDATE_LOG_BUCKETS')).toEqual([org.special.logs]);
    expect(new Set(targets('STACK_INSTANCE_STATUS'))).toEqual(new Set([org.special.management]));
    expect(targets('ENSURE_ACCOUNT_ZONE')).toEqual(accounts.map(() => org.special.dns));
    for (const o of outcomes) {
      if (o.outcome.status === 'handled') expect(o.outcome.sender).toBe(org.special.cicd);
    }
    expect(outcomes.filter((o) => o.outcome.status !== 'handled')).toEqual([]);

    // SSM parameters, written by the account's own handler.
    const params = Object.fromEntries(
      (await ssmPort(inAccount(app).ssm(HOME_REGION)).parametersByPath('/orgbridge/account/')).map((p) => [
        p.name,
        p.value,
      ]),
    );
    expect(params['/orgbridge/account/id']).toBe(app);
    expect(params['/orgbridge/account/tags/team']).toBe('payments');
    expect(params['/orgbridge/account/dns-parent-domain']).toBe(PARENT);

    // The baseline: the dev scope's roles and AutomationRole, in a member account.
    for (const role of ['Admin', 'PowerUser', 'Developer', 'AutomationRole']) {
      const out = await inAccount(app)
        .iam()
        .send(new GetRoleCommand({ RoleName: role }));
      expect(out.Role?.RoleName).toBe(role);
    }

    // A VPC where create_vpc resolves true, none elsewhere.
    const vpcs = async (id: string) =>
      (
        await inAccount(id)
          .ec2(HOME_REGION)
          .send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.0.0.0/16'] }] }))
      ).Vpcs ?? [];
    expect(await vpcs(app)).toHaveLength(1);
    expect(await vpcs(web)).toHaveLength(0);

    // Each account's zone in the DNS account, delegated from the parent zone, with its permissions.
    const route53 = inAccount(org.special.dns).route53();
    const zoneId = async (name: string) => {
      const out = await route53.send(new ListHostedZonesByNameCommand({ DNSName: `${name}.` }));
      return out.HostedZones?.find((z) => z.Name === `${name}.`)?.Id;
    };
    const parentRecords = await route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: await zoneId(PARENT) }),
    );
    for (const key of ['app', 'web', 'data', 'cicd']) {
      const account = org.config.accounts.find((a) => a.key === key);
      const zone = `${account?.name}.${PARENT}`;
      const id = await zoneId(zone);
      expect(id, zone).toBeDefined();
      const servers = (await route53.send(new GetHostedZoneCommand({ Id: id }))).DelegationSet?.NameServers;
      const ns = parentRecords.ResourceRecordSets?.find((r) => r.Name === `${zone}.` && r.Type === 'NS');
      expect(ns?.ResourceRecords?.map((r) => r.Value).sort()).toEqual([...(servers ?? [])].sort());
    }
    const dnsParameters = ssmParameterPort(inAccount(org.special.dns).ssm(HOME_REGION));
    expect(await readAccountDnsPermissions(dnsParameters, web)).toEqual({
      zone: `${org.config.accounts.find((a) => a.key === 'web')?.name}.${PARENT}`,
      allowedDomains: ['web.example.com'],
      parentDomain: PARENT,
    });

    // Nothing left to do: no step runs, so no request is sent and no reply awaited.
    const seen = outcomes.length;
    const receives = client.receives;
    const again = await run(org.config, store);
    expect(again.pending).toEqual([]);
    expect(again.run?.counts.done).toBe(0);
    expect(client.receives).toBe(receives);
    expect(await settled()).toBe(seen);

    // A changed allowed_dns_domains re-runs that account's zone step (and its parameters) only.
    const changed: ResolvedConfig = {
      ...org.config,
      accounts: org.config.accounts.map((a) =>
        a.key === 'web' ? { ...a, allowed_dns_domains: ['web.example.com', 'Shop.Example.com'] } : a,
      ),
    };
    const third = await run(changed, store);
    expect(third.pending.map((s) => `${s.kind}:${s.accountId}`).sort()).toEqual(
      [`dns-zone:${web}`, `ssm-parameters:${web}`].sort(),
    );
    expect(third.outcome).toBe('done');
    expect((await readAccountDnsPermissions(dnsParameters, web)).allowedDomains).toEqual([
      'shop.example.com',
      'web.example.com',
    ]);
  }, 40_000);

  it('the baseline handler deploys the baseline stack only', async () => {
    const error = await client
      .request('UPDATE_ACCOUNT_BASELINE', org.ids.app as string, {
        stack_name: 'orgbridge-vpc',
        template_url: 'https://example.com/t.json',
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ remoteCode: 'PROVISION_STACK_NOT_ALLOWED' });
  });

  it('the stack handlers deploy templates from the cicd artifact bucket of their region only', async () => {
    // A template the attacker controls, in a bucket of an account the handlers could read.
    const forged = artifactObjectUrl(org.special.audit, HOME_REGION, templateKey('vpc-0123456789abcdef'));
    const app = org.ids.app as string;
    const refusals = await Promise.all([
      client
        .request('CREATE_VPC', app, {
          region: HOME_REGION,
          cidr: '10.9.0.0/16',
          nat_gateway_count: 0,
          template_url: forged,
        })
        .catch((e: unknown) => e),
      client
        .request('UPDATE_ACCOUNT_BASELINE', app, {
          stack_name: RUNTIME_STACKS.accountBaseline,
          template_url: forged,
        })
        .catch((e: unknown) => e),
      client
        .request('UPDATE_IAM_MAPPING', org.special.identity, {
          stack_name: RUNTIME_STACKS.iamMapping,
          template_url: 'https://attacker.s3.us-east-1.amazonaws.com/templates/x.template.json',
        })
        .catch((e: unknown) => e),
    ]);
    for (const error of refusals) {
      expect(error).toMatchObject({ remoteCode: 'PROVISION_TEMPLATE_URL_NOT_ALLOWED' });
    }
    const vpcs = await inAccount(app)
      .ec2(HOME_REGION)
      .send(new DescribeVpcsCommand({ Filters: [{ Name: 'cidr', Values: ['10.9.0.0/16'] }] }));
    expect(vpcs.Vpcs ?? []).toEqual([]);
  });

  it('run --action pipeline with cicd credentials lists over the one eventbridge connection, in the home region', async () => {
    const assumed = await moto()
      .management.sts()
      .send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${org.special.cicd}:role/OrganizationAccountAccessRole`,
          RoleSessionName: 'pipeline',
        }),
      );
    const cicdEnv = {
      AWS_ENDPOINT_URL: moto().server.endpoint,
      AWS_REGION: 'eu-west-1', // not the home region: the bus and reply queue are in defaults.region
      AWS_ACCESS_KEY_ID: assumed.Credentials?.AccessKeyId as string,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials?.SecretAccessKey as string,
      AWS_SESSION_TOKEN: assumed.Credentials?.SessionToken as string,
      ORGBRIDGE_PIPELINE_STATE: 'file',
      ORGBRIDGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'orgbridge-pipeline-state-')),
    };
    // The SDK's default credential chain reads process.env: act as cicd for this call only.
    const saved = Object.fromEntries(Object.keys(cicdEnv).map((k) => [k, process.env[k]]));
    Object.assign(process.env, cicdEnv);
    await settled();
    const before = outcomes.length;
    const io = memoryIo();
    const outcome = await pipelineAction
      .run({
        configDir: org.config.directory,
        execute: false,
        output: io,
        env: process.env,
        now: () => new Date(),
      })
      .finally(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      });
    expect(io.stderr.join('\n')).toContain('pipeline: eventbridge gateway');
    // A fresh state file: every step is pending, and a dry run sends nothing but the listing.
    expect(outcome).toBe('pending');
    await settled();
    expect(outcomes.slice(before).map((o) => o.outcome.type)).toEqual(['LIST_ACCOUNTS']);
  }, 30_000);
});
