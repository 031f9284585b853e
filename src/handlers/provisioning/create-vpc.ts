import type { Detail } from '../../protocol/catalog.js';
import { RUNTIME_STACKS } from '../../protocol/names.js';
import { vpcZoneCount } from '../../protocol/vpc-shape.js';
import { requireZones, type ZonePort } from './availability-zones.js';
import type { DeployOptions } from './deploy-stack.js';
import type { CloudFormationPort } from './ports.js';
import type { HandlerResult } from './put-ssm-parameters.js';
import { updateStackFromUrl } from './update-stack.js';

/** What CREATE_VPC carries besides the envelope. */
export type CreateVpcRequest = Pick<
  Detail<'CREATE_VPC'>,
  'region' | 'cidr' | 'nat_gateway_count' | 'template_url'
>;

/**
 * CREATE_VPC (in the target account, the port's region): deploys the standard VPC the pipeline
 * rendered and uploaded to the cicd artifact bucket of `request.region` (the handler carries no
 * CDK: see docs/provisioning.md). Idempotent: the same request names the same content-addressed
 * template, which CloudFormation answers with "No updates are to be performed". The zones the
 * template spreads over are counted first (VPC_TOO_FEW_ZONES, ./availability-zones.ts).
 */
export async function createVpc(
  cfn: CloudFormationPort,
  zones: ZonePort,
  request: CreateVpcRequest,
  cicdAccountId: string,
  options: DeployOptions & { readonly roleArn?: string } = {},
): Promise<HandlerResult> {
  const deployed = await updateStackFromUrl(
    cfn,
    { stack_name: RUNTIME_STACKS.vpc, template_url: request.template_url },
    { type: 'CREATE_VPC', cicdAccountId, region: request.region },
    // After the template's origin is checked, so one of unknown origin makes no AWS call.
    {
      ...options,
      prepare: () => requireZones(zones, request.region, vpcZoneCount(request.nat_gateway_count)),
    },
  );
  return {
    changed: deployed.changed,
    summary: {
      ...deployed.summary,
      region: request.region,
      cidr: request.cidr,
      nat_gateways: String(request.nat_gateway_count),
    },
  };
}
