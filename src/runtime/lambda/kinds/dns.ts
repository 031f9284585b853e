import { ensureAccountZoneHandler, releaseAccountDnsHandler } from '../../../handlers/dns/account-zone.js';
import { dnsCreateAliasHandler, dnsCreateValidationRecordHandler } from '../../../handlers/dns/records.js';
import type { KindRegistry } from '../registries.js';
import { everyKindHandlers } from './every.js';

/** The dns account's handlers. */
export const handlers: KindRegistry<'dns'> = {
  ...everyKindHandlers,
  DNS_CREATE_ALIAS: dnsCreateAliasHandler,
  DNS_CREATE_VALIDATION_RECORD: dnsCreateValidationRecordHandler,
  ENSURE_ACCOUNT_ZONE: ensureAccountZoneHandler,
  RELEASE_ACCOUNT_DNS: releaseAccountDnsHandler,
};
