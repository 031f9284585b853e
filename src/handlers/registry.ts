import type { AccountKind } from '../config/model.js';
import type { RequestType } from '../protocol/catalog.js';
import { handledRequestTypes } from '../protocol/routing.js';
import { ensureAccountZoneHandler } from './dns/account-zone.js';
import { dnsCreateAliasHandler, dnsCreateValidationRecordHandler } from './dns/records.js';
import { pingHandler } from './ping.js';
import { syncScpsHandler } from './policies/sync.js';
import {
  createVpcHandler,
  putSsmParametersHandler,
  stackInstanceStatusHandler,
  updateAccountBaselineHandler,
  updateIamMappingHandler,
  updateLogBucketsHandler,
} from './provisioning/registrations.js';
import type { HandlerRegistry } from './types.js';

/**
 * Every handler orgbridge ships, by detail-type. Which account runs which is not decided here:
 * `handlersFor(kind)` keeps only the types the routing table gives that kind, so an account never
 * runs a handler its rules would not deliver to it.
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
  SYNC_SCPS: syncScpsHandler,
};

export function handlersFor(kind: AccountKind, all: HandlerRegistry = ALL_HANDLERS): HandlerRegistry {
  const registry: Partial<Record<RequestType, unknown>> = {};
  for (const type of handledRequestTypes(kind)) {
    if (all[type]) registry[type] = all[type];
  }
  return registry as HandlerRegistry;
}
