import { roleArn } from '../../partitions.js';
import type { Detail, ReplyBody } from '../../protocol/catalog.js';
import { ROLE_NAMES, RUNTIME_STACKS } from '../../protocol/names.js';
import { handlerWaitMs } from '../../protocol/topology.js';
import { type HandlerContext, type HandlerRegistration, RequestRejected } from '../types.js';
import { ec2ZonePort } from './availability-zones.js';
import { createVpc } from './create-vpc.js';
import { backupVaultPort, ensureDefaultVaults } from './default-vault.js';
import { updateIamSettings } from './iam-settings.js';
import { cloudFormationPort, iamSettingsPort, ssmPort, stackInstancesPort } from './ports.js';
import { putSsmParameters } from './put-ssm-parameters.js';
import { stackInstanceStatus } from './stack-instance-status.js';
import { updateStackFromUrl } from './update-stack.js';

/**
 * The provisioning requests on the messaging runtime: each parses nothing itself (the runtime
 * validated the detail against the catalog) and calls the same function the direct gateway
 * calls in-process, with the receiving account's clients. Nothing reachable from here may
 * import aws-cdk-lib: these registrations are in the Lambda bundles
 * (src/runtime/lambda/kinds/); the pipeline renders and uploads the templates.
 */

/**
 * The region the handler runs in, which its default clients act in: the region of the stacks it
 * deploys (Lambda: AWS_REGION; local mode: the home region of the clients it is given).
 */
const homeRegionOf = (ctx: HandlerContext): string => ctx.clients.context.region;

/** A CloudFormation service role of the receiving account (src/templates/stacks/handlers.ts). */
const serviceRole = (ctx: HandlerContext, name: string): string =>
  roleArn(homeRegionOf(ctx), ctx.account.id, name);

/** PUT_SSM_PARAMETERS, any account: the complete /orgbridge/account/ set. */
export const putSsmParametersHandler: HandlerRegistration<'PUT_SSM_PARAMETERS'> = {
  async handle(detail, ctx) {
    const result = await putSsmParameters(
      ssmPort(ctx.clients.ssm(), `account ${ctx.account.id}`),
      detail.parameters,
    );
    return { request_type: 'PUT_SSM_PARAMETERS', ...result };
  },
};

/** UPDATE_IAM_ACCOUNT_SETTINGS, any account: its alias and password policy (dry runs report). */
export const updateIamAccountSettingsHandler: HandlerRegistration<'UPDATE_IAM_ACCOUNT_SETTINGS'> = {
  async handle(detail, ctx) {
    // The detail is the request (the handler reads `alias` and `password_policy` only).
    const result = await updateIamSettings(
      iamSettingsPort(ctx.clients.iam(), `account ${ctx.account.id}`),
      detail,
      { dryrun: ctx.dryrun },
    );
    return { request_type: 'UPDATE_IAM_ACCOUNT_SETTINGS', ...result };
  },
};

/**
 * Deploys `detail`'s template as the stack `allowed`, and nothing else: the request names a
 * template URL, and a handler that deploys any stack by name, or a template from anywhere, would
 * be a way in. The template must come from the sender's (the cicd account's) artifact bucket of
 * the stack's region (`region`, default this handler's); the stack is deployed with
 * `serviceRole`, which holds the resource permissions the handler's own role lacks.
 */
async function deployAllowedStack<
  T extends 'UPDATE_IAM_MAPPING' | 'UPDATE_ACCOUNT_BASELINE' | 'UPDATE_LOG_BUCKETS',
>(
  type: T,
  allowed: string,
  detail: Detail<T>,
  ctx: HandlerContext,
  serviceRoleName: string,
  region?: string,
  /** Runs once the request is known to be allowed, before the stack is deployed. */
  prepare?: () => Promise<unknown>,
): Promise<ReplyBody<'REQUEST_COMPLETED'>> {
  if (detail.stack_name !== allowed) {
    throw new RequestRejected(
      'PROVISION_STACK_NOT_ALLOWED',
      `${type} deploys ${allowed}${region ? ` in ${region}` : ''} only, not '${detail.stack_name}'`,
    );
  }
  const { stack_name, template_url, account_id } = detail;
  const origin = { type, cicdAccountId: ctx.sender.id, region: region ?? homeRegionOf(ctx) };
  const result = await updateStackFromUrl(
    cloudFormationPort(ctx.clients.cloudFormation(region)),
    { stack_name, template_url, ...(account_id ? { account_id } : {}) },
    origin,
    {
      roleArn: serviceRole(ctx, serviceRoleName),
      maxWaitMs: handlerWaitMs(type, ctx.remainingTimeMs),
      ...(prepare ? { prepare } : {}),
    },
  );
  return {
    request_type: type,
    ...result,
    ...(region ? { summary: { ...result.summary, region } } : {}),
  };
}

/** UPDATE_IAM_MAPPING, identity account: the group roles of the identity mapping. */
export const updateIamMappingHandler: HandlerRegistration<'UPDATE_IAM_MAPPING'> = {
  handle: (detail, ctx) =>
    deployAllowedStack(
      'UPDATE_IAM_MAPPING',
      RUNTIME_STACKS.iamMapping,
      detail,
      ctx,
      ROLE_NAMES.stackDeployer,
    ),
};

/**
 * UPDATE_ACCOUNT_BASELINE, any account: without `region`, its access roles, AutomationRole, and
 * the home region's backup vaults and roles; with `region`, the backup vaults of that other
 * region (stack orgbridge-backup-vaults). The home region's vaults are the baseline's: a second
 * stack naming them there would fail on the existing vaults, so it is refused.
 */
export const updateAccountBaselineHandler: HandlerRegistration<'UPDATE_ACCOUNT_BASELINE'> = {
  async handle(detail, ctx) {
    const { region } = detail;
    if (region === undefined) {
      // The vault Default first: the baseline stack never creates it (default-vault.ts).
      return deployAllowedStack(
        'UPDATE_ACCOUNT_BASELINE',
        RUNTIME_STACKS.accountBaseline,
        detail,
        ctx,
        ROLE_NAMES.stackDeployer,
        undefined,
        () =>
          ensureDefaultVaults(
            (r) => backupVaultPort(ctx.clients.backup(r), `in account ${ctx.account.id}, ${r}`),
            [homeRegionOf(ctx), ...(detail.default_vault_regions ?? [])],
          ),
      );
    }
    if (region === homeRegionOf(ctx)) {
      throw new RequestRejected(
        'PROVISION_STACK_NOT_ALLOWED',
        `UPDATE_ACCOUNT_BASELINE with a region deploys ${RUNTIME_STACKS.backupVaults} outside ${region}, the handler's region, whose vaults are in ${RUNTIME_STACKS.accountBaseline}`,
      );
    }
    return deployAllowedStack(
      'UPDATE_ACCOUNT_BASELINE',
      RUNTIME_STACKS.backupVaults,
      detail,
      ctx,
      ROLE_NAMES.stackDeployer,
      region,
    );
  },
};

/**
 * UPDATE_LOG_BUCKETS, logs account: deployed with the EventBridge design's updater role, the only
 * one the bucket lets in.
 */
export const updateLogBucketsHandler: HandlerRegistration<'UPDATE_LOG_BUCKETS'> = {
  handle: (detail, ctx) =>
    deployAllowedStack(
      'UPDATE_LOG_BUCKETS',
      RUNTIME_STACKS.logBuckets,
      detail,
      ctx,
      ROLE_NAMES.logBucketUpdater,
    ),
};

/**
 * CREATE_VPC, any account: the standard VPC in the requested region, from the template the
 * pipeline uploaded to the sender's artifact bucket of that region.
 */
export const createVpcHandler: HandlerRegistration<'CREATE_VPC'> = {
  async handle(detail, ctx) {
    const { region, cidr, nat_gateway_count, template_url } = detail;
    const result = await createVpc(
      cloudFormationPort(ctx.clients.cloudFormation(region)),
      ec2ZonePort(ctx.clients.ec2(region)),
      { region, cidr, nat_gateway_count, template_url },
      ctx.sender.id,
      {
        roleArn: serviceRole(ctx, ROLE_NAMES.stackDeployer),
        maxWaitMs: handlerWaitMs('CREATE_VPC', ctx.remainingTimeMs),
      },
    );
    return { request_type: 'CREATE_VPC', ...result };
  },
};

/** STACK_INSTANCE_STATUS, management account: a read, so not deduplicated (asking again is the point). */
export const stackInstanceStatusHandler: HandlerRegistration<'STACK_INSTANCE_STATUS'> = {
  idempotent: false,
  async handle(detail, ctx) {
    const { stack_set_name, account_id, region } = detail;
    return stackInstanceStatus(stackInstancesPort(ctx.clients.cloudFormation(region)), {
      stack_set_name,
      account_id,
      region,
    });
  },
};
