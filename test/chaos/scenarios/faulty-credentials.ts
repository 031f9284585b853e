import { CreateAccountCommand } from '@aws-sdk/client-organizations';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { AwsClients } from '../../../src/aws/index.js';
import { isOrgbridgeError } from '../../../src/errors.js';
import { type ChaosFigures, faultFigures } from '../../support/chaos-report.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { createOrganization, type MotoFixture } from '../../support/moto.js';
import { CHAOS_RETRY_POLICY, chaosClients, FAULT_RATES } from './faulty-sync.js';

/**
 * STS behind the fault proxy. `AwsClients.forAccount` assumes OrganizationAccountAccessRole in
 * each account and caches the credentials; every handler, poller and pipeline step in another
 * account goes through it. Each round builds fresh clients (an empty credential cache, as a cold
 * Lambda or a new pipeline run has) while 20 % of STS calls are throttled and 5 % fail, and asks
 * every account three times at once who it is: each answer must name that account (one
 * account's credentials never serve another), and the three concurrent first calls must share
 * one AssumeRole.
 *
 * Then an outage: every AssumeRole is refused until the retries run out. The calls made during
 * it must fail with an error naming the role; once STS answers again, the very same clients
 * (their credential cache, and the SDK's own memo of it in each service client) must work
 * without being rebuilt. A failed AssumeRole cached as "the credentials" would break them.
 */

/** An organization with `count` member accounts (moto gives each its access role); their ids. */
export async function createMemberAccounts(moto: MotoFixture, count: number): Promise<string[]> {
  await createOrganization(moto.management);
  const org = moto.management.organizations();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const out = await org.send(
      new CreateAccountCommand({ AccountName: `sts-${i}`, Email: `aws+sts-${i}@example.com` }),
    );
    ids.push(out.CreateAccountStatus?.AccountId as string);
  }
  return ids;
}

export interface FaultyCredentialsOptions {
  readonly rounds: number;
  /** Accounts to act in (each must have OrganizationAccountAccessRole, as moto gives every new account). */
  readonly accounts: readonly string[];
  /** Rounds that end with an STS outage. */
  readonly outages: number;
}

async function whoAmI(clients: AwsClients): Promise<string | undefined> {
  return (await clients.sts().send(new GetCallerIdentityCommand({}))).Account;
}

export async function runFaultyCredentials(
  proxy: FaultProxy,
  options: FaultyCredentialsOptions,
): Promise<{
  figures: Partial<ChaosFigures>;
  problems: string[];
  /** Retries of every client; with `refused` (calls that ran out of retries) they account for every fault. */
  retries: number;
  refused: number;
}> {
  const before = proxy.snapshot();
  const problems: string[] = [];
  let converged = 0;
  let poisoned = 0;
  let outages = 0;
  let retries = 0;
  let refused = 0;
  const faulty = [{ match: /^STS\./, ...FAULT_RATES }];
  proxy.setRules(faulty);
  try {
    for (let round = 0; round < options.rounds; round++) {
      const clients = chaosClients(proxy);
      const cleanup: AwsClients[] = [clients];
      let ok = true;
      try {
        await Promise.all(
          options.accounts.map(async (id) => {
            const answers = await Promise.allSettled([0, 1, 2].map(() => whoAmI(clients.forAccount(id))));
            for (const a of answers) {
              const account = a.status === 'fulfilled' ? a.value : String(a.reason);
              if (account !== id) {
                ok = false;
                problems.push(`round ${round}: clients for ${id} answered as ${account}`);
              }
            }
          }),
        );
        const calls = clients.counter.counts.get('STS.AssumeRole') ?? 0;
        if (calls !== options.accounts.length) {
          ok = false;
          problems.push(
            `round ${round}: ${calls} AssumeRole for ${options.accounts.length} accounts (concurrent first calls must share one)`,
          );
        }

        if (round < options.outages) {
          outages++;
          const victims = options.accounts.slice(0, 3);
          proxy.setRules([{ match: /^STS\.AssumeRole$/, throttle: 1 }]);
          // Fresh clients: nothing cached yet, so the first call of each account needs AssumeRole.
          const during = chaosClients(proxy);
          cleanup.push(during);
          for (const id of victims) {
            const error = await during
              .forAccount(id)
              .sqs()
              .send(new ListQueuesCommand({}))
              .then(
                () => undefined,
                (e: unknown) => e,
              );
            if (error !== undefined) refused++;
            // The error names the role and says the SDK retried it to the end of the budget.
            const expected = `arn:aws:iam::${id}:role/`;
            const retried = `retried ${CHAOS_RETRY_POLICY.maxAttempts - 1} times`;
            if (
              !isOrgbridgeError(error) ||
              !error.message.includes(expected) ||
              !error.message.includes(retried)
            ) {
              ok = false;
              problems.push(
                `round ${round}: during the STS outage, ${id} answered ${String(error)} instead of an error naming the role and its retries`,
              );
            }
          }
          proxy.setRules(faulty);
          for (const id of victims) {
            const account = await whoAmI(during.forAccount(id)).catch((e: unknown) => String(e));
            const listed = await during
              .forAccount(id)
              .sqs()
              .send(new ListQueuesCommand({}))
              .then(
                () => 'ok',
                (e: unknown) => String(e),
              );
            if (account !== id || listed !== 'ok') {
              ok = false;
              poisoned++;
              problems.push(
                `round ${round}: after the STS outage, the clients of ${id} answered as ${account}, ListQueues: ${listed}`,
              );
            }
          }
        }
      } finally {
        for (const c of cleanup) {
          retries += c.retries.count;
          c.destroy();
        }
      }
      if (ok) converged++;
    }
  } finally {
    proxy.setRules([]);
  }
  return {
    figures: {
      ...faultFigures(before, proxy.snapshot()),
      stsOutages: outages,
      runsAttempted: options.rounds,
      runsConverged: converged,
      credentialCachePoisoned: poisoned,
    },
    problems,
    retries,
    refused,
  };
}
