import type { ErrorCode } from '../error-codes.js';
import { isOrgbridgeError } from '../errors.js';
import { mapWithConcurrency } from '../handlers/accounts/ports.js';
import { type AccountPlanConfig, planAccountChanges } from '../plan/accounts.js';
import { massRetirement } from '../plan/blast-radius.js';
import { MARKERS } from '../plan/markers.js';
import type { AccountAction, AccountPlan, CreateAccountAction } from '../plan/model.js';
import type { ObservedOrganization } from '../plan/observed.js';
import { describeAction, renderPlanJson, renderPlanMarkdown, renderPlanText } from '../plan/render.js';
import type { AccountStep, AccountsGateway } from './gateways/accounts-gateway.js';
import type { Outcome, Output, StepMessage } from './output.js';

export type PlanFormat = 'text' | 'json' | 'markdown';

/** Organizations runs at most 5 CreateAccount requests at once (aws-limits notes). */
export const MAX_CREATIONS_IN_FLIGHT = 5;

export interface SyncAccountsOptions {
  readonly config: AccountPlanConfig;
  readonly gateway: AccountsGateway;
  /** The planner's clock reading (closure quota, retirement date). */
  readonly now: Date;
  /** Without it, only the plan is printed (the EventBridge design's dry-run rule). */
  readonly execute: boolean;
  readonly output: Output;
  readonly format?: PlanFormat;
  readonly createConcurrency?: number;
  /** Times a CREATE_ACCOUNT still IN_PROGRESS is sent again (it resumes, never re-creates). */
  readonly createAttempts?: number;
  /** `run --allow-mass-change`: retiring most or all managed accounts in one run is intended. */
  readonly allowMassChange?: boolean;
}

export interface StepFailure {
  readonly action: AccountAction;
  readonly message: string;
  readonly code: ErrorCode;
}

export interface SyncAccountsResult {
  readonly observed: ObservedOrganization;
  readonly plan: AccountPlan;
  /** Actions carried out (empty without `execute`). */
  readonly applied: readonly AccountAction[];
  readonly failures: readonly StepFailure[];
  readonly outcome: Outcome;
}

export function renderPlan(plan: AccountPlan, format: PlanFormat = 'text'): string {
  return format === 'json'
    ? renderPlanJson(plan)
    : format === 'markdown'
      ? renderPlanMarkdown(plan)
      : renderPlanText(plan);
}

/** How a plan that was only printed ends: failed when blocked, pending with changes, else done. */
export function planOutcome(plan: AccountPlan): Outcome {
  if (plan.blocked.length) return 'failed';
  return plan.actions.length ? 'pending' : 'done';
}

/**
 * `orgbridge plan` and `orgbridge run --action sync-accounts [--execute]`: observe once, plan,
 * print, and with `execute` carry the plan out through the gateway. The plan goes to stdout;
 * progress goes to stderr so `--json` output stays machine-readable.
 */
export async function syncAccounts(options: SyncAccountsOptions): Promise<SyncAccountsResult> {
  const observed = await options.gateway.list();
  const plan = planAccountChanges({ config: options.config, observed, now: options.now });
  options.output.out(renderPlan(plan, options.format));
  if (!options.execute) {
    if (plan.actions.length && options.format !== 'json') {
      options.output.err('dry run: nothing was changed; run again with --execute to apply this plan');
    }
    return { observed, plan, applied: [], failures: [], outcome: planOutcome(plan) };
  }
  const managed = observed.accounts.filter((a) => a.tags[MARKERS.key] !== undefined).length;
  const retiring = plan.actions.filter((a) => a.action === 'retire-account').length;
  const mass = massRetirement(retiring, managed);
  if (mass && !options.allowMassChange) {
    options.output.err(
      `account sync refused [SYNC_ACCOUNTS_MASS_CHANGE]: ${mass}; nothing was changed; if that is intended, run it again with --allow-mass-change`,
    );
    return { observed, plan, applied: [], failures: [], outcome: 'failed' };
  }
  const { applied, failures } = await executeAccountPlan(plan, observed, options.gateway, {
    output: options.output,
    ...(options.createConcurrency !== undefined ? { createConcurrency: options.createConcurrency } : {}),
    ...(options.createAttempts !== undefined ? { createAttempts: options.createAttempts } : {}),
  });
  options.output.err(
    `applied ${applied.length} of ${plan.actions.length} action(s)${failures.length ? `, ${failures.length} failed` : ''}`,
  );
  for (const f of failures)
    options.output.err(`  failed: ${f.action.action} ${describeAction(f.action)}: ${f.message} [${f.code}]`);
  const outcome: Outcome = failures.length || plan.blocked.length ? 'failed' : 'done';
  return { observed, plan, applied, failures, outcome };
}

export interface ExecuteOptions {
  readonly output?: Output;
  readonly createConcurrency?: number;
  readonly createAttempts?: number;
}

/** A step of the account plan as a coded message (`run --json`). */
function stepMessage(
  action: AccountAction,
  startedAt: number | undefined,
  outcome: Pick<StepMessage, 'status' | 'code' | 'message'>,
): StepMessage {
  return {
    type: 'step',
    step: action.action,
    target: describeAction(action),
    ...('accountId' in action && action.accountId ? { account: action.accountId } : {}),
    ...outcome,
    ...(startedAt !== undefined ? { durationMs: Math.round(performance.now() - startedAt) } : {}),
  };
}

function failureOf(action: AccountAction, e: unknown): StepFailure {
  return {
    action,
    code:
      isOrgbridgeError(e) || e instanceof StepError ? (e as { code: ErrorCode }).code : 'SYNC_STEP_FAILED',
    message: e instanceof Error ? e.message : String(e),
  };
}

/**
 * Carries a plan out in its order: OUs one by one (parents first), up to 5 account creations in
 * flight, then every other Organizations write one at a time (Organizations answers concurrent
 * writes with ConcurrentModificationException). A failed step is reported and the steps that
 * do not depend on it still run; steps needing a missing OU fail with a clear message.
 */
export async function executeAccountPlan(
  plan: AccountPlan,
  observed: ObservedOrganization,
  gateway: AccountsGateway,
  options: ExecuteOptions = {},
): Promise<{ applied: AccountAction[]; failures: StepFailure[] }> {
  const ouIds = new Map(Object.entries(observed.ous));
  const applied: AccountAction[] = [];
  const failures: StepFailure[] = [];
  const total = plan.actions.length;
  const started = new Map<AccountAction, number>();
  const progress = (action: AccountAction, note = '') => {
    applied.push(action);
    options.output?.err(`[${applied.length}/${total}] ${action.action} ${describeAction(action)}${note}`);
    options.output?.emit?.(stepMessage(action, started.get(action), { status: 'done' }));
  };
  const ouId = (path: string): string => {
    const id = ouIds.get(path);
    if (id === undefined)
      throw new StepError('SYNC_OU_MISSING', `OU '${path}' does not exist (its creation failed)`);
    return id;
  };
  const attempt = async (action: AccountAction, run: () => Promise<string | undefined>) => {
    started.set(action, performance.now());
    try {
      const note = await run();
      progress(action, note ? ` ${note}` : '');
    } catch (e) {
      const failure = failureOf(action, e);
      failures.push(failure);
      options.output?.emit?.(
        stepMessage(action, started.get(action), {
          status: 'failed',
          code: failure.code,
          message: failure.message,
        }),
      );
    }
  };
  const send = (step: AccountStep) => gateway.apply(step);

  const closeActions = new Map<string, AccountAction>();
  for (const a of plan.actions) if (a.action === 'close-account') closeActions.set(a.accountId, a);
  const retiring = new Set(plan.actions.filter((a) => a.action === 'retire-account').map((a) => a.accountId));
  const creates: CreateAccountAction[] = [];
  const writes: AccountAction[] = [];

  for (const action of plan.actions) {
    if (action.action === 'create-ou') {
      await attempt(action, async () => {
        const result = await send({ kind: 'create-ou', parentId: ouId(action.parent), name: action.name });
        if (result.kind !== 'create-ou')
          throw new StepError('SYNC_BAD_REPLY', `unexpected reply ${result.kind}`);
        ouIds.set(action.path, result.ouId);
        return `-> ${result.ouId}`;
      });
    } else if (action.action === 'adopt-account') {
      // Adoption writes nothing by itself: the tag step that follows records the markers.
      progress(action);
    } else if (action.action === 'create-account') creates.push(action);
    else writes.push(action);
  }

  const attempts = Math.max(1, options.createAttempts ?? 3);
  await mapWithConcurrency(
    creates,
    Math.min(MAX_CREATIONS_IN_FLIGHT, Math.max(1, options.createConcurrency ?? MAX_CREATIONS_IN_FLIGHT)),
    (action) =>
      attempt(action, async () => {
        const step: AccountStep = {
          kind: 'create-account',
          name: action.name,
          email: action.email,
          ouId: ouId(action.ou),
          tags: action.tags,
        };
        for (let i = 0; i < attempts; i++) {
          const result = await send(step);
          if (result.kind !== 'create-account')
            throw new StepError('SYNC_BAD_REPLY', `unexpected reply ${result.kind}`);
          if (result.state === 'SUCCEEDED')
            return `-> ${result.accountId}${result.how === 'created' ? '' : ` (${result.how})`}`;
        }
        throw new StepError(
          'SYNC_CREATE_STILL_IN_PROGRESS',
          `account ${action.name} is still being created after ${attempts} attempt(s); the next run resumes it`,
        );
      }),
  );

  for (const action of writes) {
    switch (action.action) {
      case 'move-account':
        await attempt(action, async () => {
          await send({ kind: 'move-account', accountId: action.accountId, ouId: ouId(action.to) });
          return undefined;
        });
        break;
      case 'tag-account':
        await attempt(action, async () => {
          await send({
            kind: 'tag-account',
            accountId: action.accountId,
            set: action.set,
            remove: action.remove,
          });
          return undefined;
        });
        break;
      case 'retire-account': {
        const close = closeActions.get(action.accountId);
        await attempt(action, async () => {
          await send({
            kind: 'retire-account',
            accountId: action.accountId,
            morgueOuId: ouId(action.to),
            close: !!close,
          });
          return undefined;
        });
        // The same RETIRE_ACCOUNT request closed it: count the close action as done too.
        if (close && applied.at(-1) === action) progress(close);
        break;
      }
      case 'close-account':
        if (retiring.has(action.accountId)) break;
        await attempt(action, async () => {
          // Already retired: RETIRE_ACCOUNT is idempotent and keeps it where it is, then closes it.
          const where = observed.accounts.find((a) => a.id === action.accountId)?.ou ?? '';
          await send({
            kind: 'retire-account',
            accountId: action.accountId,
            morgueOuId: ouId(where),
            close: true,
          });
          return undefined;
        });
        break;
      default:
        break;
    }
  }
  return { applied, failures };
}

class StepError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
