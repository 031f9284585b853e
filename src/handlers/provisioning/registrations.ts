import type { Detail, ReplyBody } from '../../protocol/catalog.js';
import { ROLE_NAMES } from '../../templates/names.js';
import { PROVISIONING_STACKS } from '../../templates/provisioning.js';
import { type HandlerContext, type HandlerRegistration, RequestRejected } from '../types.js';
import { createVpc } from './create-vpc.js';
import { cloudFormationPort, ssmPort, stackInstancesPort } from './ports.js';
import { putSsmParameters } from './put-ssm-parameters.js';
import { stackInstanceStatus } from './stack-instance-status.js';
import { updateStackFromUrl } from './update-stack.js';

/**
 * The provisioning requests on the messaging runtime: each parses nothing itself (the runtime
 * validated the detail against the catalog) and calls the same function the direct gateway
 * calls in-process, with the receiving account's clients.
 */

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

/**
 * Deploys `detail`'s template as the stack `allowed`, and nothing else: the request names a
 * template URL, and a handler that deploys any stack by name would be a way in.
 */
async function deployAllowedStack<
  T extends 'UPDATE_IAM_MAPPING' | 'UPDATE_ACCOUNT_BASELINE' | 'UPDATE_LOG_BUCKETS',
>(
  type: T,
  allowed: string,
  detail: Detail<T>,
  ctx: HandlerContext,
  options: { roleArn?: string } = {},
): Promise<ReplyBody<'REQUEST_COMPLETED'>> {
  if (detail.stack_name !== allowed) {
    throw new RequestRejected(
      'PROVISION_STACK_NOT_ALLOWED',
      `${type} deploys ${allowed} only, not '${detail.stack_name}'`,
    );
  }
  const { stack_name, template_url, account_id } = detail;
  const result = await updateStackFromUrl(
    cloudFormationPort(ctx.clients.cloudFormation()),
    { stack_name, template_url, ...(account_id ? { account_id } : {}) },
    options,
  );
  return { request_type: type, ...result };
}

/** UPDATE_IAM_MAPPING, identity account: the group roles of the identity mapping. */
export const updateIamMappingHandler: HandlerRegistration<'UPDATE_IAM_MAPPING'> = {
  handle: (detail, ctx) =>
    deployAllowedStack('UPDATE_IAM_MAPPING', PROVISIONING_STACKS.iamMapping, detail, ctx),
};

/** UPDATE_ACCOUNT_BASELINE, any account: its access roles, AutomationRole, backup vault and role. */
export const updateAccountBaselineHandler: HandlerRegistration<'UPDATE_ACCOUNT_BASELINE'> = {
  handle: (detail, ctx) =>
    deployAllowedStack('UPDATE_ACCOUNT_BASELINE', PROVISIONING_STACKS.baseline, detail, ctx),
};

/** UPDATE_LOG_BUCKETS, logs account: deployed with the seed's updater role, the only one the bucket lets in. */
export const updateLogBucketsHandler: HandlerRegistration<'UPDATE_LOG_BUCKETS'> = {
  handle: (detail, ctx) =>
    deployAllowedStack('UPDATE_LOG_BUCKETS', PROVISIONING_STACKS.logBuckets, detail, ctx, {
      roleArn: `arn:aws:iam::${ctx.account.id}:role/${ROLE_NAMES.logBucketUpdater}`,
    }),
};

/** CREATE_VPC, any account: the standard VPC in the requested region. */
export const createVpcHandler: HandlerRegistration<'CREATE_VPC'> = {
  async handle(detail, ctx) {
    const result = await createVpc(cloudFormationPort(ctx.clients.cloudFormation(detail.region)), {
      region: detail.region,
      cidr: detail.cidr,
      nat_gateway_count: detail.nat_gateway_count,
    });
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
