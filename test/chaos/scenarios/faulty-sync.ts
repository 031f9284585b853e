import {
  AwsClients,
  DEFAULT_RETRY_POLICY,
  emulatorContext,
  type RetryPolicy,
} from '../../../src/aws/index.js';
import { memoryIo } from '../../../src/cli/io.js';
import type { ResolvedAccount } from '../../../src/config/model.js';
import { observeOrganization } from '../../../src/handlers/accounts/observe.js';
import { organizationsPort } from '../../../src/handlers/accounts/ports.js';
import { directAccountsGateway } from '../../../src/pipeline/gateways/accounts-gateway.js';
import { syncAccounts } from '../../../src/pipeline/sync-accounts.js';
import { MARKERS } from '../../../src/plan/markers.js';
import { type ChaosFigures, faultFigures } from '../../support/chaos-report.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import type { MotoFixture } from '../../support/moto.js';
import { config, desired } from '../../unit/plan/fixtures.js';

/**
 * sync-accounts while the fault proxy answers 20 % of Organizations calls with throttling and
 * 5 % with HTTP 500. The clients retry both (retryServerErrors: in AWS a 500 is transient; the
 * emulator's own 500s are bugs, which is why emulator contexts turn it off by default) with
 * small delays so the suite stays fast. Each round adds accounts to the desired set and syncs
 * until a dry run plans nothing (at most `maxSyncs` times); a round converges when every desired
 * account exists exactly once, in its OU, with its key marker.
 */

export const FAULT_RATES = { throttle: 0.2, serverError: 0.05 } as const;

/**
 * The production retry strategy (OrgbridgeRetryStrategy: the SDK's standard one plus
 * ConcurrentModificationException) with more attempts and millisecond delays, so a run under
 * 25 % faults stays fast.
 */
export const CHAOS_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 10,
  baseDelayMs: 1,
  maxDelayMs: 20,
  retryServerErrors: true,
};

/** Clients that talk to the emulator through the fault proxy with {@link CHAOS_RETRY_POLICY}. */
export function chaosClients(proxy: FaultProxy): AwsClients {
  return new AwsClients(emulatorContext(proxy.endpoint, { retry: CHAOS_RETRY_POLICY }));
}

export interface FaultySyncOptions {
  readonly rounds: number;
  readonly accountsPerRound: number;
  readonly run: string;
  readonly maxSyncs?: number;
}

export async function runFaultySync(
  moto: MotoFixture,
  proxy: FaultProxy,
  options: FaultySyncOptions,
): Promise<{ figures: Partial<ChaosFigures>; problems: string[]; retries: number }> {
  const clients = chaosClients(proxy);
  const before = proxy.snapshot();
  proxy.setRules([{ match: /^Organizations\./, ...FAULT_RATES }]);
  const gateway = directAccountsGateway(organizationsPort(clients.organizations()), {
    clock: { now: () => new Date(), sleep: async () => {} },
  });
  const problems: string[] = [];
  const wanted: ResolvedAccount[] = [];
  let converged = 0;
  let duplicated = 0;
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < options.accountsPerRound; i++) {
        const key = `${options.run}r${round}a${i}`;
        wanted.push(i % 3 === 2 ? desired(key, { scope: 'standard' }) : desired(key));
      }
      let clean = false;
      for (let sync = 0; sync < (options.maxSyncs ?? 3) && !clean; sync++) {
        const io = memoryIo();
        const run = await syncAccounts({
          config: config(wanted),
          gateway,
          now: new Date(),
          execute: true,
          output: io,
        });
        const check = await syncAccounts({
          config: config(wanted),
          gateway,
          now: new Date(),
          execute: false,
          output: memoryIo(),
        });
        clean = run.failures.length === 0 && check.plan.actions.length === 0;
        if (!clean && sync === (options.maxSyncs ?? 3) - 1) {
          problems.push(
            `round ${round}: still ${check.plan.actions.length} action(s) after ${sync + 1} syncs: ${run.failures.map((f) => f.message).join('; ')}`,
          );
        }
      }
      // Judge against the emulator itself, not through the proxy.
      const org = await observeOrganization(organizationsPort(moto.management.organizations()));
      let ok = clean;
      for (const d of wanted) {
        const same = org.accounts.filter((a) => a.email === d.email);
        duplicated += Math.max(0, same.length - 1);
        if (
          same.length !== 1 ||
          same[0]?.ou !== d.organization_unit ||
          same[0]?.tags[MARKERS.key] !== d.key
        ) {
          ok = false;
          problems.push(
            `round ${round}: ${d.key}: ${same.length} account(s) in ${same.map((a) => a.ou).join(', ')}`,
          );
        }
      }
      if (ok) converged++;
    }
  } finally {
    proxy.setRules([]);
    clients.destroy();
  }
  return {
    figures: {
      ...faultFigures(before, proxy.snapshot()),
      runsAttempted: options.rounds,
      runsConverged: converged,
      accountsDuplicated: duplicated,
    },
    problems,
    retries: clients.retries.count,
  };
}
