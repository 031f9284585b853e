import { randomUUID } from 'node:crypto';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { allPages, organizationsPort } from '../../../src/handlers/accounts/ports.js';
import { route53Port } from '../../../src/handlers/dns/ports.js';
import { MAX_DETAIL_BYTES } from '../../../src/protocol/catalog.js';
import { senderBusName } from '../../../src/protocol/topology.js';
import type { RecordOutcome } from '../../../src/runtime/handle.js';
import type { ChaosFigures } from '../../support/chaos-report.js';
import { waitFor } from '../../support/wait.js';
import { BUS, envelope, PARENT_DOMAIN, SOURCE, type World } from './world.js';

/**
 * Forged events that must never execute. Each is sent the way an attacker (or a bug) would get
 * it there: through the buses when the routing lets it through (the runtime or the handler is
 * then the only defence), or written straight into the handler queue when AWS would stop it
 * earlier (bus policies, which moto does not enforce) so that the runtime's own check is what is
 * tested. For each: the runtime's outcome must be a rejection with the expected code, the
 * rejection must be logged, and the effect the event asks for must not exist afterwards.
 */

export interface ForgedCase {
  readonly name: string;
  /** Codes that count as the right refusal. */
  readonly codes: readonly string[];
  /** The account whose runtime sees it. */
  readonly at: (w: World) => string;
  /** Sends it; returns how to recognise its outcome. */
  readonly send: (w: World, tag: string) => Promise<(o: RecordOutcome) => boolean>;
  /** True when the effect the forged event asked for happened anyway. */
  readonly executed: (w: World, tag: string) => Promise<boolean>;
}

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
async function put(w: World, sender: string, target: string, type: string, detail: Record<string, unknown>) {
  const busName = sender === w.ids.cicd ? senderBusName(w.topology, sender, target) : BUS;
  await w.senderIn(sender).send([{ busName, source: SOURCE, detailType: type, detail }]);
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
const byMessage = (id: string) => (o: RecordOutcome) => o.messageId === id;
const management = (w: World) => w.ids.management;

async function createThroughBus(w: World, tag: string, overrides: Record<string, unknown>, from?: string) {
  const detail = createAccountDetail(w, tag, overrides);
  await put(w, from ?? w.ids.cicd, w.ids.management, 'CREATE_ACCOUNT', detail);
  return byNonce(detail.nonce);
}

async function createInjected(
  w: World,
  tag: string,
  sender: string,
  overrides: Record<string, unknown> = {},
  type = 'CREATE_ACCOUNT',
  source = SOURCE,
) {
  const id = await w.inject(
    w.ids.management,
    envelope(sender, type, createAccountDetail(w, tag, overrides), source),
  );
  return byMessage(id);
}

const noAccount = (w: World, tag: string) => accountExists(w, emailOf(tag));

export const FORGED_CASES: readonly ForgedCase[] = [
  {
    name: 'wrong sender: the management account asks itself for an account',
    codes: ['SENDER_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, {}, w.ids.management),
    executed: noAccount,
  },
  {
    name: 'wrong sender: a member account asks the management account for an account',
    codes: ['SENDER_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createInjected(w, tag, w.ids.memberA),
    executed: noAccount,
  },
  {
    name: 'event from outside the organization',
    codes: ['SENDER_UNKNOWN'],
    at: management,
    send: (w, tag) => createInjected(w, tag, '999999999999'),
    executed: noAccount,
  },
  {
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
    name: 'CREATE_ACCOUNT into the organization root',
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.root, OU: '' }),
    executed: noAccount,
  },
  {
    name: "CREATE_ACCOUNT into the management account's OU outside root_ou",
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.security, OU: 'Security' }),
    executed: noAccount,
  },
  {
    name: 'CREATE_ACCOUNT into the morgue',
    codes: ['ACCOUNT_OU_NOT_ALLOWED'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { ou_id: w.ous.morgue, OU: 'Morgue' }),
    executed: noAccount,
  },
  {
    name: 'oversized detail (over the 252 KB detail limit, under the 256 KB entry limit)',
    codes: ['DETAIL_INVALID'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { OU: 'x'.repeat(MAX_DETAIL_BYTES + 512) }),
    executed: noAccount,
  },
  {
    name: 'schema-breaking detail (an extra field and a non-string tag)',
    codes: ['DETAIL_INVALID'],
    at: management,
    send: (w, tag) => createThroughBus(w, tag, { admin: true, tags: { owner: 5 } }),
    executed: noAccount,
  },
  {
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
    name: 'unknown detail-type',
    codes: ['TYPE_UNKNOWN'],
    at: management,
    send: (w, tag) => createInjected(w, tag, w.ids.cicd, {}, 'DELETE_ORGANIZATION'),
    executed: noAccount,
  },
  {
    name: 'wrong target_account (addressed to a member, delivered to management)',
    codes: ['WRONG_TARGET'],
    at: management,
    send: (w, tag) => createInjected(w, tag, w.ids.cicd, { target_account: w.ids.memberA }),
    executed: noAccount,
  },
  {
    name: 'unknown event source',
    codes: ['SOURCE_UNKNOWN'],
    at: management,
    send: (w, tag) => createInjected(w, tag, w.ids.cicd, {}, 'CREATE_ACCOUNT', 'evil.source'),
    executed: noAccount,
  },
  {
    name: 'a member account is asked to create an account',
    codes: ['TYPE_NOT_HANDLED'],
    at: (w) => w.ids.memberB,
    async send(w, tag) {
      const detail = createAccountDetail(w, tag, { target_account: w.ids.memberB });
      const id = await w.inject(w.ids.memberB, envelope(w.ids.cicd, 'CREATE_ACCOUNT', detail));
      return byMessage(id);
    },
    executed: noAccount,
  },
  {
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
];

export interface ForgedResult {
  readonly figures: Partial<ChaosFigures>;
  readonly problems: string[];
  /** Case name -> the code the runtime answered. */
  readonly codes: Record<string, string>;
}

/**
 * Sends every case (`rounds` times, each round with fresh names), all at once per round, then
 * checks each outcome, its log line and its effect.
 */
export async function runForgedEvents(
  world: World,
  options: { rounds?: number; run: string },
): Promise<ForgedResult> {
  const problems: string[] = [];
  const codes: Record<string, string> = {};
  let sent = 0;
  let rejected = 0;
  let executed = 0;
  for (let round = 0; round < (options.rounds ?? 1); round++) {
    const tags = FORGED_CASES.map((_, i) => `${options.run}r${round}c${i}`);
    const matchers = await Promise.all(FORGED_CASES.map((c, i) => c.send(world, tags[i] as string)));
    sent += FORGED_CASES.length;
    await Promise.all(
      FORGED_CASES.map(async (c, i) => {
        const tag = tags[i] as string;
        const match = matchers[i] as (o: RecordOutcome) => boolean;
        let outcome: RecordOutcome;
        try {
          outcome = await world.outcome(c.at(world), match, 30_000);
        } catch {
          problems.push(`${c.name}: no outcome at ${c.at(world)}`);
          return;
        }
        const code = outcome.status === 'rejected' ? String(outcome.code) : outcome.status;
        codes[c.name] = code;
        if (outcome.status !== 'rejected' || !c.codes.includes(code)) {
          problems.push(`${c.name}: ${outcome.status} ${code}, expected rejection ${c.codes.join('|')}`);
        } else {
          rejected++;
        }
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
        if (await c.executed(world, tag)) {
          executed++;
          problems.push(`${c.name}: EXECUTED`);
        }
      }),
    );
  }
  return {
    figures: { forgedSent: sent, forgedRejected: rejected, forgedExecuted: executed },
    problems,
    codes,
  };
}
