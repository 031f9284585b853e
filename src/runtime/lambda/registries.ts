import type { AccountKind } from '../../config/model.js';
import type { AccountHandlerSettings } from '../../handlers/accounts/register.js';
import { handlersFor } from '../../handlers/registry.js';
import type { HandlerRegistry } from '../../handlers/types.js';

/**
 * The Lambda bundles carry every handler, the same registry as local mode
 * (src/handlers/registry.ts): every request type the routing table gives a kind is handled, none
 * answers HANDLER_MISSING. Every module reachable from there ends up in all seven bundles, which
 * must stay under 1 MB, so none may import aws-cdk-lib (CommonJS, ~40 MB, not tree-shakeable) or
 * constructs: the provisioning handlers deploy templates the pipeline rendered and uploaded.
 * test/unit/templates/bundles.test.ts builds the bundles and checks all three (no CDK input, the
 * size, every routed type handled).
 */
export interface RegistrySettings {
  /** Required for the management account: its placement rules come from the DSL. */
  readonly accounts?: AccountHandlerSettings;
}

/** The registry of a `kind` Lambda: the handlers the routing table gives that kind. */
export function lambdaRegistry(kind: AccountKind, settings: RegistrySettings = {}): HandlerRegistry {
  if (kind === 'management' && !settings.accounts) {
    throw new Error('the management registry needs the account handler settings');
  }
  return handlersFor(kind, settings);
}
