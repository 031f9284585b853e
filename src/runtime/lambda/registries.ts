import type { AccountKind } from '../../config/model.js';
import { type AccountHandlerSettings, accountHandlers } from '../../handlers/accounts/register.js';
import { ensureAccountZoneHandler } from '../../handlers/dns/account-zone.js';
import { dnsCreateAliasHandler, dnsCreateValidationRecordHandler } from '../../handlers/dns/records.js';
import { pingHandler } from '../../handlers/ping.js';
import { syncScpsHandler } from '../../handlers/policies/sync.js';
import { type HandlerRegistry, registryForKind } from '../../handlers/types.js';
import { handledRequestTypes } from '../../protocol/routing.js';

/**
 * The handlers the Lambda bundles carry. Every module imported here ends up in all seven
 * bundles, which must stay under 1 MB: nothing reachable from here may import aws-cdk-lib
 * (CommonJS, ~40 MB, not tree-shakeable). That is why this is not src/handlers/registry.ts
 * (local mode's registry), which includes the provisioning registrations.
 *
 * A type the routing table gives a kind but missing here is refused at run time with
 * HANDLER_MISSING (the requester gets REQUEST_FAILED at once, nothing waits for a timeout);
 * test/unit/runtime/lambda.test.ts checks every routed type is bundled or listed below.
 */
const BUNDLED: HandlerRegistry = {
  PING: pingHandler,
  DNS_CREATE_ALIAS: dnsCreateAliasHandler,
  DNS_CREATE_VALIDATION_RECORD: dnsCreateValidationRecordHandler,
  ENSURE_ACCOUNT_ZONE: ensureAccountZoneHandler,
  SYNC_SCPS: syncScpsHandler,
};

/**
 * Routed types not in the bundles yet. The provisioning registrations
 * (src/handlers/provisioning/registrations.ts) import src/templates/provisioning.ts, which
 * renders templates with aws-cdk-lib at run time; they are added to BUNDLED once free of it.
 * Types still being written by other areas are listed until they land.
 */
export const NOT_BUNDLED: readonly string[] = [
  'PUT_SSM_PARAMETERS',
  'CREATE_VPC',
  'UPDATE_IAM_MAPPING',
  'UPDATE_ACCOUNT_BASELINE',
  'UPDATE_LOG_BUCKETS',
  'STACK_INSTANCE_STATUS',
];

export interface RegistrySettings {
  /** Required for the management account: its placement rules come from the DSL. */
  readonly accounts?: AccountHandlerSettings;
}

/** The registry of a `kind` Lambda: the bundled handlers the routing table gives that kind. */
export function lambdaRegistry(kind: AccountKind, settings: RegistrySettings = {}): HandlerRegistry {
  let all: HandlerRegistry = BUNDLED;
  if (kind === 'management') {
    if (!settings.accounts) throw new Error('the management registry needs the account handler settings');
    all = { ...BUNDLED, ...accountHandlers(settings.accounts) };
  }
  return registryForKind(kind, all, handledRequestTypes);
}
