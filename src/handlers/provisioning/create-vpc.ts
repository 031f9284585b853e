import type { Detail } from '../../protocol/catalog.js';
import { RUNTIME_STACKS } from '../../templates/names.js';
import { type DeployOptions, deployStack } from './deploy-stack.js';
import type { CloudFormationPort } from './ports.js';
import type { HandlerResult } from './put-ssm-parameters.js';
import { checkTemplateUrl } from './template-origin.js';

/** What CREATE_VPC carries besides the envelope. */
export type CreateVpcRequest = Pick<
  Detail<'CREATE_VPC'>,
  'region' | 'cidr' | 'nat_gateway_count' | 'template_url'
>;

/**
 * CREATE_VPC (in the target account, the port's region): deploys the standard VPC the pipeline
 * rendered and uploaded to the cicd artifact bucket of `request.region` (the handler carries no
 * CDK: see docs/provisioning.md). Idempotent: the same request names the same content-addressed
 * template, which CloudFormation answers with "No updates are to be performed".
 */
export async function createVpc(
  cfn: CloudFormationPort,
  request: CreateVpcRequest,
  cicdAccountId: string,
  options: DeployOptions & { readonly roleArn?: string } = {},
): Promise<HandlerResult> {
  checkTemplateUrl('CREATE_VPC', request.template_url, { cicdAccountId, region: request.region });
  const outcome = await deployStack(
    cfn,
    {
      name: RUNTIME_STACKS.vpc,
      template: { url: request.template_url },
      ...(options.roleArn ? { roleArn: options.roleArn } : {}),
      tags: { 'orgbridge:managed': 'true' },
    },
    options,
  );
  return {
    changed: outcome !== 'unchanged',
    summary: {
      stack: RUNTIME_STACKS.vpc,
      outcome,
      region: request.region,
      cidr: request.cidr,
      nat_gateways: String(request.nat_gateway_count),
    },
  };
}
