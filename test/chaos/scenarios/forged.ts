import { randomUUID } from 'node:crypto';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { allPages, organizationsPort } from '../../../src/handlers/accounts/ports.js';
import { route53Port } from '../../../src/handlers/dns/ports.js';
import { MAX_DETAIL_BYTES } from '../../../src/protocol/catalog.js';
import { busArn, senderBusName } from '../../../src/protocol/topology.js';
import type { RecordOutcome } from '../../../src/runtime/handle.js';
import type { ChaosFigures } from '../../support/chaos-report.js';
import { waitFor } from '../../support/wait.js';
import { BUS, PARENT_DOMAIN, SOURCE, type World } from './world.js';

/**
 * Forged events that must never execute, each sent the way an attacker (or a bug) would get it
 * there, through the real buses and bus policies (the emulator enforces them like AWS,
 * src/aws/emulator.ts): on the sender's own bus, or straight onto another account's bus. Each is
 * stopped at one of three places, which the case states:
 *
 * - `bus-policy`: the target bus does not let the sender put (AccessDeniedException);
 * - `routing`: no rule delivers it (wrong source, detail-type or target): no handler ever sees it;
 * - `runtime`: it reaches a handler queue and the runtime or the handler refuses it, with a code,
 *   and logs the refusal.
 *
 * Whatever stopped it, the effect the event asks for must not exist afterwards. The runtime's own
 * checks against events that no bus would deliver (a forged sender, an unknown source) are
 * tested in test/unit/runtime/handle.test.ts, on records written by hand.
 */
export type ForgedStop = 'bus-policy' | 'routing' | 'runtime';

export interface ForgedCase {
  readonly name: string;
  readonly stop: ForgedStop;
  /** `runtime`: codes that count as the right refusal. */
  readonly codes: readonly string[];
  /** `runtime`: the account whose runtime sees it. */
  readonly at: (w: World) => string;
  /** Sends it; returns how to recognise a runtime outcome of it (none must exist unless `runtime`). */
  readonly send: (w: World, tag: string) => Promise<(o: RecordOutcome) => boolean>;
  /** True when the effect the forged event asked for happened anyway. */
  readonly executed: (w: World, tag: string) => Promise<boolean>;
  /**
   * Put straight onto another account's bus, it skips its sender's bus, where audit copies are
   * taken (src/protocol/topology.ts): the audit check leaves it out (docs/reliability.md).
   */
  readonly unaudited?: true;
}

/** Thrown by a send the bus refused: the stop of a `bus-policy` case. */
class RefusedByBus extends Error {}

const emailOf = (tag: string) => `aws+forged-${tag}@example.com`;

async function accountExists(w: World, email: string): Promise<boolean> {
  const port = organizationsPort(w.moto.management.organizations());
  return (await allPages((t) => port.listAccounts(t))).some((a) => a.email === email);
}

async function recordExists(w: World, zoneName: string, name: string): Promise<boolean> {
  const dns = w.clientsFor(w.ids.dns);
  const zone = await route53Port(dns.route53()).findPublicZone(zoneName);
  if (!zone) return false;
  const out = await dns.route53().send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id }));
  return (out.ResourceRecordSets ?? []).some((r) => r.Name?.replace(/\.$/, '') === name);
}

/**
 * Claims the REQUEST_FAILED answer the runtime sends back for a refused request with reply_to:
 * unclaimed answers would circulate in the cicd reply queue (each receive by a poller that does
 * not wait for them makes them visible again) and delay the answers someone does wait for.
 */
function claimAnswer(w: World, nonce: string, from: string): string {
  w.client.expectReplies(nonce, from, `answer to forged ${nonce}`, () => true, 20_000).catch(() => undefined);
  return nonce;
}

/** A valid CREATE_ACCOUNT detail for the management account; cases break one thing in it. */
function createAccountDetail(w: World, tag: string, overrides: Record<string, unknown> = {}) {
  return {
    nonce: claimAnswer(w, randomUUID(), w.ids.management),
    dryrun: false,
    target_account: w.ids.management,
    reply_to: w.ids.cicd,
    name: `forged-${tag}`,
    email: emailOf(tag),
    OU: 'Internal/Dev',
    ou_id: w.ous.dev,
    tags: {},
    ...overrides,
  };
}

/** Puts one event on `sender`'s bus (cicd: the forward shard of the target), as that account. */
async function put(
  w: World,
  sender: string,
  target: string,
  type: string,
  detail: Record<string, unknown>,
  source = SOURCE,
) {
  const busName = sender === w.ids.cicd ? senderBusName(w.topology, sender, target) : BUS;
  await w.senderIn(sender).send([{ busName, source, detailType: type, detail }]);
}

/**
 * Puts one event, as `sender`, straight onto `owner`'s bus (by ARN): what a compromised account
 * can try without any rule. Throws RefusedByBus when the bus policy refuses it.
 */
async function putOnto(
  w: World,
  sender: string,
  owner: string,
  type: string,
  detail: Record<string, unknown>,
  source = SOURCE,
) {
  const arn = busArn('aws', w.topology.region, owner, BUS);
  try {
    await w
      .clientsFor(sender)
      .eventBridge()
      .send(
        new PutEventsCommand({
          Entries: [{ EventBusName: arn, Source: source, DetailType: type, Detail: JSON.stringify(detail) }],
        }),
      );
  } catch (e) {
    if (e instanceof Error && e.name === 'AccessDeniedException') throw new RefusedByBus(e.message);
    throw e;
  }
}

const byNonce = (nonce: string) => (o: RecordOutcome) => o.nonce === nonce;

/**
 * A request from `sender` to `target` through the buses with a fresh, claimed nonce: `fields`
 * are what the request type carries besides the envelope (nonce, dryrun, target_account, reply_to).
 */
async function requestThroughBus(
  w: World,
  sender: string,
  target: string,
  type: string,
  fields: Record<string, unknown>,
): Promise<(o: RecordOutcome) => boolean> {
  const nonce = claimAnswer(w, randomUUID(), target);
  await put(w, sender, target, type, {
    nonce,
    dryrun: false,
    target_account: target,
    reply_to: w.ids.cicd,
    ...fields,
  });
  return byNonce(nonce);
}
const management = (w: World) => w.ids.management;

async function createThroughBus(w: World, tag: string, overrides: Record<string, unknown>, from?: string) {
  const detail = createAccountDetail(w, tag, overrides);
  await put(w, from ?? w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', detail);
  return byNonce(detail.nonce);
}

/** A CREATE_ACCOUNT to the management account put straight onto its bus by `sender`. */
async function createOnto(
  w: World,
  tag: string,
  sender: string,
  overrides: Record<string, unknown> = {},
  type = 'CREATE_ACCOUNT',
  source = SOURCE,
) {
  const detail = createAccountDetail(w, tag, overrides);
  await putOnto(w, sender, w.ids.management, type, detail, source);
  return byNonce(detail.nonce);
}

const noAccount = (w: World, tag: string) => accountExists(w, emailOf(tag));

export const FORGED_CASES: readonly ForgedCase[] = [
  {
    stop: 'runtime',
    name: 'wrong sender: the management account asks itself for an account',
    codes: ['SENDER_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, {}, w.ids.management),
    executed: noAccount,
  },
  {
    stop: 'bus-policy',
    name: "a member account puts CREATE_ACCOUNT straight onto the management account's bus",
    codes: ['AccessDeniedException'],
    at: management,
    send: (w, tag) => createOnto(w, tag, w.ids.memberA),
    executed: noAccount,
  },
  {
    stop: 'bus-policy',
    name: "an account outside the organization puts CREATE_ACCOUNT onto the management account's bus",
    codes: ['AccessDeniedException'],
    at: management,
    send: (w, tag) => createOnto(w, tag, '999999999999'),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: "another account's DNS name",
    codes: ['DNS_RECORD_NOT_ALLOWED'],
    at: (w) => w.ids.dns,
    send: (w, tag) =>
      requestThroughBus(w, w.ids.memberA, w.ids.dns, 'DNS_CREATE_ALIAS', {
        name: `${tag}.member-b.${PARENT_DOMAIN}`,
        alias_target: { dns_name: 'evil.example.net', hosted_zone_id: 'Z2FDTNDATAQYW2' },
      }),
    executed: (w, tag) => recordExists(w, `member-b.${PARENT_DOMAIN}`, `${tag}.member-b.${PARENT_DOMAIN}`),
  },
  {
    stop: 'runtime',
    name: 'a name in the parent domain, above every account zone',
    codes: ['DNS_RECORD_NOT_ALLOWED'],
    at: (w) => w.ids.dns,
    send: (w, tag) =>
      requestThroughBus(w, w.ids.memberA, w.ids.dns, 'DNS_CREATE_VALIDATION_RECORD', {
        name: `_${tag}.${PARENT_DOMAIN}`,
        value: 'evil.acm-validations.aws',
      }),
    executed: (w, tag) => recordExists(w, PARENT_DOMAIN, `_${tag}.${PARENT_DOMAIN}`),
  },
  {
    stop: 'runtime',
    name: 'CREATE_ACCOUNT into the organization root',
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.root, OU: '' }),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: "CREATE_ACCOUNT into the management account's OU outside root_ou",
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.security, OU: 'Security' }),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'CREATE_ACCOUNT into the morgue',
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.morgue, OU: 'Morgue' }),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'oversized detail (over the 252 KB detail limit, under the 256 KB entry limit)',
    codes: ['DETAIL_INVALID'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { OU: 'x'.repeat(MAX_DETAIL_BYTES + 512) }),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'schema-breaking detail (an extra field and a non-string tag)',
    codes: ['DETAIL_INVALID'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { admin: true, tags: { owner: 5 } }),
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'missing nonce',
    codes: ['DETAIL_INVALID'],
    at: management,
    async send(w, tag) {
      const { nonce: _dropped, ...detail } = createAccountDetail(w, tag);
      await put(w, w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', detail);
      return (o) => o.status === 'rejected' && o.type === 'CREATE_ACCOUNT' && o.nonce === undefined;
    },
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'replayed nonce with different content',
    codes: ['NONCE_REUSED'],
    at: management,
    async send(w, tag) {
      // The original is legitimate and runs; the replay reuses its nonce for another account.
      const original = createAccountDetail(w, `${tag}-original`);
      const waiting = w.client.expectReplies(
        original.nonce,
        w.ids.management,
        'original',
        () => true,
        30_000,
      );
      await put(w, w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', original);
      await waiting;
      const replay = { ...createAccountDetail(w, tag), nonce: original.nonce };
      await put(w, w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', replay);
      return (o) => o.nonce === original.nonce && o.status === 'rejected';
    },
    executed: noAccount,
  },
  {
    stop: 'routing',
    name: "an unknown detail-type, put by cicd straight onto the management account's bus",
    codes: ['NOT_ROUTED'],
    at: management,
    send: (w, tag) => createOnto(w, tag, w.ids.cicd, {}, 'DELETE_ORGANIZATION'),
    executed: noAccount,
  },
  {
    stop: 'routing',
    name: "addressed to a member, put straight onto the management account's bus",
    codes: ['NOT_ROUTED'],
    at: management,
    send: (w, tag) => createOnto(w, tag, w.ids.cicd, { target_account: w.ids.memberA }),
    executed: noAccount,
  },
  {
    stop: 'routing',
    name: 'an unknown event source, through the cicd bus',
    codes: ['NOT_ROUTED'],
    at: management,
    async send(w, tag) {
      const detail = createAccountDetail(w, tag);
      await put(w, w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', detail, 'evil.source');
      return byNonce(detail.nonce);
    },
    executed: noAccount,
  },
  {
    stop: 'routing',
    name: 'a member account is asked to create an account, through the cicd bus and straight onto its own',
    codes: ['NOT_ROUTED'],
    at: (w) => w.ids.memberB,
    async send(w, tag) {
      const detail = createAccountDetail(w, tag, { target_account: w.ids.memberB });
      await put(w, w.ids.cicd, w.ids.memberB, 'CREATE_ACCOUNT', detail);
      await putOnto(w, w.ids.cicd, w.ids.memberB, 'CREATE_ACCOUNT', detail);
      return byNonce(detail.nonce);
    },
    executed: noAccount,
  },
  {
    stop: 'runtime',
    name: 'tagging the management account',
    codes: ['MANAGEMENT_ACCOUNT_NOT_ALLOWED'],
    at: management,
    send: (w, tag) =>
      requestThroughBus(w, w.ids.cicd, w.ids.management, 'TAG_ACCOUNT', {
        account_id: w.ids.management,
        set: { [`forged-${tag}`]: 'x' },
        remove: [],
      }),
    async executed(w, tag) {
      const port = organizationsPort(w.moto.management.organizations());
      return (await allPages((t) => port.listTags(w.ids.management, t))).some(
        (t) => t.key === `forged-${tag}`,
      );
    },
  },
  {
    stop: 'runtime',
    name: 'retiring the management account',
    codes: ['MANAGEMENT_ACCOUNT_NOT_ALLOWED', 'RETIRE_MANAGEMENT_ACCOUNT'],
    at: management,
    send: (w) =>
      requestThroughBus(w, w.ids.cicd, w.ids.management, 'RETIRE_ACCOUNT', {
        account_id: w.ids.management,
        morgue_ou_id: w.ous.morgue,
        close: false,
      }),
    async executed(w) {
      const port = organizationsPort(w.moto.management.organizations());
      return (await port.parentOf(w.ids.management)) !== w.ous.root;
    },
  },
  {
    stop: 'runtime',
    name: "another account's DNS name, put by a member straight onto the DNS account's bus",
    codes: ['DNS_RECORD_NOT_ALLOWED'],
    at: (w) => w.ids.dns,
    // The DNS bus accepts the organization, so the bus lets it in; it skipped the member's bus.
    unaudited: true,
    async send(w, tag) {
      const nonce = claimAnswer(w, randomUUID(), w.ids.dns);
      await putOnto(w, w.ids.memberA, w.ids.dns, 'DNS_CREATE_ALIAS', {
        nonce,
        dryrun: false,
        target_account: w.ids.dns,
        reply_to: w.ids.cicd,
        name: `${tag}.member-b.${PARENT_DOMAIN}`,
        alias_target: { dns_name: 'evil.example.net', hosted_zone_id: 'Z2FDTNDATAQYW2' },
      });
      return byNonce(nonce);
    },
    executed: (w, tag) => recordExists(w, `member-b.${PARENT_DOMAIN}`, `${tag}.member-b.${PARENT_DOMAIN}`),
  },
];

export interface ForgedResult {
  readonly figures: Partial<ChaosFigures>;
  readonly problems: string[];
  /** Case name -> where it was stopped: the runtime's code, AccessDeniedException or NOT_ROUTED. */
  readonly codes: Record<string, string>;
}

/** Time for a delivery nobody should make to show up: pollers wait 1 s per receive. */
const SETTLE_MS = 3_000;

/**
 * Sends every case (`rounds` times, each round with fresh names), all at once per round, then
 * checks where each was stopped, the runtime's log line for runtime refusals, and its effect.
 */
export async function runForgedEvents(
  world: World,
  options: { rounds?: number; run: string },
): Promise<ForgedResult> {
  const problems: string[] = [];
  const codes: Record<string, string> = {};
  const stopped: Record<ForgedStop, number> = { 'bus-policy': 0, routing: 0, runtime: 0 };
  let sent = 0;
  let executed = 0;
  for (let round = 0; round < (options.rounds ?? 1); round++) {
    const tags = FORGED_CASES.map((_, i) => `${options.run}r${round}c${i}`);
    const sends = await Promise.all(
      FORGED_CASES.map((c, i) =>
        c.send(world, tags[i] as string).then(
          (match) => ({ match, refused: undefined }),
          (e: unknown) => {
            if (e instanceof RefusedByBus) return { match: undefined, refused: e.message };
            throw e;
          },
        ),
      ),
    );
    sent += FORGED_CASES.length;
    const checkOne = async (c: ForgedCase, i: number) => {
      const { match, refused } = sends[i] as (typeof sends)[number];
      const outcomeOf = () => (match ? world.outcomes.find((o) => match(o.outcome))?.outcome : undefined);
      if (c.stop === 'bus-policy') {
        codes[c.name] = refused ? 'AccessDeniedException' : 'accepted';
        if (refused) stopped['bus-policy']++;
        else problems.push(`${c.name}: the bus accepted it`);
      } else if (c.stop === 'routing') {
        if (refused) problems.push(`${c.name}: refused by the bus, expected to be let in and not routed`);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        const reached = outcomeOf();
        codes[c.name] = reached ? `delivered to a handler (${reached.status})` : 'NOT_ROUTED';
        if (reached) problems.push(`${c.name}: a rule delivered it (${reached.status})`);
        else stopped.routing++;
      } else {
        await checkRuntimeStop(world, c, match, refused, codes, problems).then((ok) => {
          if (ok) stopped.runtime++;
        });
      }
      if (await c.executed(world, tags[i] as string)) {
        executed++;
        problems.push(`${c.name}: EXECUTED`);
      }
    };
    await Promise.all(FORGED_CASES.map(checkOne));
  }
  return {
    figures: {
      forgedSent: sent,
      forgedRejected: stopped['bus-policy'] + stopped.routing + stopped.runtime,
      forgedByBusPolicy: stopped['bus-policy'],
      forgedNotRouted: stopped.routing,
      forgedByRuntime: stopped.runtime,
      forgedExecuted: executed,
    },
    problems,
    codes,
  };
}

/** A `runtime` case: refused with one of its codes, the refusal logged; true when it was. */
async function checkRuntimeStop(
  world: World,
  c: ForgedCase,
  match: ((o: RecordOutcome) => boolean) | undefined,
  refused: string | undefined,
  codes: Record<string, string>,
  problems: string[],
): Promise<boolean> {
  if (refused || !match) {
    problems.push(`${c.name}: refused by the bus (${refused}), expected to reach the runtime`);
    return false;
  }
  let outcome: RecordOutcome;
  try {
    outcome = await world.outcome(c.at(world), match, 30_000);
  } catch {
    problems.push(`${c.name}: no outcome at ${c.at(world)}`);
    return false;
  }
  // Reached a queue without entering through its sender's bus: no audit copy, by design.
  if (c.unaudited) world.injected.add(outcome.messageId);
  const code = outcome.status === 'rejected' ? String(outcome.code) : outcome.status;
  codes[c.name] = code;
  const ok = outcome.status === 'rejected' && c.codes.includes(code);
  if (!ok) problems.push(`${c.name}: ${outcome.status} ${code}, expected rejection ${c.codes.join('|')}`);
  const logged = await waitFor(
    () =>
      world.logs.find(
        (l) =>
          l.level === 'warn' &&
          l.message === 'event rejected' &&
          l.extra.code === code &&
          l.extra.nonce === outcome.nonce &&
          (outcome.status !== 'rejected' || l.extra.sender === outcome.sender),
      ),
    5_000,
  ).catch(() => undefined);
  if (!logged) problems.push(`${c.name}: the rejection ${code} was not logged`);
  return ok;
}
