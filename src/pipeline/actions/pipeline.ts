import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import { loadConfig } from '../../config/index.js';
import { requireSpecialAccounts } from '../../config/special-accounts.js';
import { AwsOperationError } from '../../errors.js';
import type { PipelineAction } from '../actions.js';
import { pipelineStateStore } from '../engine/state-stores.js';
import { provisioningGatewayOver } from '../gateways/provision-gateway.js';
import { provision } from '../provision.js';

/**
 * `run --action pipeline [--execute]`: provisions every new or changed account (docs/provisioning.md).
 *
 * The gateway is chosen exactly as sync-accounts chooses its own (`managementConnectionFromEnvironment`,
 * docs/plan.md): ORGBRIDGE_ACCOUNTS_GATEWAY when set, else the credentials. With the management
 * account's, `direct`: the organization is read in-process and the other accounts are reached
 * through OrganizationAccountAccessRole. With the cicd account's, `eventbridge`: the organization
 * is listed by LIST_ACCOUNTS and every change elsewhere is a request over EventBridge; the
 * pipeline needs no role in any other account.
 *
 * State: see pipelineStateStore (src/pipeline/engine/state-stores.ts); `plan` reads the same.
 */
export const pipelineAction: PipelineAction = {
  async run(context) {
    const config = await loadConfig(context.configDir);
    const { accountsGatewayOver, managementConnectionFromEnvironment } = await import(
      '../gateways/accounts-gateway.js'
    );
    const { resolveAccountIds, homeRegionOf } = await import('../../templates/inputs.js');
    const { artifactBucketName } = await import('../../protocol/names.js');
    const home = homeRegionOf(config);
    // One connection: its clients (management's for direct, cicd's for eventbridge) and, for
    // eventbridge, its request client serve both the account listing and the provisioning. The
    // bus, the reply queue and the artifact bucket are in the home region.
    const connection = await managementConnectionFromEnvironment(context.env, { config, region: home });
    const { clients } = connection;
    try {
      const observed = await accountsGatewayOver(connection).list();
      let organizationId: string;
      try {
        // Every account of an organization may call DescribeOrganization, cicd included.
        const org = await clients.organizations().send(new DescribeOrganizationCommand({}));
        organizationId = org.Organization?.Id ?? '';
      } catch (e) {
        throw new AwsOperationError('reading the organization id (organizations:DescribeOrganization)', e);
      }
      const ids = resolveAccountIds(config, observed);
      const keys = requireSpecialAccounts(config, 'the pipeline');
      const cicdId = ids[keys.cicd] ?? '';
      // Direct runs as management and reaches cicd by role; eventbridge runs as cicd itself.
      const cicd = connection.kind === 'direct' ? clients.forAccount(cicdId) : clients;
      const store = pipelineStateStore({
        env: context.env,
        configDir: context.configDir,
        s3: () => cicd.s3(home),
        bucket: artifactBucketName(cicdId, home),
      });
      const gateway = provisioningGatewayOver(connection, config, ids);
      context.output.err(`pipeline: ${connection.kind} gateway`);
      const result = await provision({
        config,
        observed,
        organizationId,
        gateway,
        store,
        execute: context.execute,
        output: context.output,
        // Against an emulator the bootstrap deploys stack sets as plain stacks (as it decides).
        stackSetsAsStacks: Boolean(clients.context.endpoint),
      });
      return result.outcome;
    } finally {
      await connection.close();
    }
  },
};
