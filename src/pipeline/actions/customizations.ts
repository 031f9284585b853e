import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';

/**
 * `run --action customizations [--execute]`: the user's stacks (docs/customizations.md). The
 * gateway is chosen as for `run --action pipeline`: with the management account's credentials
 * (`direct`) the handler runs in-process in each account through the role it assumes there; with
 * the cicd account's (`eventbridge`) every account is asked by DEPLOY_CUSTOMIZATION.
 */
export const customizationsAction: PipelineAction = {
  async run(context) {
    const config = await loadConfig(context.configDir);
    const [{ accountsGatewayOver, managementConnectionFromEnvironment }, inputs, gateways, run] =
      await Promise.all([
        import('../gateways/accounts-gateway.js'),
        import('../../templates/inputs.js'),
        import('../gateways/customization-gateway.js'),
        import('../customizations.js'),
      ]);
    if (!config.customizations?.length) {
      context.output.err('customizations: none in stacks/ (docs/customizations.md)');
    }
    const home = inputs.homeRegionOf(config);
    const connection = await managementConnectionFromEnvironment(context.env, { config, region: home });
    try {
      const observed = await accountsGatewayOver(connection).list();
      const ids = inputs.resolveAccountIds(config, observed);
      const gateway = gateways.customizationGatewayOver(connection, config, ids);
      context.output.err(`customizations: ${connection.kind} gateway`);
      const result = await run.runCustomizations({
        config,
        accountIds: ids,
        gateway,
        execute: context.execute,
        output: context.output,
        retired: run.retiredAccountsOf(config, observed),
      });
      return result.outcome;
    } finally {
      await connection.close();
    }
  },
};
