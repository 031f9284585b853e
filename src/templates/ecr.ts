import { createHash } from 'node:crypto';
import { CfnRepository } from 'aws-cdk-lib/aws-ecr';
import type { EcrLifecycleRule, EcrPullGrant, EcrRepository, ResolvedAccount } from '../config/model.js';
import { OrgbridgeError } from '../errors.js';
import { partitionOf } from '../partitions.js';
import { newApp, newStack, synthesizeStack } from './stacks/common.js';

/**
 * `ecr.yml` -> one CloudFormation stack in the cicd account: a repository per entry, its
 * lifecycle policy and a pull policy for the accounts running the listed services (in the listed
 * environment). The policy is recomputed from accounts.yml on every run, so an account added for
 * service foo can pull foo's images after the next pipeline run.
 *
 * Size: a repository policy is at most 10,240 characters
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html). A grant lists
 * its accounts' root principals while it is short (about 30 characters an account). A longer one
 * names its accounts in an `aws:PrincipalAccount` condition instead (about 15 characters an
 * account, so some 600 fit), still exactly those accounts. Only a grant that would still push
 * the policy over the limit becomes the tag condition: the caller is in the organization
 * (`aws:PrincipalOrgID`), in one of the OUs holding those accounts (`aws:PrincipalOrgPaths`) and
 * carries the accounts' `service-name` (and `environment`) tags as principal tags, whose size
 * depends on the services and OUs, not on the accounts; but any account of those OUs can set such
 * tags on its own roles, so it is the last resort (docs/policies.md).
 */
export const ECR_STACK_NAME = 'orgbridge-ecr';
export const ECR_POLICY_MAX_CHARS = 10_240;
/** Grants to more accounts than this use conditions rather than an account list. */
export const ECR_ACCOUNT_LIST_MAX = 20;
const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'];

export interface EcrTemplateInputs {
  readonly repositories: readonly EcrRepository[];
  readonly accounts: readonly ResolvedAccount[];
  /** Account key -> id (from the config or the organization); accounts without one are skipped. */
  readonly accountIds: Readonly<Record<string, string>>;
  /** `o-...` */
  readonly organizationId: string;
  /** OU path -> `o-.../r-.../ou-.../` as aws:PrincipalOrgPaths spells it; missing OUs are skipped. */
  readonly orgPaths: Readonly<Record<string, string>>;
}

export interface RenderedEcrTemplate {
  readonly stackName: string;
  readonly template: Readonly<Record<string, unknown>>;
  readonly body: string;
  readonly sha256: string;
  /** Repository name -> its lifecycle policy text and repository policy (what ECR stores). */
  readonly repositories: Readonly<
    Record<string, { lifecyclePolicy?: string; repositoryPolicy?: Record<string, unknown> }>
  >;
}

/** ECR lifecycle policy JSON (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html). */
export function lifecyclePolicyText(rules: readonly EcrLifecycleRule[]): string | undefined {
  if (rules.length === 0) return undefined;
  return JSON.stringify({
    rules: rules.map((rule, i) => ({
      rulePriority: i + 1,
      description: rule.untagged
        ? `expire untagged images after ${rule.days} days`
        : `expire images tagged ${rule.tag_prefix}* after ${rule.days} days`,
      selection: {
        ...(rule.untagged
          ? { tagStatus: 'untagged' }
          : { tagStatus: 'tagged', tagPrefixList: [rule.tag_prefix as string] }),
        countType: 'sinceImagePushed',
        countUnit: 'days',
        countNumber: rule.days,
      },
      action: { type: 'expire' },
    })),
  });
}

function grantAccounts(grant: EcrPullGrant, accounts: readonly ResolvedAccount[]): ResolvedAccount[] {
  return accounts.filter(
    (a) =>
      grant.services.includes(a.service) &&
      (grant.environment === undefined || a.environment === grant.environment),
  );
}

type Statement = Record<string, unknown>;

/**
 * Root principals carry the partition of the organization's accounts (`arn:aws-cn:` in China,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html); the policy is compared
 * with what ECR stores, so it holds plain ARNs rather than CloudFormation's `${AWS::Partition}`.
 */
function listStatement(sid: string, ids: readonly string[], partition: string): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: { AWS: ids.map((id) => `arn:${partition}:iam::${id}:root`) },
    Action: PULL_ACTIONS,
  };
}

/** The grant's accounts by id: exact, as the list, at half its size. */
function accountsStatement(sid: string, ids: readonly string[], organizationId: string): Statement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: '*',
    Action: PULL_ACTIONS,
    Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId, 'aws:PrincipalAccount': [...ids] } },
  };
}

function conditionStatement(
  sid: string,
  grant: EcrPullGrant,
  members: readonly ResolvedAccount[],
  inputs: EcrTemplateInputs,
): Statement {
  const paths = [
    ...new Set(members.map((a) => inputs.orgPaths[a.organization_unit]).filter((p): p is string => !!p)),
  ]
    .sort()
    .map((p) => `${p}*`);
  return {
    Sid: sid,
    Effect: 'Allow',
    Principal: '*',
    Action: PULL_ACTIONS,
    Condition: {
      StringEquals: {
        'aws:PrincipalOrgID': inputs.organizationId,
        'aws:PrincipalTag/service-name': [...grant.services].sort(),
        ...(grant.environment ? { 'aws:PrincipalTag/environment': grant.environment } : {}),
      },
      'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': paths },
    },
  };
}

type GrantForm = 'list' | 'accounts' | 'tags';
const FORM_ORDER: readonly GrantForm[] = ['list', 'accounts', 'tags'];

/** The pull policy of one repository, or undefined when no grant reaches an account. */
export function repositoryPolicy(
  repository: EcrRepository,
  inputs: EcrTemplateInputs,
): Record<string, unknown> | undefined {
  const grants = repository.pull
    .map((grant, i) => {
      const members = grantAccounts(grant, inputs.accounts);
      const ids = [
        ...new Set(members.map((a) => inputs.accountIds[a.key] ?? a.id).filter((id): id is string => !!id)),
      ].sort();
      return {
        grant,
        members,
        ids,
        sid: `Pull${i + 1}`,
        form: (ids.length <= ECR_ACCOUNT_LIST_MAX ? 'list' : 'accounts') as GrantForm,
      };
    })
    .filter((g) => g.ids.length > 0);
  if (grants.length === 0) return undefined;
  const build = () => ({
    Version: '2012-10-17',
    Statement: grants.map((g) =>
      g.form === 'list'
        ? listStatement(g.sid, g.ids, partitionOf(g.members[0]?.region ?? ''))
        : g.form === 'accounts'
          ? accountsStatement(g.sid, g.ids, inputs.organizationId)
          : conditionStatement(g.sid, g.grant, g.members, inputs),
    ),
  });
  let policy = build();
  // Still too long: the longest grants take the next, shorter form (list -> accounts -> tags),
  // one step at a time, until it fits.
  for (const step of ['accounts', 'tags'] as const) {
    for (const g of [...grants].sort((a, b) => b.ids.length - a.ids.length)) {
      if (JSON.stringify(policy).length <= ECR_POLICY_MAX_CHARS) break;
      if (FORM_ORDER.indexOf(g.form) >= FORM_ORDER.indexOf(step)) continue;
      g.form = step;
      policy = build();
    }
  }
  const size = JSON.stringify(policy).length;
  if (size > ECR_POLICY_MAX_CHARS) {
    throw new OrgbridgeError(
      'ECR_POLICY_TOO_LARGE',
      `the pull policy of repository ${repository.name} is ${size} characters, over ECR's ${ECR_POLICY_MAX_CHARS}`,
      { hint: 'merge pull grants in ecr.yml (one grant can list several services)' },
    );
  }
  return policy;
}

/** `risk/engine` -> `RepositoryRiskEngine3f2a`: readable, and unique even when names differ only in `/` or `-`. */
function logicalId(name: string): string {
  const readable = name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');
  return `Repository${readable}${createHash('sha256').update(name).digest('hex').slice(0, 4)}`;
}

export function renderEcrTemplate(inputs: EcrTemplateInputs): RenderedEcrTemplate {
  const app = newApp();
  const stack = newStack(app, 'Ecr', {
    stackName: ECR_STACK_NAME,
    description: 'orgbridge: ECR repositories of ecr.yml, their lifecycle and pull policies',
  });
  const repositories: Record<
    string,
    { lifecyclePolicy?: string; repositoryPolicy?: Record<string, unknown> }
  > = {};
  for (const repository of inputs.repositories) {
    const lifecyclePolicy = lifecyclePolicyText(repository.lifecycle);
    const policy = repositoryPolicy(repository, inputs);
    repositories[repository.name] = {
      ...(lifecyclePolicy ? { lifecyclePolicy } : {}),
      ...(policy ? { repositoryPolicy: policy } : {}),
    };
    new CfnRepository(stack, logicalId(repository.name), {
      repositoryName: repository.name,
      imageScanningConfiguration: { scanOnPush: true },
      ...(lifecyclePolicy ? { lifecyclePolicy: { lifecyclePolicyText: lifecyclePolicy } } : {}),
      ...(policy ? { repositoryPolicyText: policy } : {}),
      tags: [
        { key: 'managed-by', value: 'orgbridge' },
        ...(repository.description
          ? [{ key: 'description', value: repository.description.slice(0, 256) }]
          : []),
      ],
    });
  }
  return {
    stackName: ECR_STACK_NAME,
    ...synthesizeStack(app, stack),
    repositories,
  };
}
