import type { VpcRequest } from '../../plan/provisioning.js';
import { PROVISIONING_STACKS, renderVpc } from '../../templates/provisioning.js';
import { type DeployOptions, deployStack } from './deploy-stack.js';
import type { CloudFormationPort } from './ports.js';
import type { HandlerResult } from './put-ssm-parameters.js';

/**
 * CREATE_VPC (in the target account, the port's region): renders the standard VPC for the
 * request and deploys it as one stack. Idempotent: the same request renders the same template,
 * which CloudFormation answers with "No updates are to be performed".
 */
export async function createVpc(
  cfn: CloudFormationPort,
  request: VpcRequest,
  options: DeployOptions = {},
): Promise<HandlerResult> {
  const rendered = renderVpc(request);
  // Compact JSON: a 6-AZ VPC stays far below the 51,200-byte inline body limit.
  const outcome = await deployStack(
    cfn,
    {
      name: PROVISIONING_STACKS.vpc,
      template: { body: JSON.stringify(rendered.template) },
      tags: { 'orgbridge:managed': 'true' },
    },
    options,
  );
  return {
    changed: outcome !== 'unchanged',
    summary: {
      stack: PROVISIONING_STACKS.vpc,
      outcome,
      region: request.region,
      cidr: request.cidr,
      nat_gateways: String(request.nat_gateway_count),
    },
  };
}
