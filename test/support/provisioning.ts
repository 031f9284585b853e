import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateStackInstancesCommand, CreateStackSetCommand } from '@aws-sdk/client-cloudformation';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { type BucketLocationConstraint, CreateBucketCommand } from '@aws-sdk/client-s3';
import type { AwsClients } from '../../src/aws/clients.js';
import { loadConfig } from '../../src/config/index.js';
import type { ResolvedConfig, SpecialAccountKind } from '../../src/config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../../src/config/model.js';
import { observeOrganization } from '../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../src/pipeline/sync-accounts.js';
import type { ObservedOrganization } from '../../src/plan/observed.js';
import { artifactBucketName, ROLE_NAMES, STACK_SET_NAMES } from '../../src/protocol/names.js';
import { configuredRegions, resolveAccountIds } from '../../src/templates/inputs.js';
import { specialAccountEntries, specialAccountNames } from './accounts-yaml.js';

/**
 * An organization on the emulator as the bootstrap and sync-accounts leave it, ready for the
 * provisioning pipeline: accounts created by sync-accounts from a real accounts.yml, the cicd
 * account's bus and artifact buckets (one per region), the logs account's updater role, and the two stack sets
 * (SELF_MANAGED: moto deploys their instances into the accounts, bus included).
 */
export const HOME_REGION = 'us-east-1';
export const BUS = 'orgbridge-bus';

/** `organization` adds lines to the organization block (two-space indented YAML). */
export function accountsYaml(managementId: string, members: string, organization = ''): string {
  return `organization:
${organization}
${specialAccountNames()}  root_ou: Internal
  morgue_ou: Morgue
  event_bus: ${BUS}
  name_template: '{key}-{environment}'
  email_template: 'aws+{name}@example.com'
defaults:
  region: ${HOME_REGION}
  regions: [${HOME_REGION}, us-west-2]
  environment: nonprod
  create_vpc: false
  nat_gateway_count: 1
  tags:
    cost-centre: platform
scopes:
  dev:
    organization_unit: Internal/Dev
    create_vpc: true
    access:
      all: Admin
      rw: PowerUser,Developer
  infra:
    organization_unit: Internal/Infra
    environment: prod
    access:
      sre: Admin
      all: ReadOnly
accounts:
${specialAccountEntries('infra', {}, { management: `    id: '${managementId}'\n` })}${members}`;
}

export interface ProvisionedOrg {
  readonly config: ResolvedConfig;
  readonly observed: ObservedOrganization;
  readonly organizationId: string;
  readonly ids: Record<string, string>;
  readonly special: Record<SpecialAccountKind, string>;
  readonly configDir: string;
}

const BUS_TEMPLATE = JSON.stringify({
  Resources: { Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: BUS } } },
});
const HANDLERS_TEMPLATE = JSON.stringify({
  Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orgbridge-handler' } } },
});

/** Writes the config, syncs accounts, and bootstraps what provisioning needs. */
export async function bootstrapOrganization(
  management: AwsClients,
  managementId: string,
  members: string,
  options: {
    stackInstancesFor?: (key: string) => boolean;
    organization?: string;
    /** More files of the config repository, by path (e.g. `policies/backup/Internal/Dev/x.json`). */
    files?: Readonly<Record<string, string>>;
  } = {},
): Promise<ProvisionedOrg> {
  const configDir = mkdtempSync(join(tmpdir(), 'orgbridge-provision-'));
  writeFileSync(join(configDir, 'accounts.yml'), accountsYaml(managementId, members, options.organization));
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(configDir, path)), { recursive: true });
    writeFileSync(join(configDir, path), text);
  }
  const config = await loadConfig(configDir);
  const port = organizationsPort(management.organizations());
  const quiet = { out: () => {}, err: () => {}, interactive: false, color: false };
  const sync = await syncAccounts({
    config,
    gateway: directAccountsGateway(port, { clock: { now: () => new Date(), sleep: async () => {} } }),
    now: new Date(),
    execute: true,
    output: quiet,
  });
  if (sync.failures.length) throw new Error(`sync-accounts failed: ${sync.failures[0]?.message}`);
  const observed = await observeOrganization(port);
  const org = await management.organizations().send(new DescribeOrganizationCommand({}));
  const organizationId = org.Organization?.Id as string;
  const ids = resolveAccountIds(config, observed.accounts);
  const special = Object.fromEntries(
    SPECIAL_ACCOUNT_KINDS.map((k) => [k, ids[config.organization.accounts[k] as string] as string]),
  ) as Record<SpecialAccountKind, string>;

  const cicd = management.forAccount(special.cicd);
  // One artifact bucket per region of defaults.regions, as the bootstrap creates them.
  for (const region of configuredRegions(config)) {
    await cicd.s3(region).send(
      new CreateBucketCommand({
        Bucket: artifactBucketName(special.cicd, region),
        ...(region === 'us-east-1'
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
  }
  await management
    .forAccount(special.logs)
    .iam()
    .send(
      new CreateRoleCommand({
        RoleName: ROLE_NAMES.logBucketUpdater,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'cloudformation.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
  const cfn = management.cloudFormation(HOME_REGION);
  const wants = options.stackInstancesFor ?? (() => true);
  const members_ = config.accounts
    .filter((a) => a.kind === 'member' && wants(a.key))
    .map((a) => ids[a.key] as string);
  const specials = SPECIAL_ACCOUNT_KINDS.filter((k) => k !== 'management').map((k) => special[k]);
  for (const [name, body, accounts] of [
    [STACK_SET_NAMES.eventBus, BUS_TEMPLATE, [...specials, ...members_]],
    [STACK_SET_NAMES.handlers, HANDLERS_TEMPLATE, members_],
  ] as const) {
    await cfn.send(
      new CreateStackSetCommand({ StackSetName: name, TemplateBody: body, PermissionModel: 'SELF_MANAGED' }),
    );
    if (accounts.length) {
      await cfn.send(
        new CreateStackInstancesCommand({
          StackSetName: name,
          Accounts: [...accounts],
          Regions: [HOME_REGION],
        }),
      );
    }
  }
  return { config, observed, organizationId, ids, special, configDir };
}
