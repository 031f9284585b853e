import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import type { AwsClients } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/model.js';
import { AwsOperationError } from '../errors.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import { organizationsPort } from '../handlers/accounts/ports.js';
import { computeTopology, type Topology } from '../protocol/topology.js';
import { templateInputs } from '../templates/inputs.js';
import { topologyInput } from '../templates/topology-adapter.js';

/**
 * The messaging topology of the organization the management credentials reach, as the templates
 * render it: the accounts as they are in AWS, with the kinds the config gives them. What local
 * mode starts its pollers on, and what `orgbridge dlq` reads.
 */
export async function organizationTopology(
  config: ResolvedConfig,
  management: AwsClients,
): Promise<Topology> {
  return (await organizationView(config, management)).topology;
}

/** The topology, and the id of each account key of the config (`orgbridge trace <key>`). */
export async function organizationView(
  config: ResolvedConfig,
  management: AwsClients,
): Promise<{ topology: Topology; accountIds: Readonly<Record<string, string>> }> {
  const observed = await observeOrganization(organizationsPort(management.organizations()), {
    tagConcurrency: 8,
  });
  let organizationId: string | undefined;
  try {
    organizationId = (await management.organizations().send(new DescribeOrganizationCommand({}))).Organization
      ?.Id;
  } catch (e) {
    throw new AwsOperationError('describing the organization', e);
  }
  const inputs = templateInputs(config, { observed, organizationId: organizationId as string });
  return { topology: computeTopology(topologyInput(inputs)), accountIds: inputs.accountIds };
}
