import { describe, expect, it } from 'vitest';
import { AUDITED_TYPES, DETAIL_TYPES, RESPONSE_TYPES } from '../../../src/protocol/catalog.js';
import { ACCOUNT_KINDS, DNS_REQUEST_TYPES, handledRequestTypes } from '../../../src/protocol/routing.js';
import {
  computeTopology,
  ENVELOPE_INPUT_TRANSFORMER,
  MAX_EVENT_PATTERN_CHARS,
  MAX_RULES_PER_BUS,
  senderBusName,
  shardOf,
  simulateDelivery,
  type Topology,
  type TopologyAccount,
} from '../../../src/protocol/topology.js';

const id = (n: number) => String(100000000000 + n);
const SPECIAL: TopologyAccount[] = [
  { id: id(1), kind: 'management' },
  { id: id(2), kind: 'cicd' },
  { id: id(3), kind: 'identity' },
  { id: id(4), kind: 'dns' },
  { id: id(5), kind: 'logs' },
  { id: id(6), kind: 'audit' },
];
function org(members: number): TopologyAccount[] {
  return [
    ...SPECIAL,
    ...Array.from({ length: members }, (_, i) => ({ id: id(1000 + i * 7919), kind: 'member' as const })),
  ];
}
const topo = (members = 3): Topology =>
  computeTopology({
    accounts: org(members),
    busName: 'our-infra-bus',
    source: 'app.infra',
    region: 'us-east-1',
  });

const cicd = id(2);
const audit = id(6);
const dns = id(4);

describe('topology', () => {
  it('routes a PING from cicd to a member handler queue, and its PONG to the cicd reply queue', () => {
    const t = topo();
    const member = t.accounts.find((a) => a.kind === 'member')!.accountId;
    const ping = simulateDelivery(t, cicd, senderBusName(t, cicd, member), {
      source: 'app.infra',
      detailType: 'PING',
      account: cicd,
      detail: { target_account: member },
    });
    expect(ping.map((d) => `${d.accountId}:${d.queueName}`).sort()).toEqual(
      [`${member}:orgbridge-handler`, `${audit}:orgbridge-audit`].sort(),
    );
    const pong = simulateDelivery(t, member, 'our-infra-bus', {
      source: 'app.infra',
      detailType: 'PONG',
      account: member,
      detail: { target_account: cicd },
    });
    expect(pong.map((d) => `${d.accountId}:${d.queueName}`).sort()).toEqual(
      [`${cicd}:orgbridge-replies`, `${audit}:orgbridge-audit`].sort(),
    );
  });

  it("stores each account's REQUEST_OUTCOME, put on its main bus, once in the audit store and nowhere else", () => {
    const t = topo(2);
    for (const a of t.accounts) {
      const out = simulateDelivery(t, a.accountId, t.busName, {
        source: 'app.infra',
        detailType: 'REQUEST_OUTCOME',
        account: a.accountId,
        detail: { target_account: a.accountId },
      });
      expect(
        out.map((d) => `${d.accountId}/${d.queueName}`),
        a.kind,
      ).toEqual([`${audit}/orgbridge-audit`]);
    }
  });

  it('crosses one bus-to-bus hop at most (the hop rule), and stores every delivered event in the audit exactly once', () => {
    // EventBridge does not send an event received from another bus on to a third bus
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html): a copy
    // taken after a forward (origin -> target -> audit) is never delivered.
    const t = topo(5);
    let delivered = 0;
    for (const from of t.accounts) {
      for (const to of t.accounts) {
        for (const type of DETAIL_TYPES) {
          const bus = from.accountId === cicd ? senderBusName(t, cicd, to.accountId) : from.publishBus;
          const out = simulateDelivery(t, from.accountId, bus, {
            source: 'app.infra',
            detailType: type,
            account: from.accountId,
            detail: { target_account: to.accountId },
          });
          for (const d of out) expect(d.path.length, d.path.join(' -> ')).toBeLessThanOrEqual(2);
          const copies = out.filter((d) => d.queueName === 'orgbridge-audit').length;
          const handled = out.filter((d) => d.queueName !== 'orgbridge-audit').length;
          delivered += handled;
          // Every event that reaches a handler or the reply queue is in the audit store, once.
          if (handled > 0) expect(copies, `${type} ${from.kind} -> ${to.kind}`).toBe(1);
          else expect(copies).toBeLessThanOrEqual(1);
        }
      }
    }
    expect(delivered).toBeGreaterThan(100);
  });

  it('every bus-to-bus rule forwards only what its own account published, and pins the destination, except the audit copies', () => {
    const t = topo(5);
    for (const a of t.accounts) {
      for (const r of a.rules) {
        for (const target of r.targets) {
          if (target.type !== 'bus') continue;
          expect(r.eventPattern.account, `${a.kind} ${r.name}`).toEqual([a.accountId]);
          const pinned = (r.eventPattern.detail as { target_account: unknown[] }).target_account;
          if (r.purpose === 'to-audit') {
            expect(target.accountId).toBe(audit);
            expect(pinned).toEqual([{ 'anything-but': [audit] }]);
          } else expect(pinned).toEqual([target.accountId]);
        }
      }
    }
    const auditAccount = t.accounts.find((a) => a.accountId === audit)!;
    expect(
      auditAccount.rules.filter(
        (r) => r.busName === 'our-infra-bus' && r.targets.some((x) => x.type === 'bus'),
      ),
    ).toEqual([]);
  });

  it('gives every rule target the dead-letter queue of its account and a retry policy, and lists every DLQ', () => {
    const t = topo(3);
    for (const a of t.accounts) {
      for (const r of a.rules) {
        for (const target of r.targets) {
          expect(target.deadLetterArn).toBe(`arn:aws:sqs:us-east-1:${a.accountId}:orgbridge-events-dlq`);
          expect(target.retry.maximumEventAgeSeconds).toBeGreaterThanOrEqual(60);
        }
      }
      expect(a.deadLetterQueues.map((d) => d.name).sort()).toEqual(
        [...a.queues.map((q) => q.deadLetter.name), 'orgbridge-events-dlq'].sort(),
      );
    }
  });

  it('uses a forwarder role only where the receiving bus does not name the sending account', () => {
    const t = topo(3);
    const member = t.accounts.find((a) => a.kind === 'member')!;
    const c = t.accounts.find((a) => a.accountId === cicd)!;
    const forwardTo = (id: string) =>
      c.rules.find((r) => r.name === `orgbridge-fwd-${id}`)!.targets[0] as { role: boolean };
    // Member buses grant the cicd account: no role. DNS and audit grant the organization: a role.
    expect(forwardTo(member.accountId).role).toBe(false);
    expect(forwardTo(dns).role).toBe(true);
    expect(forwardTo(audit).role).toBe(true);
    for (const r of member.rules)
      for (const x of r.targets) if (x.type === 'bus') expect(x.role, r.name).toBe(true);
  });

  it('delivers each request type only to the kinds that handle it, and DNS requests from any account', () => {
    const t = topo(2);
    for (const target of t.accounts) {
      for (const type of DETAIL_TYPES) {
        const out = simulateDelivery(t, cicd, senderBusName(t, cicd, target.accountId), {
          source: 'app.infra',
          detailType: type,
          account: cicd,
          detail: { target_account: target.accountId },
        });
        const handled = out.some(
          (d) => d.queueName === 'orgbridge-handler' && d.accountId === target.accountId,
        );
        expect(handled, `${type} -> ${target.kind}`).toBe(
          handledRequestTypes(target.kind).includes(type as never),
        );
      }
    }
    const member = t.accounts.find((a) => a.kind === 'member')!;
    for (const type of DNS_REQUEST_TYPES) {
      const out = simulateDelivery(t, member.accountId, member.publishBus, {
        source: 'app.infra',
        detailType: type,
        account: member.accountId,
        detail: { target_account: dns },
      });
      expect(out.some((d) => d.accountId === dns && d.queueName === 'orgbridge-handler')).toBe(true);
    }
    // Wrong source goes nowhere.
    expect(
      simulateDelivery(t, cicd, 'our-infra-bus', {
        source: 'x',
        detailType: 'PING',
        account: cicd,
        detail: { target_account: cicd },
      }),
    ).toEqual([]);
  });

  it('uses one InputTransformer on every handler and reply queue; the audit store takes the untouched event of catalog types', () => {
    const t = topo();
    for (const a of t.accounts)
      for (const r of a.rules)
        for (const x of r.targets) {
          if (x.type !== 'queue') continue;
          if (r.purpose === 'audit-store') {
            expect(x.inputTransformer).toBeUndefined();
            expect(r.eventPattern['detail-type']).toEqual(AUDITED_TYPES);
          } else expect(x.inputTransformer).toBe(ENVELOPE_INPUT_TRANSFORMER);
        }
    const filled = ENVELOPE_INPUT_TRANSFORMER.inputTemplate
      .replace('<detail>', '{"a":1}')
      .replace(/<[\w-]+>/g, 'x');
    expect(JSON.parse(filled)).toMatchObject({ account: 'x', 'detail-type': 'x', detail: { a: 1 } });
    // Only catalog detail-types are copied: a made-up one (that a quoting template could turn
    // into a forged field) is not stored, and goes nowhere.
    const member = t.accounts.find((a) => a.kind === 'member')!;
    expect(
      simulateDelivery(t, member.accountId, member.publishBus, {
        source: 'app.infra',
        detailType: 'X","account":"000000000000',
        account: member.accountId,
        detail: { target_account: cicd },
      }),
    ).toEqual([]);
  });

  it('shards forward rules so no bus exceeds the rule quota at 5,000 accounts, deterministically', () => {
    const t = topo(5_000);
    expect(t.shardCount).toBe(Math.ceil((5_000 + 5) / 200));
    const c = t.accounts.find((a) => a.accountId === cicd)!;
    const perBus = new Map<string, number>();
    for (const r of c.rules) perBus.set(r.busName, (perBus.get(r.busName) ?? 0) + 1);
    // One audit copy rule per bus cicd publishes on.
    expect(c.rules.filter((r) => r.purpose === 'to-audit').length).toBe(t.shardCount);
    expect(perBus.size).toBe(t.shardCount);
    expect(Math.max(...perBus.values())).toBeLessThanOrEqual(MAX_RULES_PER_BUS);
    for (const a of t.accounts.slice(0, 50))
      for (const r of a.rules)
        expect(JSON.stringify(r.eventPattern).length).toBeLessThan(MAX_EVENT_PATTERN_CHARS);
    expect(shardOf('123456789012', 7)).toBe(shardOf('123456789012', 7));
    // The sender's bus holds the target's forward rule.
    const target = t.accounts[100]!.accountId;
    const rule = c.rules.find((r) => r.name === `orgbridge-fwd-${target}`)!;
    expect(rule.busName).toBe(senderBusName(t, cicd, target));
  });

  it('grants PutEvents to cicd only, except the buses other accounts forward to', () => {
    const t = topo();
    for (const a of t.accounts) {
      const main = a.buses.find((b) => b.purpose === 'main')!;
      if (['cicd', 'dns', 'audit'].includes(a.kind))
        expect(main.policy[0]?.principal).toEqual({ organization: true });
      else expect(main.policy[0]?.principal).toEqual({ account: cicd });
    }
  });

  it('rejects an account list without exactly one of each special kind', () => {
    expect(() =>
      computeTopology({
        accounts: SPECIAL.filter((a) => a.kind !== 'dns'),
        busName: 'b',
        source: 's',
        region: 'us-east-1',
      }),
    ).toThrow(/exactly one dns account/);
    expect(() =>
      computeTopology({
        accounts: [...SPECIAL, SPECIAL[0]!],
        busName: 'b',
        source: 's',
        region: 'us-east-1',
      }),
    ).toThrow(/listed twice/);
  });

  it('covers every kind and response type', () => {
    expect(ACCOUNT_KINDS).toHaveLength(7);
    const c = topo().accounts.find((a) => a.accountId === cicd)!;
    expect(c.rules.find((r) => r.purpose === 'replies')!.eventPattern['detail-type']).toEqual(RESPONSE_TYPES);
  });
});
