import { allPages, organizationsPort } from '../../../src/handlers/accounts/ports.js';
import type { ChaosFigures } from '../../support/chaos-report.js';
import type { World } from './world.js';

/**
 * A handler killed mid-operation: CREATE_ACCOUNT goes through the buses to the management
 * account, whose Organizations client throws at MoveAccount, after CreateAccount succeeded (the
 * worst place: the account exists, under the root, and nothing recorded it). The record fails,
 * SQS delivers it again, and the redelivery must find the earlier creation instead of creating
 * a second account, move it, and answer ACCOUNT_CREATED.
 */
export async function runCrashMidCreate(
  world: World,
  options: { run: string; accounts: number; crashesEach: number },
): Promise<{ figures: Partial<ChaosFigures>; problems: string[] }> {
  const problems: string[] = [];
  const port = organizationsPort(world.moto.management.organizations());
  let converged = 0;
  let duplicated = 0;
  const before = world.crash.injected;
  for (let i = 0; i < options.accounts; i++) {
    const name = `crash-${options.run}-${i}`;
    const email = `aws+${name}@example.com`;
    world.crash.moveAccount = options.crashesEach;
    try {
      const created = await world.client.request(
        'CREATE_ACCOUNT',
        world.ids.management,
        { name, email, OU: 'Internal/Dev', ou_id: world.ous.dev, tags: { chaos: options.run } },
        { timeoutMs: 60_000 },
      );
      if (created.state !== 'SUCCEEDED' || created.how !== 'recovered-creation') {
        problems.push(
          `${name}: answered ${created.state} ${created.how}, expected SUCCEEDED recovered-creation`,
        );
      }
    } catch (e) {
      problems.push(`${name}: ${String(e)}`);
    } finally {
      world.crash.moveAccount = 0;
    }
    const same = (await allPages((t) => port.listAccounts(t))).filter((a) => a.email === email);
    duplicated += Math.max(0, same.length - 1);
    const parent = same[0] ? await port.parentOf(same[0].id) : undefined;
    if (same.length === 1 && parent === world.ous.dev) converged++;
    else problems.push(`${name}: ${same.length} account(s), parent ${parent ?? 'none'}`);
  }
  return {
    figures: {
      crashesInjected: world.crash.injected - before,
      runsAttempted: options.accounts,
      runsConverged: converged,
      accountsDuplicated: duplicated,
    },
    problems,
  };
}
