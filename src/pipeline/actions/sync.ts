import { loadConfig } from '../../config/index.js';
import type { PipelineAction } from '../actions.js';
import type { Outcome } from '../output.js';
import { syncAccountsAction } from './sync-accounts.js';
import { syncPoliciesAction } from './sync-policies.js';

/**
 * `run --action sync [--execute]`: the accounts and OUs, then the policies that attach to them,
 * in one process and with one reading of the config, as `org-formation update` applies a whole
 * organization template. The policies wait for the accounts: a policy may attach to an OU or an
 * account that sync-accounts creates. A failed account sync stops before the policies (they
 * could name what it failed to create); a dry run shows both.
 */
export const syncAction: PipelineAction = {
  async run(context) {
    const config = context.config ?? (await loadConfig(context.configDir));
    const accounts = await syncAccountsAction.run({ ...context, config });
    if (accounts === 'failed') {
      context.output.err('sync: the accounts failed, so the policies were not synced');
      return 'failed';
    }
    const policies = await syncPoliciesAction.run({ ...context, config });
    return worst(accounts, policies);
  },
};

/** failed over pending over done. */
function worst(...outcomes: Outcome[]): Outcome {
  if (outcomes.includes('failed')) return 'failed';
  return outcomes.includes('pending') ? 'pending' : 'done';
}
