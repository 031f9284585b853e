import type { AwsClients } from '../../aws/clients.js';
import { isOrgbridgeError } from '../../errors.js';
import { DEFAULT_PART_BYTES, splitObservedOrganization } from '../../protocol/accounts-listed.js';
import { handlerWaitMs } from '../../protocol/topology.js';
import type { HandlerContext, HandlerRegistration } from '../types.js';
import { RequestRejected } from '../types.js';
import {
  type Clock,
  CreationLedger,
  checkRetirement,
  createAccount,
  ensureOrganizationalUnit,
  moveAccount,
  retireAccount,
  systemClock,
  tagAccount,
} from './lifecycle.js';
import { observeOrganization } from './observe.js';
import { type PlacementRules, placementGuard } from './placement.js';
import { type OrganizationsPort, organizationsPort } from './ports.js';
import { assertCreateTags, assertNotSpecial, assertTagChange, trustRules } from './trust.js';

/**
 * The management account's account-lifecycle handlers on the messaging runtime: thin wrappers
 * over the functions of lifecycle.ts and observe.ts (the same ones the direct gateway calls
 * in-process), plus the placement checks of placement.ts, which an event is never trusted to
 * have made. The runtime validated the detail against the catalog (names and emails follow the
 * DSL's rules there) and authorised the sender (cicd only).
 */
export interface AccountHandlerSettings extends PlacementRules {
  readonly clock?: Clock;
  /**
   * How long CREATE_ACCOUNT polls a creation before answering IN_PROGRESS (default 10 min,
   * inside the management Lambda's 15 min); the cicd side sends the request again to resume.
   */
  readonly createMaxWaitMs?: number;
  readonly tagConcurrency?: number;
  /** The Organizations port of the receiving account (default: over `ctx.clients`). */
  readonly port?: (ctx: HandlerContext) => OrganizationsPort;
  /**
   * The special accounts (kind -> id) from the handler's own configuration
   * (ORGBRIDGE_SPECIAL_ACCOUNTS, local mode: the topology): never moved, retired, closed,
   * unmarked or adopted by an event (trust.ts).
   */
  readonly specialAccounts?: Readonly<Partial<Record<string, string>>>;
}

/** Refusals of lifecycle.ts that no retry can fix: answered REQUEST_FAILED at once. */
const PERMANENT_CODES = new Set([
  'CREATE_ACCOUNT_EMAIL_TAKEN',
  'MARKER_NOT_ALLOWED',
  'SPECIAL_ACCOUNT_NOT_ALLOWED',
  'RETIRE_MANAGEMENT_ACCOUNT',
  'RETIRE_PROTECTED_ACCOUNT',
  'RETIRE_COOLING_OFF',
  'CLOSE_ACCOUNT_TOO_YOUNG',
  'CLOSE_ACCOUNT_QUOTA',
]);

async function refusingPermanent<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isOrgbridgeError(e) && PERMANENT_CODES.has(e.code) && !(e instanceof RequestRejected)) {
      throw new RequestRejected(e.code, e.message);
    }
    throw e;
  }
}

/** A dry run checks the request like a real one, then says what it would have done. */
function dryRun(wouldDo: string): never {
  throw new RequestRejected(
    'DRYRUN',
    `dry run: would ${wouldDo}; nothing was changed (the account plan itself is the dry run: orgbridge plan)`,
  );
}

// One port per set of clients: the port caches the root and management ids.
const ports = new WeakMap<AwsClients, OrganizationsPort>();
function defaultPort(ctx: HandlerContext): OrganizationsPort {
  let port = ports.get(ctx.clients);
  if (!port) {
    port = organizationsPort(ctx.clients.organizations());
    ports.set(ctx.clients, port);
  }
  return port;
}

export interface AccountHandlers {
  readonly LIST_ACCOUNTS: HandlerRegistration<'LIST_ACCOUNTS'>;
  readonly CREATE_ACCOUNT: HandlerRegistration<'CREATE_ACCOUNT'>;
  readonly MOVE_ACCOUNT: HandlerRegistration<'MOVE_ACCOUNT'>;
  readonly TAG_ACCOUNT: HandlerRegistration<'TAG_ACCOUNT'>;
  readonly RETIRE_ACCOUNT: HandlerRegistration<'RETIRE_ACCOUNT'>;
  readonly ENSURE_ORGANIZATIONAL_UNIT: HandlerRegistration<'ENSURE_ORGANIZATIONAL_UNIT'>;
}

/** The account handlers of the management account, for its HandlerRegistry. */
export function accountHandlers(settings: AccountHandlerSettings): AccountHandlers {
  const portOf = settings.port ?? defaultPort;
  const clock = settings.clock ?? systemClock;
  const guardOf = (ctx: HandlerContext) => placementGuard(portOf(ctx), settings);
  const trust = trustRules(settings.specialAccounts);
  // One creation listing per port (per warm handler), refreshed on redelivery or unknown outcome.
  const ledgers = new WeakMap<OrganizationsPort, CreationLedger>();
  const ledgerOf = (port: OrganizationsPort) => {
    let ledger = ledgers.get(port);
    if (!ledger) {
      ledger = new CreationLedger(port);
      ledgers.set(port, ledger);
    }
    return ledger;
  };
  return {
    // A read: not deduplicated, so asking again re-sends every part (one may have been lost).
    LIST_ACCOUNTS: {
      idempotent: false,
      async handle(detail, ctx) {
        const org = await observeOrganization(portOf(ctx), {
          ...(settings.tagConcurrency ? { tagConcurrency: settings.tagConcurrency } : {}),
        });
        const [first, ...rest] = splitObservedOrganization(org, detail.part_bytes ?? DEFAULT_PART_BYTES);
        // Parts 2..n go out now; part 1 is the handler's answer, sent by the runtime.
        for (const part of rest) await ctx.reply('ACCOUNTS_LISTED', part);
        return first;
      },
    },

    CREATE_ACCOUNT: {
      async handle(detail, ctx) {
        const doing = `creating account ${detail.name} <${detail.email}>`;
        await guardOf(ctx).assertAccountDestination(detail.ou_id, doing);
        assertCreateTags(detail.tags, doing);
        if (ctx.dryrun) dryRun(`create ${detail.name} in ${detail.ou_id}`);
        const outcome = await refusingPermanent(() =>
          createAccount(
            portOf(ctx),
            {
              name: detail.name,
              email: detail.email,
              ouId: detail.ou_id,
              tags: detail.tags,
              ...(detail.role_name ? { roleName: detail.role_name } : {}),
            },
            {
              clock,
              ledger: ledgerOf(portOf(ctx)),
              fresh: (ctx.attempt ?? 1) > 1,
              maxWaitMs: settings.createMaxWaitMs ?? handlerWaitMs('CREATE_ACCOUNT', ctx.remainingTimeMs),
              reserved: trust.special,
            },
          ),
        );
        return {
          name: detail.name,
          email: detail.email,
          state: outcome.state,
          how: outcome.how,
          ...(outcome.accountId ? { account_id: outcome.accountId } : {}),
          ...(outcome.requestId ? { request_id: outcome.requestId } : {}),
        };
      },
    },

    MOVE_ACCOUNT: {
      async handle(detail, ctx) {
        const doing = `moving account ${detail.account_id} to ${detail.ou_id}`;
        const guard = guardOf(ctx);
        await guard.assertNotManagement(detail.account_id, doing);
        assertNotSpecial(trust, detail.account_id, doing);
        await guard.assertAccountDestination(detail.ou_id, doing);
        if (ctx.dryrun) dryRun(`move ${detail.account_id} to ${detail.ou_id}`);
        const { from } = await moveAccount(portOf(ctx), {
          accountId: detail.account_id,
          ouId: detail.ou_id,
        });
        return { account_id: detail.account_id, from };
      },
    },

    TAG_ACCOUNT: {
      async handle(detail, ctx) {
        const doing = `tagging account ${detail.account_id}`;
        await guardOf(ctx).assertNotManagement(detail.account_id, doing);
        await assertTagChange(
          portOf(ctx),
          trust,
          { accountId: detail.account_id, set: detail.set, remove: detail.remove },
          doing,
        );
        if (ctx.dryrun) dryRun(`tag ${detail.account_id}`);
        await tagAccount(
          portOf(ctx),
          { accountId: detail.account_id, set: detail.set, remove: detail.remove },
          clock,
        );
        return { account_id: detail.account_id };
      },
    },

    RETIRE_ACCOUNT: {
      async handle(detail, ctx) {
        const doing = `retiring account ${detail.account_id}`;
        const guard = guardOf(ctx);
        await guard.assertNotManagement(detail.account_id, doing);
        assertNotSpecial(trust, detail.account_id, doing);
        await guard.assertMorgue(detail.morgue_ou_id, doing);
        const request = {
          accountId: detail.account_id,
          morgueOuId: detail.morgue_ou_id,
          close: detail.close,
        };
        // Protect and age first: a dry run answers what the real run would.
        await refusingPermanent(() => checkRetirement(portOf(ctx), request, clock));
        if (ctx.dryrun) dryRun(`retire ${detail.account_id}${detail.close ? ' and close it' : ''}`);
        const outcome = await refusingPermanent(() => retireAccount(portOf(ctx), request, clock));
        return { account_id: detail.account_id, moved: outcome.moved, closed: outcome.closed };
      },
    },

    ENSURE_ORGANIZATIONAL_UNIT: {
      async handle(detail, ctx) {
        await guardOf(ctx).assertOuParent(detail.parent_id, detail.name);
        if (ctx.dryrun) dryRun(`create OU '${detail.name}' under ${detail.parent_id}`);
        const ouId = await ensureOrganizationalUnit(portOf(ctx), detail.parent_id, detail.name);
        return { ou_id: ouId, parent_id: detail.parent_id, name: detail.name };
      },
    },
  };
}
