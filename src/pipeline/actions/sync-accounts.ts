import { loadConfig } from '../../config/index.js';
import type { ResolvedConfig } from '../../config/model.js';
import type { ActionContext, PipelineAction } from '../actions.js';
import { type AccountsGateway, accountsGatewayFromEnvironment } from '../gateways/accounts-gateway.js';
import { type SyncAccountsResult, syncAccounts } from '../sync-accounts.js';

/** The EventBridge design's main pipeline step: list accounts in management, plan, create/move/tag/retire. */
export const syncAccountsAction: PipelineAction = {
  async run(context) {
    const config = context.config ?? (await loadConfig(context.configDir));
    const { gateway, close } = await accountsGatewayFromEnvironment(context.env, { config });
    try {
      return (await syncAccountsWith(context, config, gateway)).outcome;
    } finally {
      await close();
    }
  },
};

/** sync-accounts through an open gateway, with the action's options (`sync` runs it too). */
export function syncAccountsWith(
  context: ActionContext,
  config: ResolvedConfig,
  gateway: AccountsGateway,
): Promise<SyncAccountsResult> {
  return syncAccounts({
    config,
    gateway,
    now: context.now(),
    execute: context.execute,
    output: context.output,
    ...(context.allowMassChange ? { allowMassChange: true } : {}),
  });
}
