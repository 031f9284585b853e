import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Client } from '../../aws/clients.js';
import { loadConfig } from '../../config/index.js';
import type { ResolvedConfig } from '../../config/model.js';
import type { ObservedOrganization } from '../../plan/observed.js';
import type { ActionContext, PipelineAction } from '../actions.js';
import {
  accountsGatewayOver,
  directConnectionFromEnvironment,
  type ManagementConnection,
  withListing,
} from '../gateways/accounts-gateway.js';
import { sharingTreeListings } from '../gateways/shared-tree.js';
import type { Outcome } from '../output.js';
import { observePoliciesOf, policyTypesToSync } from '../sync-policies.js';
import { syncAccountsAction, syncAccountsWith } from './sync-accounts.js';
import { syncPoliciesAction, syncPoliciesWith } from './sync-policies.js';

/**
 * `run --action sync [--execute]`: the accounts and OUs, then the policies that attach to them,
 * in one process and with one reading of the config, as `org-formation update` applies a whole
 * organization template. The policies wait for the accounts: a policy may attach to an OU or an
 * account that sync-accounts creates. A failed account sync stops before the policies (they
 * could name what it failed to create); a dry run shows both.
 *
 * With the management account's credentials (the direct connection, which needs no config) the
 * reading of the organization starts before the config is loaded, and the policies are read
 * beside the accounts; that reading is used only when the accounts step changed nothing, else
 * the policies are read again after it. Both walk the OU tree, once between them
 * (`sharingTreeListings`); every other read is the same as in turn, only the waiting overlaps.
 */
export const syncAction: PipelineAction = {
  async run(context) {
    if (context.config) return syncInTurn(context, context.config);
    const early = directConnectionFromEnvironment(context.env).then((connection) => {
      if (!connection) return undefined;
      // The accounts and the policies read beside each other share one walk of the OU tree.
      const reads = sharingTreeListings(connection.clients.organizations());
      return { connection, reads, listing: accountsGatewayOver(connection, reads).list() };
    });
    // Both are awaited below, after the config: its errors come first, and until then a failed
    // read must not be an unhandled rejection.
    early.then((run) => run?.listing.catch(() => {})).catch(() => {});
    let config: ResolvedConfig;
    try {
      config = await loadConfig(context.configDir);
    } catch (e) {
      await early.then((run) => run?.connection.close()).catch(() => {});
      throw e;
    }
    const direct = await early;
    if (direct) {
      try {
        return await syncDirect(context, config, direct);
      } finally {
        await direct.connection.close();
      }
    }
    return syncInTurn(context, config);
  },
};

/** The two actions one after the other, each with its own connection (the EventBridge path). */
async function syncInTurn(context: ActionContext, config: ResolvedConfig): Promise<Outcome> {
  const accounts = await syncAccountsAction.run({ ...context, config });
  if (accounts === 'failed') return accountsFailed(context);
  const policies = await syncPoliciesAction.run({ ...context, config });
  return worst(accounts, policies);
}

/** A direct connection, an Organizations client over it for the first reading, and that reading. */
interface EarlyReading {
  readonly connection: ManagementConnection;
  readonly reads: Client<OrganizationsClient>;
  readonly listing: Promise<ObservedOrganization>;
}

async function syncDirect(
  context: ActionContext,
  config: ResolvedConfig,
  { connection, reads, listing }: EarlyReading,
): Promise<Outcome> {
  const { organizationsPolicyPort } = await import('../../handlers/policies/ports.js');
  const emulator = connection.clients.context.endpoint !== undefined;
  const port = organizationsPolicyPort(reads);
  const policies = observePoliciesOf(config, port, policyTypesToSync(emulator));
  policies.catch(() => {});
  const accounts = await syncAccountsWith(
    context,
    config,
    withListing(accountsGatewayOver(connection), listing),
  );
  if (accounts.outcome === 'failed') return accountsFailed(context);
  const changed = accounts.applied.length > 0;
  const policyOutcome = await syncPoliciesWith(context, config, connection, changed ? undefined : policies);
  return worst(accounts.outcome, policyOutcome);
}

function accountsFailed(context: ActionContext): Outcome {
  context.output.err('sync: the accounts failed, so the policies were not synced');
  return 'failed';
}

/** failed over pending over done. */
function worst(...outcomes: Outcome[]): Outcome {
  if (outcomes.includes('failed')) return 'failed';
  return outcomes.includes('pending') ? 'pending' : 'done';
}
