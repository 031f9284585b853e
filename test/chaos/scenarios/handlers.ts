import type { AccountKind } from '../../../src/config/model.js';
import { type AccountHandlerSettings, accountHandlers } from '../../../src/handlers/accounts/register.js';
import {
  dnsCreateAliasHandler,
  dnsCreateValidationRecordHandler,
} from '../../../src/handlers/dns/records.js';
import { pingHandler } from '../../../src/handlers/ping.js';
import type { HandlerRegistry } from '../../../src/handlers/types.js';

/**
 * The production handlers each kind of account runs in the reliability scenarios: the
 * management account's account lifecycle (with its placement checks), the DNS account's record
 * handlers, PING everywhere. Nothing here is a test double: the scenarios break the world around
 * these handlers, never the handlers themselves.
 */
export function handlerRegistry(kind: AccountKind, settings: AccountHandlerSettings): HandlerRegistry {
  const common: HandlerRegistry = { PING: pingHandler };
  if (kind === 'management') {
    const accounts = accountHandlers(settings);
    return {
      ...common,
      CREATE_ACCOUNT: accounts.CREATE_ACCOUNT,
      MOVE_ACCOUNT: accounts.MOVE_ACCOUNT,
      TAG_ACCOUNT: accounts.TAG_ACCOUNT,
      RETIRE_ACCOUNT: accounts.RETIRE_ACCOUNT,
      LIST_ACCOUNTS: accounts.LIST_ACCOUNTS,
    };
  }
  if (kind === 'dns') {
    return {
      ...common,
      DNS_CREATE_ALIAS: dnsCreateAliasHandler,
      DNS_CREATE_VALIDATION_RECORD: dnsCreateValidationRecordHandler,
    };
  }
  return common;
}
