import { type AccountHandlerSettings, accountHandlers } from '../../../handlers/accounts/register.js';
import { syncScpsHandler } from '../../../handlers/policies/sync.js';
import { stackInstanceStatusHandler } from '../../../handlers/provisioning/registrations.js';
import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The management account's handlers: the account lifecycle ones enforce the DSL's placement rules. */
export function handlers(settings: AccountHandlerSettings): KindRegistry<'management'> {
  return {
    ...everyKindHandlers,
    ...accountHandlers(settings),
    STACK_INSTANCE_STATUS: stackInstanceStatusHandler,
    SYNC_SCPS: syncScpsHandler,
  };
}
