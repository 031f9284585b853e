import { ROLE_NAMES, RUNTIME_STACKS } from '../../templates/names.js';
import { PROVISIONING_STACKS } from '../../templates/provisioning.js';
import type { HandlerRegistration } from '../types.js';
import { RequestRejected } from '../types.js';
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
 * UPDATE_IAM_MAPPING: the identity mapping in the identity account, and the account baseline
 * (access roles, AutomationRole, backup) in any account. Only these two stack names: the request
 * names a template URL, and a handler that deploys any stack by name would be a way in.
 */
export const updateIamMappingHandler: HandlerRegistration<'UPDATE_IAM_MAPPING'> = {
  async handle(detail, ctx) {
    const allowed: string[] = [PROVISIONING_STACKS.baseline];
    if (ctx.account.kind === 'identity') allowed.push(PROVISIONING_STACKS.iamMapping);
    if (!allowed.includes(detail.stack_name)) {
      throw new RequestRejected(
        'PROVISION_STACK_NOT_ALLOWED',
        `UPDATE_IAM_MAPPING may deploy ${allowed.join(' or ')} in a ${ctx.account.kind} account, not '${detail.stack_name}'`,
      );
    }
    const { stack_name, template_url, account_id } = detail;
    const result = await updateStackFromUrl(cloudFormationPort(ctx.clients.cloudFormation()), {
      stack_name,
      template_url,
      ...(account_id ? { account_id } : {}),
    });
    return { request_type: 'UPDATE_IAM_MAPPING', ...result };
  },
};

/** UPDATE_LOG_BUCKETS, logs account: deployed with the seed's updater role, the only one the bucket lets in. */
export const updateLogBucketsHandler: HandlerRegistration<'UPDATE_LOG_BUCKETS'> = {
  async handle(detail, ctx) {
    if (detail.stack_name !== RUNTIME_STACKS.logBuckets) {
      throw new RequestRejected(
        'PROVISION_STACK_NOT_ALLOWED',
        `UPDATE_LOG_BUCKETS deploys ${RUNTIME_STACKS.logBuckets} only, not '${detail.stack_name}'`,
      );
    }
    const { stack_name, template_url, account_id } = detail;
    const request = { stack_name, template_url, ...(account_id ? { account_id } : {}) };
    const result = await updateStackFromUrl(cloudFormationPort(ctx.clients.cloudFormation()), request, {
      roleArn: `arn:aws:iam::${ctx.account.id}:role/${ROLE_NAMES.logBucketUpdater}`,
    });
    return { request_type: 'UPDATE_LOG_BUCKETS', ...result };
  },
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
