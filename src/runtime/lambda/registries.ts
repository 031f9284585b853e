import type { AccountKind } from '../../config/model.js';
import type { AccountHandlerSettings } from '../../handlers/accounts/register.js';
import type { HandlerRegistration, HandlerRegistry } from '../../handlers/types.js';
import type { REQUESTS, RequestType } from '../../protocol/catalog.js';
import * as audit from './kinds/audit.js';
import * as cicd from './kinds/cicd.js';
import * as dns from './kinds/dns.js';
import * as identity from './kinds/identity.js';
import * as logs from './kinds/logs.js';
import * as management from './kinds/management.js';
import * as member from './kinds/member.js';

/**
 * Each kind's Lambda bundle carries that kind's handlers and nothing else: its registry is
 * src/runtime/lambda/kinds/<kind>.ts, which the entry (src/runtime/lambda/<kind>.ts) imports
 * dynamically on the first invocation, so the handlers and the SDK packages they use are not
 * loaded by the import of the bundle (its cold start). A registry is typed from the catalog's
 * descriptors (`handledBy`): a type the kind handles and the registry lacks, or one it has and
 * the kind does not handle, does not compile. Nothing reachable from a registry may import
 * aws-cdk-lib (CommonJS, ~40 MB, not tree-shakeable) or constructs: the provisioning handlers
 * deploy templates the pipeline rendered and uploaded. test/unit/templates/bundles.test.ts builds
 * the bundles and checks what each holds.
 */

type HandledBy<T extends RequestType> = (typeof REQUESTS)[T]['handledBy'];

/** The request types the catalog gives accounts of kind `K`. */
export type RequestTypeOf<K extends AccountKind> = {
  [T in RequestType]: HandledBy<T> extends readonly (infer Kinds)[] ? (K extends Kinds ? T : never) : T;
}[RequestType];

/** The handlers of kind `K`: exactly one registration per type the catalog gives it. */
export type KindRegistry<K extends AccountKind> = {
  readonly [T in RequestTypeOf<K>]: HandlerRegistration<T>;
};

/** The registrations of the types every kind handles (`handledBy: 'every'`). */
export type EveryKindRegistry = {
  readonly [T in RequestType as HandledBy<T> extends 'every' ? T : never]: HandlerRegistration<T>;
};

export interface RegistrySettings {
  /** Required for the management account: its placement rules come from the DSL. */
  readonly accounts?: AccountHandlerSettings;
}

/**
 * Every kind's Lambda registry, for tests and the in-process conversations of test/support: the
 * entries import their own kind's module only (one import of this module would put every kind's
 * handlers into every bundle).
 */
export function lambdaRegistry(kind: AccountKind, settings: RegistrySettings = {}): HandlerRegistry {
  switch (kind) {
    case 'management':
      if (!settings.accounts) throw new Error('the management registry needs the account handler settings');
      return management.handlers(settings.accounts);
    case 'cicd':
      return cicd.handlers;
    case 'identity':
      return identity.handlers;
    case 'logs':
      return logs.handlers;
    case 'dns':
      return dns.handlers;
    case 'audit':
      return audit.handlers;
    case 'member':
      return member.handlers;
  }
}
