import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';
import { accountsGatewayFromEnvironment } from '../gateways/accounts-gateway.js';
import { syncAccounts } from '../sync-accounts.js';

/** The EventBridge design's main pipeline step: list accounts in management, plan, create/move/tag/retire. */
export const syncAccountsAction: PipelineAction = {
  async run(context) {
    const config = context.config ?? (await loadConfig(context.configDir));
    const { gateway, close } = await accountsGatewayFromEnvironment(context.env, { config });
    try {
      const result = await syncAccounts({
        config,
        gateway,
        now: context.now(),
        execute: context.execute,
        output: context.output,
        ...(context.allowMassChange ? { allowMassChange: true } : {}),
      });
      return result.outcome;
    } finally {
      await close();
    }
  },
};
