import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, RESPONSE_TYPES } from '../../../src/protocol/catalog.js';
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

  it('has no forwarding loop: every type, from every account, to every account, ends (audited at most once)', () => {
    const t = topo(5);
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
          for (const d of out) expect(d.path.length).toBeLessThanOrEqual(3);
          expect(out.filter((d) => d.queueName === 'orgbridge-audit').length).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it('every bus-to-bus rule pins target_account to the destination, or goes to the audit bus, which forwards nothing', () => {
    const t = topo(5);
    for (const a of t.accounts) {
      for (const r of a.rules) {
        for (const target of r.targets) {
          if (target.type !== 'bus') continue;
          const pinned = (r.eventPattern.detail as { target_account: string[] }).target_account;
          if (pinned[0] !== target.accountId)
            expect([r.purpose, target.accountId]).toEqual(['to-audit', audit]);
          else expect(pinned).toEqual([target.accountId]);
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

  it('uses one InputTransformer on every queue target', () => {
    const t = topo();
    for (const a of t.accounts)
      for (const r of a.rules)
        for (const x of r.targets)
          if (x.type === 'queue') expect(x.inputTransformer).toBe(ENVELOPE_INPUT_TRANSFORMER);
    const filled = ENVELOPE_INPUT_TRANSFORMER.inputTemplate
      .replace('<detail>', '{"a":1}')
      .replace(/<[\w-]+>/g, 'x');
    expect(JSON.parse(filled)).toMatchObject({ account: 'x', 'detail-type': 'x', detail: { a: 1 } });
  });

  it('shards forward rules so no bus exceeds the rule quota at 5,000 accounts, deterministically', () => {
    const t = topo(5_000);
    expect(t.shardCount).toBe(Math.ceil((5_000 + 5) / 200));
    const c = t.accounts.find((a) => a.accountId === cicd)!;
    const perBus = new Map<string, number>();
    for (const r of c.rules) perBus.set(r.busName, (perBus.get(r.busName) ?? 0) + 1);
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
