import type { PipelineAction } from '../actions.js';
import { syncPolicies, syncPoliciesByEvent } from '../sync-policies.js';

/**
 * SCPs, tag and backup policies: over EventBridge the SCPs go to the management account's
 * handler (SYNC_SCPS); directly, with the management account's credentials, all three types.
 */
export const syncPoliciesAction: PipelineAction = {
  async run(context) {
    const { loadConfig } = await import('../../config/index.js');
    const { managementConnectionFromEnvironment } = await import('../gateways/accounts-gateway.js');
    const { homeRegionOf } = await import('../../templates/inputs.js');
    const { organizationsPolicyPort } = await import('../../handlers/policies/ports.js');
    const config = context.config ?? (await loadConfig(context.configDir));
    const homeRegion = homeRegionOf(config);
    // The bus, the reply queue and the artifact bucket of SYNC_SCPS are in the home region.
    const connection = await managementConnectionFromEnvironment(context.env, { config, region: homeRegion });
    try {
      if (connection.kind === 'eventbridge') {
        const result = await syncPoliciesByEvent({
          config,
          client: connection.client,
          s3: connection.clients.s3(homeRegion),
          managementAccountId: connection.managementAccountId,
          homeRegion,
          execute: context.execute,
          output: context.output,
          ...(context.allowMassChange ? { allowMassChange: true } : {}),
        });
        return result.outcome;
      }
      const result = await syncPolicies({
        config,
        port: organizationsPolicyPort(connection.clients.organizations()),
        execute: context.execute,
        output: context.output,
        emulator: connection.clients.context.endpoint !== undefined,
        ...(context.allowMassChange ? { allowMassChange: true } : {}),
      });
      return result.outcome;
    } finally {
      await connection.close();
    }
  },
};
