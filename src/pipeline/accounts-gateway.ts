import { OrgbridgeError } from '../errors.js';
import {
  type Clock,
  type CreateAccountOutcome,
  type CreateAccountRequest,
  createAccount,
  ensureOrganizationalUnit,
  type MoveAccountRequest,
  moveAccount,
  type RetireAccountOutcome,
  type RetireAccountRequest,
  retireAccount,
  systemClock,
  type TagAccountRequest,
  tagAccount,
} from '../handlers/accounts/lifecycle.js';
import { observeOrganization } from '../handlers/accounts/observe.js';
import type { OrganizationsPort } from '../handlers/accounts/ports.js';
import type { ObservedOrganization } from '../plan/observed.js';

/**
 * One step of an account plan with every OU path resolved to an id: exactly what a
 * management-account handler needs (and what the corresponding event carries).
 */
export type AccountStep =
  | { readonly kind: 'create-ou'; readonly parentId: string; readonly name: string }
  | ({ readonly kind: 'create-account' } & CreateAccountRequest)
  | ({ readonly kind: 'move-account' } & MoveAccountRequest)
  | ({ readonly kind: 'tag-account' } & TagAccountRequest)
  | ({ readonly kind: 'retire-account' } & RetireAccountRequest);

export type AccountStepResult =
  | { readonly kind: 'create-ou'; readonly ouId: string }
  | ({ readonly kind: 'create-account' } & CreateAccountOutcome)
  | { readonly kind: 'move-account' }
  | { readonly kind: 'tag-account' }
  | ({ readonly kind: 'retire-account' } & RetireAccountOutcome);

/**
 * How the cicd side reaches the management account. In AWS: events over EventBridge with
 * request/response (LIST_ACCOUNTS and friends). In tests and as a fallback: the same handler
 * functions called in-process with management credentials.
 */
export interface AccountsGateway {
  /** One snapshot of the organization. */
  list(): Promise<ObservedOrganization>;
  apply(step: AccountStep): Promise<AccountStepResult>;
}

export interface DirectGatewayOptions {
  readonly clock?: Clock;
  readonly tagConcurrency?: number;
  /** Poll budget of one CREATE_ACCOUNT call before it answers IN_PROGRESS. */
  readonly createMaxWaitMs?: number;
}

/** Calls the management-account handlers in-process over an Organizations port. */
export function directAccountsGateway(
  port: OrganizationsPort,
  options: DirectGatewayOptions = {},
): AccountsGateway {
  const clock = options.clock ?? systemClock;
  return {
    list: () => observeOrganization(port, { tagConcurrency: options.tagConcurrency ?? 8 }),
    async apply(step) {
      switch (step.kind) {
        case 'create-ou':
          return { kind: 'create-ou', ouId: await ensureOrganizationalUnit(port, step.parentId, step.name) };
        case 'create-account': {
          const { kind: _kind, ...request } = step;
          const outcome = await createAccount(port, request, {
            clock,
            ...(options.createMaxWaitMs !== undefined ? { maxWaitMs: options.createMaxWaitMs } : {}),
          });
          return { kind: 'create-account', ...outcome };
        }
        case 'move-account':
          await moveAccount(port, step);
          return { kind: 'move-account' };
        case 'tag-account':
          await tagAccount(port, step);
          return { kind: 'tag-account' };
        case 'retire-account':
          return { kind: 'retire-account', ...(await retireAccount(port, step, clock)) };
      }
    },
  };
}

export type GatewayKind = 'direct' | 'eventbridge';

/**
 * The gateway `orgbridge plan` / `run --action sync-accounts` use, chosen by
 * ORGBRIDGE_ACCOUNTS_GATEWAY: `direct` (default until the EventBridge path is wired) calls the
 * handlers in-process with the current credentials, which must be the management account's.
 */
export async function accountsGatewayFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ gateway: AccountsGateway; close(): void }> {
  const kind = (env.ORGBRIDGE_ACCOUNTS_GATEWAY ?? 'direct') as GatewayKind;
  if (kind !== 'direct') {
    throw new OrgbridgeError(
      'SYNC_GATEWAY_UNAVAILABLE',
      `ORGBRIDGE_ACCOUNTS_GATEWAY=${kind}: only 'direct' is available in this build`,
      { hint: 'unset ORGBRIDGE_ACCOUNTS_GATEWAY and run with the management account credentials' },
    );
  }
  const { AwsClients, awsContextFromEnv } = await import('../aws/index.js');
  const { organizationsPort } = await import('../handlers/accounts/ports.js');
  const clients = new AwsClients(awsContextFromEnv(env));
  return {
    gateway: directAccountsGateway(organizationsPort(clients.organizations())),
    close: () => clients.destroy(),
  };
}
