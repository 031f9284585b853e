import { randomUUID } from 'node:crypto';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { allPages, organizationsPort } from '../../../src/handlers/accounts/ports.js';
import { route53Port } from '../../../src/handlers/dns/ports.js';
import type { QueueEnvelope, RequestType } from '../../../src/protocol/catalog.js';
import { REPLY_TYPE } from '../../../src/protocol/catalog.js';
import { senderBusName } from '../../../src/protocol/topology.js';
import type { ChaosFigures } from '../../support/chaos-report.js';
import { seededRandom } from '../../support/fault-proxy.js';
import { BUS, PARENT_DOMAIN, SOURCE, type World } from './world.js';

/**
 * Every event delivered twice and out of order: a mix of requests (PING to every kind, account
 * creations, tag writes, DNS records from a member account) is put on the buses, each event
 * twice, the whole list shuffled so a duplicate often arrives before another request's original.
 * Each must run its handler once, answer twice (the stored answer is re-sent), and leave exactly
 * the effect of one run.
 */

interface Planned {
  readonly type: RequestType;
  readonly sender: string;
  readonly target: string;
  readonly detail: Record<string, unknown>;
  /** What must exist afterwards. */
  readonly effect?:
    | { readonly kind: 'account'; readonly email: string }
    | { readonly kind: 'tag'; readonly account: string; readonly key: string; readonly value: string }
    | { readonly kind: 'record'; readonly zone: string; readonly name: string };
}

export interface DoubleDeliveryResult {
  readonly figures: Partial<ChaosFigures>;
  /** Human-readable problems; empty when every check held. */
  readonly problems: string[];
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function plan(world: World, count: number, run: string): Planned[] {
  const { ids, ous } = world;
  const pingTargets = [ids.management, ids.identity, ids.dns, ids.logs, ids.audit, ids.memberA, ids.memberB];
  const planned: Planned[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = randomUUID();
    const base = { nonce, dryrun: false, reply_to: ids.cicd };
    switch (i % 4) {
      case 0: {
        const target = pingTargets[i % pingTargets.length] as string;
        planned.push({
          type: 'PING',
          sender: ids.cicd,
          target,
          detail: { ...base, target_account: target, message: `${run}-${i}` },
        });
        break;
      }
      case 1: {
        const name = `dd-${run}-${i}`;
        const email = `aws+${name}@example.com`;
        planned.push({
          type: 'CREATE_ACCOUNT',
          sender: ids.cicd,
          target: ids.management,
          detail: {
            ...base,
            target_account: ids.management,
            name,
            email,
            OU: 'Internal/Dev',
            ou_id: ous.dev,
            tags: { chaos: run },
          },
          effect: { kind: 'account', email },
        });
        break;
      }
      case 2: {
        const account = i % 8 === 2 ? ids.memberA : ids.memberB;
        const key = `chaos-${run}-${i}`;
        planned.push({
          type: 'TAG_ACCOUNT',
          sender: ids.cicd,
          target: ids.management,
          detail: {
            ...base,
            target_account: ids.management,
            account_id: account,
            set: { [key]: 'v' },
            remove: [],
          },
          effect: { kind: 'tag', account, key, value: 'v' },
        });
        break;
      }
      default: {
        const zone = `member-a.${PARENT_DOMAIN}`;
        const name = `_v${run}${i}.${zone}`;
        planned.push({
          type: 'DNS_CREATE_VALIDATION_RECORD',
          sender: ids.memberA,
          target: ids.dns,
          detail: { ...base, target_account: ids.dns, name, value: `_x${i}.acm-validations.aws` },
          effect: { kind: 'record', zone, name },
        });
      }
    }
  }
  return planned;
}

export async function runDoubleDelivery(
  world: World,
  options: { requests: number; seed: number },
): Promise<DoubleDeliveryResult> {
  const run = `s${options.seed}`;
  const planned = plan(world, options.requests, run);
  const problems: string[] = [];
  const waiting = planned.map((p) =>
    world.client.expectReplies(
      p.detail.nonce as string,
      p.target,
      `${p.type} to ${p.target} delivered twice`,
      (replies) => replies.length >= 2,
      90_000,
    ),
  );
  // Twice each, shuffled; consecutive events of one sender go out in one PutEvents (<= 10).
  const deliveries = shuffle([...planned, ...planned], seededRandom(options.seed));
  let chunk: Planned[] = [];
  const flush = async () => {
    if (!chunk.length) return;
    const sender = chunk[0]?.sender as string;
    await world.senderIn(sender).send(
      chunk.map((p) => ({
        busName: sender === world.ids.cicd ? senderBusName(world.topology, sender, p.target) : BUS,
        source: SOURCE,
        detailType: p.type,
        detail: p.detail,
      })),
    );
    chunk = [];
  };
  for (const p of deliveries) {
    if (chunk.length && (chunk[0]?.sender !== p.sender || chunk.length === 10)) await flush();
    chunk.push(p);
  }
  await flush();

  const answers = await Promise.allSettled(waiting);
  let handlerReruns = 0;
  planned.forEach((p, i) => {
    const nonce = p.detail.nonce as string;
    const answer = answers[i] as PromiseSettledResult<QueueEnvelope[]>;
    if (answer.status === 'rejected') {
      problems.push(`${p.type} ${nonce}: ${String(answer.reason)}`);
      return;
    }
    const types = answer.value.map((r) => r['detail-type']);
    const expected = REPLY_TYPE[p.type];
    if (types.length !== 2 || types.some((t) => t !== expected)) {
      problems.push(`${p.type} ${nonce}: answered ${types.join(', ')}, expected ${expected} twice`);
    }
    const [first, second] = answer.value;
    if (first && second && JSON.stringify(first.detail) !== JSON.stringify(second.detail)) {
      problems.push(`${p.type} ${nonce}: the re-sent answer differs from the first`);
    }
    const runs = world.executions.get(`${p.type}#${nonce}`) ?? 0;
    if (runs !== 1) {
      // Say why: a failed attempt (and what failed) is another bug than a duplicate that ran.
      const failures = world.outcomes
        .map((o) => o.outcome)
        .filter((o) => o.status === 'failed' && o.nonce === nonce)
        .map((o) => (o.status === 'failed' ? o.error : ''));
      problems.push(
        `${p.type} ${nonce}: handler ran ${runs} times${failures.length ? `; failed attempts: ${failures.join(' | ')}` : ''}`,
      );
    }
    handlerReruns += Math.max(0, runs - 1);
  });

  // Effects: exactly one of each.
  const port = organizationsPort(world.moto.management.organizations());
  const accounts = await allPages((t) => port.listAccounts(t));
  let accountsDuplicated = 0;
  const dns = world.clientsFor(world.ids.dns);
  const zones = route53Port(dns.route53());
  for (const p of planned) {
    const effect = p.effect;
    if (!effect) continue;
    if (effect.kind === 'account') {
      const same = accounts.filter((a) => a.email === effect.email);
      if (same.length !== 1) problems.push(`${effect.email}: ${same.length} accounts`);
      accountsDuplicated += Math.max(0, same.length - 1);
      const id = same[0]?.id;
      if (id && (await port.parentOf(id)) !== world.ous.dev)
        problems.push(`${effect.email}: not in Internal/Dev`);
    } else if (effect.kind === 'tag') {
      const tags = await allPages((t) => port.listTags(effect.account, t));
      if (!tags.some((t) => t.key === effect.key && t.value === effect.value))
        problems.push(`${effect.account}: tag ${effect.key} missing`);
    } else {
      const zone = await zones.findPublicZone(effect.zone);
      const records = await dns.route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zone?.id }));
      const same = (records.ResourceRecordSets ?? []).filter(
        (r) => r.Name?.replace(/\.$/, '') === effect.name,
      );
      if (same.length !== 1) problems.push(`${effect.name}: ${same.length} record sets`);
    }
  }
  return {
    figures: { duplicatesDelivered: planned.length, handlerReruns, accountsDuplicated },
    problems,
  };
}
