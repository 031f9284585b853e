import { describe, expect, it } from 'vitest';
import type { AccountKind, EcrRepository } from '../../../src/config/model.js';
import { IAM_PATH, identityMapping, memberAccess, planLogDelivery } from '../../../src/plan/access.js';
import { ROLE_NAMES, RUNTIME_STACKS } from '../../../src/protocol/names.js';
import { renderEcrTemplate } from '../../../src/templates/ecr.js';
import { templateInputs } from '../../../src/templates/inputs.js';
import {
  deploymentsIn,
  PROVIDER_PERMISSION_EXEMPTIONS,
  STACK_DEPLOYMENTS,
  type StackDeployment,
} from '../../../src/templates/permissions.js';
import {
  renderAccountBaseline,
  renderBackupVaults,
  renderIdentityMapping,
  renderLogBuckets,
  renderVpc,
} from '../../../src/templates/provisioning.js';
import { RESOURCE_PROVIDER_PERMISSIONS } from '../../../src/templates/resource-permissions.js';
import { renderTemplates } from '../../../src/templates/synth.js';
import { renderTopology } from '../../../src/templates/topology-adapter.js';
import {
  ACCESS_IDENTITY,
  ACCESS_ORG,
  accessContext,
  accessOrgPathOf,
  twoDevAccounts,
  web,
} from '../plan/access-fixture.js';
import { BUNDLE_KEYS, syntheticConfig } from './fixtures.js';

/**
 * The guard behind the CloudFormation service roles (STACK_DEPLOYMENTS in
 * src/templates/permissions.ts): every runtime template, rendered in its richest shape, against
 * the role that deploys it as the handler stacks render it. The role must allow every action the
 * resource provider schemas list for every resource in the template (RESOURCE_PROVIDER_PERMISSIONS)
 * on that resource's ARN, and nothing more: no wildcard action, `*` only for actions that take no
 * resource, every other resource in the account. The emulator enforces no IAM, so this is where a
 * missing permission shows before AWS refuses a deploy.
 */

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation template JSON, read only here
type Json = any;
type Resource = { Type: string; Properties?: Record<string, Json> };
type Template = { Resources: Record<string, Resource> };
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: Json;
  NotResource?: unknown;
  Condition?: unknown;
}
interface Policy {
  readonly statements: readonly Statement[];
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ORG = ACCESS_ORG;

// ---- The runtime templates, richest shape --------------------------------------------------

// The logs account deploys its own bucket, named after it: the role's account.
const LOGS = ACCOUNT;
const IDENTITY = ACCESS_IDENTITY;
const orgPathOf = accessOrgPathOf;
const context = accessContext;
const resolved = twoDevAccounts;
const repositories: EcrRepository[] = [
  {
    name: 'risk/engine',
    description: 'risk engine',
    lifecycle: [{ untagged: true, days: 14 }],
    pull: [{ services: ['web'] }],
  } as unknown as EcrRepository,
];

/** Stack key (of RUNTIME_STACKS) -> its rendered template in the richest shape the DSL allows. */
const RUNTIME_TEMPLATES: Readonly<Record<keyof typeof RUNTIME_STACKS, Template>> = {
  accountBaseline: renderAccountBaseline(memberAccess(web, context), IDENTITY, {
    backup: { vaults: ['Default', 'Monthly'], roles: ['orgbridge-backup', 'MyMonthlyBackupIamRole'] },
  }).template as Template,
  iamMapping: renderIdentityMapping(
    {
      ...identityMapping(resolved, context),
      settings: {
        iam_users: {
          developers_access_group: 'rw',
          developers_group_name: 'devs',
          automation_user_name: 'ci-bot',
        },
      },
    },
    IDENTITY,
  ).template as Template,
  logBuckets: renderLogBuckets(
    LOGS,
    REGION,
    ORG,
    planLogDelivery(resolved, { web: '300000000001', api: '300000000002' }, orgPathOf),
  ).template as Template,
  backupVaults: renderBackupVaults(['Default', 'Monthly']).template as Template,
  vpc: renderVpc({ region: REGION, cidr: '10.0.0.0/16', nat_gateway_count: 3 }).template as Template,
  ecr: renderEcrTemplate({
    repositories,
    accounts: [web],
    accountIds: { web: '300000000001' },
    organizationId: ORG,
    orgPaths: { 'Internal/Dev': `${ORG}/r-ab12/ou-ab12-00000001/ou-ab12-00000002/` },
  }).template as Template,
};

// ---- The service roles as the handler stacks render them ------------------------------------

const inputs = templateInputs(syntheticConfig(3), { organizationId: ORG, bundleKeys: BUNDLE_KEYS });
const handlerTemplates = renderTemplates(inputs);
const topology = renderTopology(inputs);

/** `${AWS::AccountId}` etc. as CloudFormation would substitute them in this account. */
function resolveString(value: Json): string {
  const text = typeof value === 'string' ? value : value?.['Fn::Sub'];
  if (typeof text !== 'string') throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const pseudo: Record<string, string> = { Partition: 'aws', AccountId: ACCOUNT, Region: REGION };
  return text.replace(/\$\{AWS::(Partition|AccountId|Region)\}/g, (_all, name: string) => pseudo[name] ?? '');
}

function rolePolicy(kind: string, roleName: string): Policy | undefined {
  const template = handlerTemplates.find((t) => t.name === `handlers-${kind}`)?.template as Template;
  const role = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === roleName,
  );
  if (!role) return undefined;
  const statements = (role.Properties?.Policies ?? []).flatMap(
    (p: Json) => p.PolicyDocument.Statement as Statement[],
  );
  return {
    statements: statements.map((s: Statement) => ({
      ...s,
      ...(s.Resource !== undefined ? { Resource: [s.Resource].flat().map(resolveString) } : {}),
    })),
  };
}

/**
 * Each (kind, deployment) where the stack is deployed from an account of the kind (by its handler,
 * or by the pipeline there: ECR in cicd), with the role passed.
 */
const deployments = Object.entries(topology.kinds).flatMap(([kind, view]) =>
  deploymentsIn(kind as AccountKind, view.handledDetailTypes).map((d) => ({ kind, deployment: d })),
);

// ---- IAM evaluation, as far as this guard needs it ------------------------------------------

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

function matches(s: Statement, action: string, target: string): boolean {
  const actions = [s.Action ?? []].flat() as string[];
  const resources = [s.Resource ?? []].flat() as string[];
  return actions.some((a) => glob(a, action, true)) && resources.some((r) => glob(r, target, false));
}

/** Allowed when an Allow matches and no Deny does; conditions are taken as met. */
function allows(policy: Policy, action: string, target: string): boolean {
  const hit = (effect: string) =>
    policy.statements.some((s) => s.Effect === effect && matches(s, action, target));
  return hit('Allow') && !hit('Deny');
}

// ---- What CloudFormation calls, on which ARN ---------------------------------------------

/** Actions that take no resource (Service Authorization Reference): they are evaluated against `*`. */
function takesNoResource(action: string): boolean {
  return /^ec2:Describe/i.test(action) || /^backup-storage:/i.test(action);
}

const EC2_ARN_TYPE: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC': 'vpc',
  'AWS::EC2::Subnet': 'subnet',
  'AWS::EC2::InternetGateway': 'internet-gateway',
  'AWS::EC2::VPCGatewayAttachment': 'internet-gateway',
  'AWS::EC2::RouteTable': 'route-table',
  'AWS::EC2::Route': 'route-table',
  'AWS::EC2::SubnetRouteTableAssociation': 'route-table',
  'AWS::EC2::EIP': 'elastic-ip',
  'AWS::EC2::NatGateway': 'natgateway',
};

function nameOf(template: Template, value: Json): string {
  if (value && typeof value === 'object' && 'Ref' in value) {
    const target = template.Resources[value.Ref as string];
    return nameOf(template, target?.Properties?.BucketName);
  }
  return resolveString(value);
}

/** The ARN `action` works on when CloudFormation handles `resource`. */
function targetOf(template: Template, resource: Resource, action: string): string {
  if (takesNoResource(action)) return '*';
  const p = resource.Properties ?? {};
  const [service] = action.split(':');
  if (service === 'kms') return `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  switch (resource.Type) {
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role${p.Path ?? '/'}${p.RoleName}`;
    case 'AWS::IAM::Group':
      return `arn:aws:iam::${ACCOUNT}:group${p.Path ?? '/'}${p.GroupName}`;
    case 'AWS::IAM::User':
      // Group membership calls work on the group; the user's groups share its path.
      return /UserToGroup|UserFromGroup/.test(action)
        ? `arn:aws:iam::${ACCOUNT}:group${p.Path ?? '/'}any-group`
        : `arn:aws:iam::${ACCOUNT}:user${p.Path ?? '/'}${p.UserName}`;
    case 'AWS::Backup::BackupVault':
      return `arn:aws:backup:${REGION}:${ACCOUNT}:backup-vault:${p.BackupVaultName}`;
    case 'AWS::S3::Bucket':
    case 'AWS::S3::BucketPolicy': {
      const bucket = `arn:aws:s3:::${nameOf(template, p.BucketName ?? p.Bucket)}`;
      return /Object/.test(action) && !/ObjectLock/.test(action) ? `${bucket}/any-key` : bucket;
    }
    case 'AWS::ECR::Repository':
      return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${p.RepositoryName}`;
  }
  const ec2 = EC2_ARN_TYPE[resource.Type];
  if (ec2) return `arn:aws:ec2:${REGION}:${ACCOUNT}:${ec2}/${ec2.slice(0, 3)}-0123456789abcdef0`;
  throw new Error(`no ARN rule for ${resource.Type} in this test: add one to targetOf`);
}

/** What CloudFormation needs for one resource: the provider's actions after the exemptions. */
function neededActions(resource: Resource): string[] {
  const row = RESOURCE_PROVIDER_PERMISSIONS[resource.Type];
  if (!row) return [];
  const set = props(resource);
  const out = new Set([...row.create, ...row.update, ...row.delete]);
  for (const e of PROVIDER_PERMISSION_EXEMPTIONS) {
    if (e.type !== resource.Type) continue;
    if (e.unlessProperties?.some((p) => set.has(p))) continue;
    for (const a of e.actions) out.delete(a);
    for (const a of e.authorizedBy ?? []) out.add(a);
  }
  return [...out].sort();
}

const props = (r: Resource) => new Set(Object.keys(r.Properties ?? {}));

/**
 * What Fn::GetAZs needs of the role that resolves it
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html).
 */
const GET_AZS_ACTIONS = [
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeSubnets',
];

/** Every (resource, action, ARN) the role cannot do for `template`; empty when it can deploy it. */
function missingPermissions(template: Template, policy: Policy): string[] {
  const missing: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    for (const action of neededActions(resource)) {
      const target = targetOf(template, resource, action);
      if (!allows(policy, action, target)) missing.push(`${id} (${resource.Type}): ${action} on ${target}`);
    }
  }
  // Fn::GetAZs is resolved by CloudFormation with the stack's role.
  if (JSON.stringify(template).includes('"Fn::GetAZs"')) {
    for (const action of GET_AZS_ACTIONS) {
      if (!allows(policy, action, '*')) missing.push(`Fn::GetAZs: ${action} on *`);
    }
  }
  return missing;
}

/** What a role grants beyond what its stacks need, or wider than it must. */
function broaderThanNeeded(policy: Policy, stacks: readonly Template[]): string[] {
  const needed = new Set<string>();
  for (const t of stacks) {
    for (const r of Object.values(t.Resources)) for (const a of neededActions(r)) needed.add(a.toLowerCase());
    if (JSON.stringify(t).includes('"Fn::GetAZs"'))
      for (const a of GET_AZS_ACTIONS) needed.add(a.toLowerCase());
  }
  const problems: string[] = [];
  for (const s of policy.statements) {
    const where = s.Sid ?? '(no sid)';
    if (s.NotAction !== undefined || s.NotResource !== undefined)
      problems.push(`${where}: NotAction/NotResource`);
    if (s.Effect !== 'Allow') continue;
    const actions = [s.Action ?? []].flat() as string[];
    const resources = (s.Resource ?? []) as string[];
    for (const action of actions) {
      if (/[*?]/.test(action)) problems.push(`${where}: wildcard action ${action}`);
      else if (!needed.has(action.toLowerCase()))
        problems.push(`${where}: ${action} is not needed by its stacks`);
      if (resources.includes('*') && !takesNoResource(action)) {
        problems.push(`${where}: ${action} on * though it takes a resource`);
      }
    }
    for (const r of resources) {
      if (r !== '*' && !r.includes(ACCOUNT)) problems.push(`${where}: ${r} is not in the account`);
    }
  }
  return problems;
}

// ---- The checks ----------------------------------------------------------------------------

const stacksDeployedWith = (kind: string, role: string) =>
  deployments
    .filter((d) => d.kind === kind && d.deployment.serviceRole === role)
    .map((d) => RUNTIME_TEMPLATES[d.deployment.stack]);

const label = (kind: string, d: StackDeployment) =>
  `${d.serviceRole} in ${kind} for ${RUNTIME_STACKS[d.stack]}`;

describe('CloudFormation service roles against the resource provider schemas', () => {
  it('find a deploying handler and its role for every deployment', () => {
    for (const d of STACK_DEPLOYMENTS) {
      expect(
        deployments.some((x) => x.deployment === d),
        d.stack,
      ).toBe(true);
    }
    for (const { kind, deployment } of deployments) {
      expect(rolePolicy(kind, deployment.serviceRole), label(kind, deployment)).toBeDefined();
    }
  });

  it('know every resource type of every runtime template', () => {
    const unknown = Object.entries(RUNTIME_TEMPLATES).flatMap(([stack, t]) =>
      Object.values(t.Resources)
        .filter((r) => !RESOURCE_PROVIDER_PERMISSIONS[r.Type])
        .map((r) => `${stack}: ${r.Type} (run scripts/provider-permissions.ts <schema-dir> ${r.Type})`),
    );
    expect(unknown).toEqual([]);
  });

  it.each(
    deployments.map(({ kind, deployment }) => [label(kind, deployment), kind, deployment] as const),
  )('%s allows every action the provider schemas list', (_name, kind, deployment) => {
    const policy = rolePolicy(kind, deployment.serviceRole) as Policy;
    expect(missingPermissions(RUNTIME_TEMPLATES[deployment.stack], policy)).toEqual([]);
  });

  it.each(
    [...new Set(deployments.map((d) => `${d.kind}/${d.deployment.serviceRole}`))].map((key) => {
      const [kind, role] = key.split('/') as [string, string];
      return [key, kind, role] as const;
    }),
  )('%s grants nothing its stacks do not need, and nothing outside the account', (_key, kind, role) => {
    expect(broaderThanNeeded(rolePolicy(kind, role) as Policy, stacksDeployedWith(kind, role))).toEqual([]);
  });

  it('scope IAM users, groups and buckets to orgbridge names and protect the roles orgbridge runs on', () => {
    for (const { kind, deployment } of deployments) {
      const policy = rolePolicy(kind, deployment.serviceRole) as Policy;
      const resources = policy.statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => s.Resource as string[]);
      for (const r of resources.filter((x) => /:(user|group)\//.test(x))) {
        expect(r).toMatch(new RegExp(`:(user|group)${IAM_PATH}\\*$`));
      }
      for (const r of resources.filter((x) => x.startsWith('arn:aws:s3:'))) {
        expect(r).toBe(`arn:aws:s3:::orgbridge-logs-${ACCOUNT}-*`);
      }
      if (deployment.stack === 'iamMapping' || deployment.stack === 'accountBaseline') {
        // Every role orgbridge itself names (src/protocol/names.ts), the DLQ operator and the
        // audit reader included: the queue policies and the audit store trust them by name.
        const own = Object.values(ROLE_NAMES).map((name) =>
          typeof name === 'string' ? name : name('member'),
        );
        expect(own).toEqual(expect.arrayContaining(['orgbridge-dlq-operator', 'orgbridge-audit-reader']));
        for (const name of own) {
          expect(allows(policy, 'iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/${name}`), name).toBe(
            false,
          );
        }
        expect(allows(policy, 'iam:PutRolePolicy', `arn:aws:iam::${ACCOUNT}:role/orgbridge-group-rw`)).toBe(
          true,
        );
      }
    }
  });

  it('scope the ECR deployer to the repositories of the cicd account in the home region, without KMS', () => {
    const ecr = deployments.filter((d) => d.deployment.stack === 'ecr');
    expect(ecr.map((d) => `${d.kind}/${d.deployment.serviceRole}`)).toEqual(['cicd/orgbridge-ecr-deployer']);
    for (const kind of Object.keys(topology.kinds).filter((k) => k !== 'cicd')) {
      expect(rolePolicy(kind, 'orgbridge-ecr-deployer'), kind).toBeUndefined();
    }
    const policy = rolePolicy('cicd', 'orgbridge-ecr-deployer') as Policy;
    expect(policy.statements.flatMap((s) => s.Resource as string[])).toEqual([
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/*`,
    ]);
    expect(
      allows(policy, 'ecr:DeleteRepository', `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/risk/engine`),
    ).toBe(false);
    // A customer managed key would lift the KMS exemption, and the role would lack the KMS calls.
    const encrypted: Template = {
      Resources: Object.fromEntries(
        Object.entries(RUNTIME_TEMPLATES.ecr.Resources).map(([id, r]) => [
          id,
          {
            ...r,
            Properties: {
              ...r.Properties,
              EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: 'alias/ecr' },
            },
          },
        ]),
      ),
    };
    expect(missingPermissions(RUNTIME_TEMPLATES.ecr, policy)).toEqual([]);
    expect(missingPermissions(encrypted, policy).filter((m) => m.includes(': kms:'))).toHaveLength(3);
  });

  it('keep exemptions honest: listed by the schema, for properties no template sets', () => {
    for (const e of PROVIDER_PERMISSION_EXEMPTIONS) {
      const row = RESOURCE_PROVIDER_PERMISSIONS[e.type];
      const listed = new Set([...(row?.create ?? []), ...(row?.update ?? []), ...(row?.delete ?? [])]);
      for (const a of e.actions) expect(listed.has(a), `${e.type} ${a}`).toBe(true);
      expect(
        e.unlessProperties !== undefined || e.authorizedBy !== undefined || e.objectLevel,
        e.reason,
      ).toBe(true);
      if (e.objectLevel) for (const a of e.actions) expect(a, e.reason).toMatch(/^s3:\w*Object\w*$/);
      for (const t of Object.values(RUNTIME_TEMPLATES)) {
        for (const r of Object.values(t.Resources).filter((x) => x.Type === e.type)) {
          for (const p of e.unlessProperties ?? []) expect(props(r).has(p), `${e.type}.${p}`).toBe(false);
        }
      }
    }
  });

  it('fail when the role lacks one needed action or grants a wildcard', () => {
    const { kind, deployment } = deployments.find((d) => d.deployment.stack === 'accountBaseline') as {
      kind: string;
      deployment: StackDeployment;
    };
    const policy = rolePolicy(kind, deployment.serviceRole) as Policy;
    const without: Policy = {
      statements: policy.statements.map((s) => ({
        ...s,
        Action: ([s.Action ?? []].flat() as string[]).filter((a) => a !== 'iam:ListRolePolicies'),
      })),
    };
    expect(missingPermissions(RUNTIME_TEMPLATES.accountBaseline, without)).toContain(
      `AutomationRole (AWS::IAM::Role): iam:ListRolePolicies on arn:aws:iam::${ACCOUNT}:role/AutomationRole`,
    );
    const wider: Policy = {
      statements: [...policy.statements, { Sid: 'Wide', Effect: 'Allow', Action: 'iam:*', Resource: ['*'] }],
    };
    expect(broaderThanNeeded(wider, stacksDeployedWith(kind, deployment.serviceRole))).toEqual([
      'Wide: wildcard action iam:*',
      'Wide: iam:* on * though it takes a resource',
    ]);
  });
});
