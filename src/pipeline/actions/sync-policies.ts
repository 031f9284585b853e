import type { ResolvedConfig } from '../../config/model.js';
import type { ObservedPolicies } from '../../plan/policies.js';
import type { ActionContext, PipelineAction } from '../actions.js';
import type { ManagementConnection } from '../gateways/accounts-gateway.js';
import type { Outcome } from '../output.js';
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
    const config = context.config ?? (await loadConfig(context.configDir));
    // The bus, the reply queue and the artifact bucket of SYNC_SCPS are in the home region.
    const connection = await managementConnectionFromEnvironment(context.env, {
      config,
      region: homeRegionOf(config),
    });
    try {
      return await syncPoliciesWith(context, config, connection);
    } finally {
      await connection.close();
    }
  },
};

/**
 * sync-policies over an open connection (`sync` runs it too). `observed`: a direct connection's
 * reading of the policies already under way (see `SyncPoliciesOptions.observed`).
 */
export async function syncPoliciesWith(
  context: ActionContext,
  config: ResolvedConfig,
  connection: ManagementConnection,
  observed?: Promise<ObservedPolicies>,
): Promise<Outcome> {
  const massChange = context.allowMassChange ? { allowMassChange: true } : {};
  if (connection.kind === 'eventbridge') {
    const { homeRegionOf } = await import('../../templates/inputs.js');
    const homeRegion = homeRegionOf(config);
    const result = await syncPoliciesByEvent({
      config,
      client: connection.client,
      s3: connection.clients.s3(homeRegion),
      managementAccountId: connection.managementAccountId,
      homeRegion,
      execute: context.execute,
      output: context.output,
      ...massChange,
    });
    return result.outcome;
  }
  const { organizationsPolicyPort } = await import('../../handlers/policies/ports.js');
  const result = await syncPolicies({
    config,
    port: organizationsPolicyPort(connection.clients.organizations()),
    execute: context.execute,
    output: context.output,
    emulator: connection.clients.context.endpoint !== undefined,
    ...massChange,
    ...(observed ? { observed } : {}),
  });
  return result.outcome;
}
