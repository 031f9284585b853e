import type { AccountKind } from '../config/model.js';
import { OrgbridgeError } from '../errors.js';
import { type DetailType, RESPONSE_TYPES } from './catalog.js';
import { DNS_REQUEST_TYPES, handledRequestTypes } from './routing.js';

/**
 * The messaging topology as plain data: every bus, bus policy, rule (pattern + targets), queue
 * (+ DLQ) and idempotency table of every account, computed from the routing table. It is the one
 * source both the CloudFormation templates (src/templates) and the SDK provisioner of local mode
 * and tests (src/runtime/provision.ts) render, so the two cannot disagree.
 *
 * Loop freedom (moto delivers synchronously, so a loop hangs it; AWS would bill it): every rule
 * whose target is another bus pins `detail.target_account` to the account that owns that bus,
 * except the `to-audit` rules, which target the audit bus, and the audit bus forwards nothing
 * (the audit account publishes its own events on a separate outbox bus). So an event travels at
 * most origin bus -> target account's bus -> audit bus. `simulateDelivery` walks any event
 * through the rules and the unit tests run it for every type, origin and target.
 *
 * Auditing happens at the destination: each bus copies to the audit bus the events addressed to
 * its own account, so every delivered event is stored once (moto rewrites `account` on forwarded
 * events, so "events this account published" cannot be told apart there).
 */

export interface TopologyAccount {
  readonly id: string;
  readonly kind: AccountKind;
}

export interface TopologyInput {
  /** Every account of the organization with its kind; exactly one of each special kind. */
  readonly accounts: readonly TopologyAccount[];
  /** The configured bus name (`organization.event_bus`). */
  readonly busName: string;
  /** The configured event source (`organization.event_source`, default `app.infra`). */
  readonly source: string;
  /** The home region where the buses and queues live. */
  readonly region: string;
  readonly partition?: string;
  /** Receives before a handler message goes to the DLQ (default 3). */
  readonly maxReceiveCount?: number;
  /** Overrides every queue's visibility timeout (local mode uses a few seconds). */
  readonly visibilityTimeoutSeconds?: number;
  /** Forward rules per cicd bus before another shard bus is added (default 200, AWS max 300 rules). */
  readonly forwardRulesPerShard?: number;
}

export type EventPattern = Readonly<Record<string, unknown>>;

export interface InputTransformer {
  readonly inputPathsMap: Readonly<Record<string, string>>;
  readonly inputTemplate: string;
}

export type RuleTarget =
  | {
      readonly type: 'queue';
      readonly id: string;
      readonly queueName: string;
      readonly arn: string;
      readonly inputTransformer: InputTransformer;
    }
  | {
      readonly type: 'bus';
      readonly id: string;
      readonly accountId: string;
      readonly busName: string;
      readonly arn: string;
    };

export type RulePurpose =
  | 'handler'
  | 'replies'
  | 'audit-store'
  | 'forward'
  | 'to-cicd'
  | 'to-dns'
  | 'to-audit';

export interface RuleSpec {
  readonly name: string;
  readonly busName: string;
  readonly purpose: RulePurpose;
  readonly description: string;
  readonly eventPattern: EventPattern;
  readonly targets: readonly RuleTarget[];
}

export type QueuePurpose = 'handler' | 'replies' | 'audit';

export interface QueueSpec {
  readonly name: string;
  readonly arn: string;
  readonly purpose: QueuePurpose;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly deadLetter: {
    readonly name: string;
    readonly arn: string;
    readonly maxReceiveCount: number;
    readonly messageRetentionSeconds: number;
  };
}

/** Who may PutEvents on a bus: one account, or every account of the organization (aws:PrincipalOrgID). */
export type BusPrincipal = { readonly account: string } | { readonly organization: true };

export interface BusSpec {
  readonly name: string;
  readonly arn: string;
  readonly purpose: 'main' | 'forward-shard' | 'outbox';
  /** Statement id -> principal allowed events:PutEvents; empty: only the owner account. */
  readonly policy: readonly { readonly sid: string; readonly principal: BusPrincipal }[];
}

export interface AccountTopology {
  readonly accountId: string;
  readonly kind: AccountKind;
  /** The bus this account's handlers and senders put events on. */
  readonly publishBus: string;
  readonly buses: readonly BusSpec[];
  readonly queues: readonly QueueSpec[];
  readonly rules: readonly RuleSpec[];
  /** DynamoDB table of the idempotency records (partition key `id`, TTL attribute `expiration`). */
  readonly idempotencyTable: string;
}

export interface Topology {
  readonly busName: string;
  readonly source: string;
  readonly region: string;
  readonly partition: string;
  readonly cicdAccountId: string;
  readonly dnsAccountId: string;
  readonly auditAccountId: string;
  /** Number of cicd buses carrying forward rules (`busName`, `busName-fwd-1`, ...). */
  readonly shardCount: number;
  /** Sorted by account id. */
  readonly accounts: readonly AccountTopology[];
}

export const HANDLER_QUEUE = 'orgbridge-handler';
export const REPLY_QUEUE = 'orgbridge-replies';
export const AUDIT_QUEUE = 'orgbridge-audit';
export const IDEMPOTENCY_TABLE = 'orgbridge-idempotency';
export const DEFAULT_MAX_RECEIVE_COUNT = 3;
/**
 * Each receive of a reply meant for another waiting process counts towards the redrive limit
 * (that process's poller makes it visible again at once), so the reply queue tolerates many;
 * replies nobody claims end in its DLQ instead of circulating for the retention period.
 */
export const REPLY_QUEUE_MAX_RECEIVE_COUNT = 50;
export const DEFAULT_FORWARD_RULES_PER_SHARD = 200;
/** EventBridge quota: rules per bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html). */
export const MAX_RULES_PER_BUS = 300;
/** EventBridge quota: event pattern size. */
export const MAX_EVENT_PATTERN_CHARS = 2048;
/** Lambda handler timeouts; SQS visibility must be at least 6x (AWS Lambda + SQS guidance). */
export const HANDLER_TIMEOUT_SECONDS: Readonly<Record<AccountKind, number>> = {
  management: 900,
  cicd: 300,
  identity: 300,
  dns: 300,
  logs: 300,
  audit: 300,
  member: 300,
};

/**
 * The one InputTransformer of every queue target. Without it the SQS body misses `account` in
 * moto; with it, AWS and moto write the same body, and the runtime sees the sender. Strings are
 * quoted placeholders, `detail` is an object and is not.
 */
export const ENVELOPE_INPUT_TRANSFORMER: InputTransformer = {
  inputPathsMap: {
    id: '$.id',
    account: '$.account',
    source: '$.source',
    'detail-type': '$.detail-type',
    time: '$.time',
    region: '$.region',
    detail: '$.detail',
  },
  inputTemplate:
    '{"id":"<id>","account":"<account>","source":"<source>","detail-type":"<detail-type>","time":"<time>","region":"<region>","detail":<detail>}',
};

export function busArn(partition: string, region: string, accountId: string, busName: string): string {
  return `arn:${partition}:events:${region}:${accountId}:event-bus/${busName}`;
}
export function queueArn(partition: string, region: string, accountId: string, queueName: string): string {
  return `arn:${partition}:sqs:${region}:${accountId}:${queueName}`;
}

/** The cicd bus that carries shard `index`'s forward rules. */
export function forwardBusName(busName: string, index: number): string {
  return index === 0 ? busName : `${busName}-fwd-${index}`;
}
export function outboxBusName(busName: string): string {
  return `${busName}-outbox`;
}
export function forwardRuleName(accountId: string): string {
  return `orgbridge-fwd-${accountId}`;
}

export function shardCountFor(targetAccounts: number, perShard = DEFAULT_FORWARD_RULES_PER_SHARD): number {
  return Math.max(1, Math.ceil(targetAccounts / perShard));
}

/** FNV-1a (32 bit): stable across runs, platforms and languages, unlike anything keyed on order. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The forward shard of an account: the sender picks the bus with this same function. */
export function shardOf(accountId: string, shardCount: number): number {
  return fnv1a(accountId) % shardCount;
}

const requiredKinds: readonly AccountKind[] = ['management', 'cicd', 'dns', 'audit'];

function validate(input: TopologyInput): void {
  const seen = new Set<string>();
  for (const a of input.accounts) {
    if (!/^\d{12}$/.test(a.id)) {
      throw new OrgbridgeError('TOPOLOGY_BAD_ACCOUNT_ID', `account id '${a.id}' is not 12 digits`, {
        source: 'internal',
      });
    }
    if (seen.has(a.id)) {
      throw new OrgbridgeError('TOPOLOGY_DUPLICATE_ACCOUNT', `account ${a.id} is listed twice`, {
        source: 'internal',
        hint: 'give each account one kind',
      });
    }
    seen.add(a.id);
  }
  for (const kind of requiredKinds) {
    const n = input.accounts.filter((a) => a.kind === kind).length;
    if (n !== 1) {
      throw new OrgbridgeError(
        'TOPOLOGY_SPECIAL_ACCOUNT',
        `the topology needs exactly one ${kind} account, got ${n}`,
        { hint: `set organization.${kind} to one account key in the DSL` },
      );
    }
  }
}

function idOf(input: TopologyInput, kind: AccountKind): string {
  return (input.accounts.find((a) => a.kind === kind) as TopologyAccount).id;
}

/** Computes the whole topology. Pure; throws OrgbridgeError on an inconsistent account list. */
export function computeTopology(input: TopologyInput): Topology {
  validate(input);
  const partition = input.partition ?? 'aws';
  const cicd = idOf(input, 'cicd');
  const dns = idOf(input, 'dns');
  const audit = idOf(input, 'audit');
  const sorted = [...input.accounts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const targets = sorted.filter((a) => a.id !== cicd);
  const shardCount = shardCountFor(targets.length, input.forwardRulesPerShard);
  const ctx: Context = { input, partition, cicd, dns, audit, shardCount, targets };
  return {
    busName: input.busName,
    source: input.source,
    region: input.region,
    partition,
    cicdAccountId: cicd,
    dnsAccountId: dns,
    auditAccountId: audit,
    shardCount,
    accounts: sorted.map((a) => accountTopology(a, ctx)),
  };
}

interface Context {
  readonly input: TopologyInput;
  readonly partition: string;
  readonly cicd: string;
  readonly dns: string;
  readonly audit: string;
  readonly shardCount: number;
  readonly targets: readonly TopologyAccount[];
}

function accountTopology(account: TopologyAccount, ctx: Context): AccountTopology {
  const { input, partition } = ctx;
  const { busName, source, region } = input;
  const id = account.id;
  const maxReceiveCount = input.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
  const bus = (accountId: string, name: string) => busArn(partition, region, accountId, name);
  const queue = (
    purpose: QueuePurpose,
    name: string,
    visibility: number,
    receives = maxReceiveCount,
  ): QueueSpec => ({
    name,
    arn: queueArn(partition, region, id, name),
    purpose,
    visibilityTimeoutSeconds: input.visibilityTimeoutSeconds ?? visibility,
    messageRetentionSeconds: 4 * 86_400,
    deadLetter: {
      name: `${name}-dlq`,
      arn: queueArn(partition, region, id, `${name}-dlq`),
      maxReceiveCount: receives,
      // The longest SQS allows: a DLQ is where people look days later.
      messageRetentionSeconds: 14 * 86_400,
    },
  });
  const queueTarget = (q: QueueSpec): RuleTarget => ({
    type: 'queue',
    id: q.purpose,
    queueName: q.name,
    arn: q.arn,
    inputTransformer: ENVELOPE_INPUT_TRANSFORMER,
  });
  const busTarget = (targetId: string, purpose: string): RuleTarget => ({
    type: 'bus',
    id: purpose,
    accountId: targetId,
    busName,
    arn: bus(targetId, busName),
  });

  const queues: QueueSpec[] = [];
  const rules: RuleSpec[] = [];
  const buses: BusSpec[] = [];
  const isCicd = id === ctx.cicd;
  const isAudit = id === ctx.audit;
  const isDns = id === ctx.dns;

  // Who may put on the main bus: the cicd account (its forward rules), or the whole organization
  // where other accounts forward to it (cicd: replies, dns: DNS requests, audit: copies).
  const orgWide = isCicd || isDns || isAudit;
  buses.push({
    name: busName,
    arn: bus(id, busName),
    purpose: 'main',
    policy: orgWide
      ? [{ sid: 'orgbridge-allow-organization', principal: { organization: true } }]
      : [{ sid: 'orgbridge-allow-cicd', principal: { account: ctx.cicd } }],
  });

  const handled = handledRequestTypes(account.kind);
  const handlerQueue = queue('handler', HANDLER_QUEUE, 6 * HANDLER_TIMEOUT_SECONDS[account.kind]);
  queues.push(handlerQueue);
  rules.push({
    name: 'orgbridge-handler',
    busName,
    purpose: 'handler',
    description: `orgbridge: requests the ${account.kind} handler accepts, addressed to this account`,
    eventPattern: { source: [source], 'detail-type': handled, detail: { target_account: [id] } },
    targets: [queueTarget(handlerQueue)],
  });

  if (isCicd) {
    const replies = queue('replies', REPLY_QUEUE, 30, REPLY_QUEUE_MAX_RECEIVE_COUNT);
    queues.push(replies);
    rules.push({
      name: 'orgbridge-replies',
      busName,
      purpose: 'replies',
      description: 'orgbridge: answers to the pipeline, picked up by nonce',
      eventPattern: {
        source: [source],
        'detail-type': [...RESPONSE_TYPES],
        detail: { target_account: [id] },
      },
      targets: [queueTarget(replies)],
    });
    for (let shard = 1; shard < ctx.shardCount; shard++) {
      const name = forwardBusName(busName, shard);
      buses.push({ name, arn: bus(id, name), purpose: 'forward-shard', policy: [] });
    }
    for (const target of ctx.targets) {
      const shardBus = forwardBusName(busName, shardOf(target.id, ctx.shardCount));
      rules.push({
        name: forwardRuleName(target.id),
        busName: shardBus,
        purpose: 'forward',
        description: `orgbridge: requests for ${target.kind} account ${target.id}`,
        // `account`: only what cicd itself published, although its bus accepts the organization.
        eventPattern: {
          source: [source],
          account: [id],
          'detail-type': handledRequestTypes(target.kind),
          detail: { target_account: [target.id] },
        },
        targets: [busTarget(target.id, 'account')],
      });
    }
  }

  if (isAudit) {
    // Consumed by the audit Lambda too: the same 6x its timeout as the handler queue.
    const store = queue('audit', AUDIT_QUEUE, 6 * HANDLER_TIMEOUT_SECONDS.audit);
    queues.push(store);
    rules.push({
      name: 'orgbridge-audit-store',
      busName,
      purpose: 'audit-store',
      description: 'orgbridge: every event of the organization, to the audit store',
      eventPattern: { source: [source] },
      targets: [queueTarget(store)],
    });
  } else {
    rules.push({
      name: 'orgbridge-to-audit',
      busName,
      purpose: 'to-audit',
      description: 'orgbridge: a copy of every event addressed to this account, to the audit account',
      eventPattern: { source: [source], detail: { target_account: [id] } },
      targets: [busTarget(ctx.audit, 'audit')],
    });
  }

  // The audit bus is a sink; the audit account publishes through an outbox bus instead.
  const publishBus = isAudit ? outboxBusName(busName) : busName;
  if (isAudit) buses.push({ name: publishBus, arn: bus(id, publishBus), purpose: 'outbox', policy: [] });
  if (!isCicd) {
    rules.push({
      name: 'orgbridge-to-cicd',
      busName: publishBus,
      purpose: 'to-cicd',
      description: 'orgbridge: answers go back to the cicd account',
      eventPattern: {
        source: [source],
        'detail-type': [...RESPONSE_TYPES],
        detail: { target_account: [ctx.cicd] },
      },
      targets: [busTarget(ctx.cicd, 'cicd')],
    });
  }
  if (!isCicd && !isDns) {
    rules.push({
      name: 'orgbridge-to-dns',
      busName: publishBus,
      purpose: 'to-dns',
      description: 'orgbridge: DNS requests about this account, to the DNS account',
      eventPattern: {
        source: [source],
        'detail-type': [...DNS_REQUEST_TYPES],
        detail: { target_account: [ctx.dns] },
      },
      targets: [busTarget(ctx.dns, 'dns')],
    });
  }

  return {
    accountId: id,
    kind: account.kind,
    publishBus,
    buses,
    queues,
    rules,
    idempotencyTable: IDEMPOTENCY_TABLE,
  };
}

export function accountTopologyOf(topology: Topology, accountId: string): AccountTopology {
  const found = topology.accounts.find((a) => a.accountId === accountId);
  if (!found) {
    throw new OrgbridgeError('TOPOLOGY_UNKNOWN_ACCOUNT', `account ${accountId} is not in the topology`, {
      hint: 'the account list the topology was computed from is out of date: recompute it',
    });
  }
  return found;
}

/**
 * The bus `senderId` puts an event addressed to `targetId` on: the cicd account picks the shard
 * bus carrying the target's forward rule; any other account uses its publish bus.
 */
export function senderBusName(topology: Topology, senderId: string, targetId: string): string {
  if (senderId === topology.cicdAccountId) {
    // The cicd account publishes on its main bus (never an outbox: it is not the audit account),
    // so a requester's topology without the account list can still address cicd itself.
    if (targetId === senderId) return topology.busName;
    return forwardBusName(topology.busName, shardOf(targetId, topology.shardCount));
  }
  return accountTopologyOf(topology, senderId).publishBus;
}

// Delivery simulation ---------------------------------------------------------------------------

export interface SimulatedEvent {
  readonly source: string;
  readonly detailType: DetailType | string;
  /** The account that put the event (AWS keeps it on forwarded events). */
  readonly account: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface Delivery {
  readonly accountId: string;
  readonly queueName: string;
  /** Buses the event went through, `<account>/<bus>`. */
  readonly path: readonly string[];
}

/** Exact-value EventBridge matching: the subset of pattern syntax the topology uses. */
export function matchesPattern(pattern: EventPattern, event: Readonly<Record<string, unknown>>): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    const actual = event[key];
    if (Array.isArray(expected)) {
      if (!expected.some((v) => v === actual)) return false;
    } else if (expected && typeof expected === 'object') {
      if (!actual || typeof actual !== 'object') return false;
      if (!matchesPattern(expected as EventPattern, actual as Record<string, unknown>)) return false;
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Walks `event`, put on `busName` in `accountId`, through every rule of the topology; returns
 * the queues it lands in. Throws TOPOLOGY_LOOP if it would reach a bus twice.
 */
export function simulateDelivery(
  topology: Topology,
  accountId: string,
  busName: string,
  event: SimulatedEvent,
): Delivery[] {
  const deliveries: Delivery[] = [];
  const raw = {
    source: event.source,
    'detail-type': event.detailType,
    account: event.account,
    detail: event.detail,
  };
  const visit = (acct: string, bus: string, path: readonly string[]): void => {
    const here = `${acct}/${bus}`;
    if (path.includes(here)) {
      throw new OrgbridgeError(
        'TOPOLOGY_LOOP',
        `${event.detailType} to ${String(event.detail.target_account)} loops: ${[...path, here].join(' -> ')}`,
        { source: 'internal' },
      );
    }
    const nextPath = [...path, here];
    const at = topology.accounts.find((a) => a.accountId === acct);
    if (!at) return;
    for (const rule of at.rules) {
      if (rule.busName !== bus || !matchesPattern(rule.eventPattern, raw)) continue;
      for (const t of rule.targets) {
        if (t.type === 'queue') deliveries.push({ accountId: acct, queueName: t.queueName, path: nextPath });
        else visit(t.accountId, t.busName, nextPath);
      }
    }
  };
  visit(accountId, busName, []);
  return deliveries;
}
