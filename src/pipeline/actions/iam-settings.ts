import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';

/**
 * `run --action iam-settings [--execute]`: every account's alias and password policy against the
 * DSL (src/pipeline/iam-settings.ts). The pipeline sets them when an account is new or its
 * settings change; this action finds and puts back what was changed by hand since. The gateway
 * is chosen as for `run --action pipeline`.
 */
export const iamSettingsAction: PipelineAction = {
  async run(context) {
    const config = await loadConfig(context.configDir);
    const [{ accountsGatewayOver, managementConnectionFromEnvironment }, inputs, gateways, run] =
      await Promise.all([
        import('../gateways/accounts-gateway.js'),
        import('../../templates/inputs.js'),
        import('../gateways/provision-gateway.js'),
        import('../iam-settings.js'),
      ]);
    const connection = await managementConnectionFromEnvironment(context.env, {
      config,
      region: inputs.homeRegionOf(config),
    });
    try {
      const observed = await accountsGatewayOver(connection).list();
      const accountIds = inputs.resolveAccountIds(config, observed);
      context.output.err(`iam-settings: ${connection.kind} gateway`);
      return await run.runIamSettings({
        config,
        accountIds,
        gateway: gateways.provisioningGatewayOver(connection, config, accountIds),
        execute: context.execute,
        output: context.output,
      });
    } finally {
      await connection.close();
    }
  },
};
