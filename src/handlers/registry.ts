import type { AccountKind } from '../config/model.js';
import { handledRequestTypes } from '../protocol/routing.js';
import { type AccountHandlerSettings, accountHandlers } from './accounts/register.js';
import { deployCustomizationHandler } from './customizations/register.js';
import { ensureAccountZoneHandler, releaseAccountDnsHandler } from './dns/account-zone.js';
import { dnsCreateAliasHandler, dnsCreateValidationRecordHandler } from './dns/records.js';
import { pingHandler } from './ping.js';
import { syncScpsHandler } from './policies/sync.js';
import {
  createVpcHandler,
  putSsmParametersHandler,
  stackInstanceStatusHandler,
  updateAccountBaselineHandler,
  updateIamAccountSettingsHandler,
  updateIamMappingHandler,
  updateLogBucketsHandler,
} from './provisioning/registrations.js';
import { type HandlerRegistry, registryForKind } from './types.js';

/**
 * Every handler orgbridge ships, by detail-type. Which account runs which is not decided here:
 * `handlersFor(kind)` keeps only the types the routing table gives that kind, so an account never
 * runs a handler its rules would not deliver to it. Local mode runs this registry; each Lambda
 * bundle runs its kind's (src/runtime/lambda/kinds/), built from the same registrations, so
 * nothing reachable from them may import aws-cdk-lib or constructs
 * (test/unit/templates/bundles.test.ts).
 */
export const ALL_HANDLERS: HandlerRegistry = {
  PING: pingHandler,
  PUT_SSM_PARAMETERS: putSsmParametersHandler,
  UPDATE_IAM_MAPPING: updateIamMappingHandler,
  UPDATE_ACCOUNT_BASELINE: updateAccountBaselineHandler,
  UPDATE_LOG_BUCKETS: updateLogBucketsHandler,
  CREATE_VPC: createVpcHandler,
  STACK_INSTANCE_STATUS: stackInstanceStatusHandler,
  DNS_CREATE_ALIAS: dnsCreateAliasHandler,
  DNS_CREATE_VALIDATION_RECORD: dnsCreateValidationRecordHandler,
  ENSURE_ACCOUNT_ZONE: ensureAccountZoneHandler,
  RELEASE_ACCOUNT_DNS: releaseAccountDnsHandler,
  SYNC_SCPS: syncScpsHandler,
  DEPLOY_CUSTOMIZATION: deployCustomizationHandler,
  UPDATE_IAM_ACCOUNT_SETTINGS: updateIamAccountSettingsHandler,
};

export interface LocalRegistrySettings {
  /** The management account's placement rules (root_ou, morgue_ou) come from the DSL. */
  readonly accounts?: AccountHandlerSettings;
}

/**
 * The registry of a `kind` account, in local mode and in its Lambda: every handler, the account
 * lifecycle ones for the management account.
 */
export function handlersFor(kind: AccountKind, settings: LocalRegistrySettings = {}): HandlerRegistry {
  const all =
    kind === 'management' && settings.accounts
      ? { ...ALL_HANDLERS, ...accountHandlers(settings.accounts) }
      : ALL_HANDLERS;
  return registryForKind(kind, all, handledRequestTypes);
}
