import type { AccountKind } from '../config/model.js';
import { OrgbridgeError } from '../errors.js';
import { partitionOf } from '../partitions.js';
import { AUDITED_TYPES, type DetailType, RESPONSE_TYPES, type RequestType } from './catalog.js';
import { DNS_REQUEST_TYPES, handledRequestTypes } from './routing.js';

/**
 * The messaging topology as plain data: every bus, bus policy, rule (pattern + targets), queue
 * (+ DLQ) and idempotency table of every account, computed from the routing table. It is the one
 * source both the CloudFormation templates (src/templates) and the SDK provisioner of local mode
 * and tests (src/runtime/provision.ts) render, so the two cannot disagree.
 *
 * One hop: every rule whose target is another bus pins `account` to the account that owns the
 * rule's bus, so it forwards only what that account published, never an event it received (AWS
 * would drop that anyway, see below), and pins `detail.target_account` to the account that owns
 * the target bus, except the `to-audit` rules, which target the audit bus; the audit bus forwards
 * nothing (the audit account publishes on a separate outbox bus). So an event travels origin bus
 * -> target account's bus, and origin bus -> audit bus. `simulateDelivery` walks any event
 * through the rules and the unit tests run it for every type, origin and target.
 *
 * Auditing happens where an event enters the system: the bus an account publishes on copies to
 * the audit bus the events that account put there (`account` is its own id), so every event is
 * stored once, whatever its destination. It cannot happen at the destination: EventBridge does
 * not send an event that arrived from another bus on to a third bus ("the hop rule",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html), so a copy
 * taken after the forward would never reach the audit account. Events addressed to the audit
 * account itself are left to its own bus (they arrive there anyway), so none is stored twice.
 *
 * Every rule target has a dead-letter queue (the account's EVENT_TARGET_DLQ) and an explicit
 * retry policy: a forward that fails (a bus not there yet, a policy mistake) is kept where it
 * can be seen rather than dropped after EventBridge's retries. `deadLetterQueues` lists every
 * DLQ of an account, queue DLQs and the target DLQ alike, for alarms.
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
  /** Overrides the partition, which is otherwise the home region's (`aws-cn` for cn-north-1). */
  readonly partition?: string;
  /** Receives before a handler message goes to the DLQ (default DEFAULT_MAX_RECEIVE_COUNT, 5). */
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

/**
 * How long EventBridge keeps trying a target before the event goes to the dead-letter queue
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html: by
 * default 24 hours and 185 attempts).
 */
export interface RetrySpec {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

/**
 * Requests and answers: an hour. The pipeline that sent a request has given up long before, and a
 * request delivered hours late would act on a state that has moved on; in the DLQ it is visible.
 */
export const REQUEST_RETRY: RetrySpec = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 3_600 };
/** Audit copies: EventBridge's maximum, 24 hours. A late copy is still a copy. */
export const AUDIT_RETRY: RetrySpec = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

interface TargetDelivery {
  readonly id: string;
  /** The account's EVENT_TARGET_DLQ: where EventBridge puts what it could not deliver. */
  readonly deadLetterArn: string;
  readonly retry: RetrySpec;
}

export type RuleTarget =
  | (TargetDelivery & {
      readonly type: 'queue';
      readonly queueName: string;
      readonly arn: string;
      /** Absent: the queue receives the event untouched (the audit store). */
      readonly inputTransformer?: InputTransformer;
    })
  | (TargetDelivery & {
      readonly type: 'bus';
      readonly accountId: string;
      readonly busName: string;
      readonly arn: string;
      /**
       * EventBridge must assume a role to put on this bus: it grants the organization (not the
       * sending account by name) or it is in the same account ("the sending event bus must have
       * IAM roles attached", eb-cross-account.html and eb-bus-to-bus.html).
       */
      readonly role: boolean;
    });

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

/** A dead-letter queue: of a queue (redrive), or of the account's rule targets. */
export interface DeadLetterSpec {
  readonly name: string;
  readonly arn: string;
  /** `queue`: the redrive DLQ of `of`; `rule-targets`: what EventBridge could not deliver. */
  readonly purpose: 'queue' | 'rule-targets';
  readonly of?: string;
}

export interface AccountTopology {
  readonly accountId: string;
  readonly kind: AccountKind;
  /** The bus this account's handlers and senders put events on. */
  readonly publishBus: string;
  readonly buses: readonly BusSpec[];
  readonly queues: readonly QueueSpec[];
  readonly rules: readonly RuleSpec[];
  /** The dead-letter queue of every rule target of this account (EVENT_TARGET_DLQ). */
  readonly targetDeadLetter: {
    readonly name: string;
    readonly arn: string;
    readonly messageRetentionSeconds: number;
  };
  /** Every DLQ of the account: each queue's, then the rule targets'. */
  readonly deadLetterQueues: readonly DeadLetterSpec[];
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
/** Every rule target of an account dead-letters here (created with the account's bus). */
export const EVENT_TARGET_DLQ = 'orgbridge-events-dlq';
/** The longest SQS allows: a DLQ is where people look days later. */
export const DLQ_RETENTION_SECONDS = 14 * 86_400;
/**
 * Every receive counts, including the ones Lambda makes and hands back unprocessed when the
 * function is throttled, so AWS advises at least five
 * (https://aws.amazon.com/premiumsupport/knowledge-center/lambda-retrying-valid-sqs-messages/): with fewer, a burst of
 * throttling dead-letters valid requests. The handlers are idempotent, so a retry costs nothing.
 */
export const DEFAULT_MAX_RECEIVE_COUNT = 5;
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
/**
 * Lambda handler timeouts; SQS visibility must be at least 6x (AWS Lambda + SQS guidance). Every
 * kind deploys stacks (UPDATE_ACCOUNT_BASELINE and CREATE_VPC reach every account), and a VPC
 * with NAT gateways takes minutes, so every kind gets Lambda's maximum, 900 s
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html).
 */
export const HANDLER_TIMEOUT_SECONDS: Readonly<Record<AccountKind, number>> = {
  management: 900,
  cicd: 900,
  identity: 900,
  dns: 900,
  logs: 900,
  audit: 900,
  member: 900,
};

/**
 * Seconds Lambda gathers a kind's queue records before invoking (MaximumBatchingWindowInSeconds,
 * 0 by default for SQS: https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
 * DNS: the ENSURE_ACCOUNT_ZONE requests of one batch share one zone listing and one change batch
 * under Route 53's 5 requests/s (src/handlers/dns/zone-batch.ts); a second of gathering lets the
 * pipeline's 10 in flight arrive in one batch instead of several small ones. The queue's
 * visibility adds it to the 6x: "at least six times the timeout that you configure on your
 * function, plus the value of MaximumBatchingWindowInSeconds"
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
 */
export const HANDLER_BATCHING_WINDOW_SECONDS: Readonly<Partial<Record<AccountKind, number>>> = {
  dns: 1,
};

/**
 * What a handler keeps of its invocation after it stops waiting on AWS: enough to store the
 * outcome and send the answer before Lambda cuts it off.
 */
export const HANDLER_REPLY_MARGIN_SECONDS = 30;

/**
 * The longest one invocation of a handler waits on AWS, by request type. A handler waits at
 * most this, and never past its remaining invocation time minus HANDLER_REPLY_MARGIN_SECONDS;
 * guardrail OB-REL-4 checks each function's timeout against the waits of the types its kind
 * handles. CREATE_ACCOUNT polls the account creation (src/handlers/accounts/lifecycle.ts); the
 * stack deployers wait for CloudFormation (src/handlers/provisioning/deploy-stack.ts), and hand a
 * stack still in progress back to SQS, whose retry waits for it again.
 */
export const HANDLER_WAIT_SECONDS: Readonly<Partial<Record<RequestType, number>>> = {
  CREATE_ACCOUNT: 600,
  CREATE_VPC: 840,
  DEPLOY_CUSTOMIZATION: 840,
  UPDATE_ACCOUNT_BASELINE: 840,
  UPDATE_IAM_MAPPING: 840,
  UPDATE_LOG_BUCKETS: 840,
};

/**
 * How long a handler of `type` may wait now: its declared wait, cut to the invocation's remaining
 * time less the reply margin (local mode has no deadline unless its lease gives one).
 */
export function handlerWaitMs(type: RequestType, remainingTimeMs?: () => number): number {
  const declared = (HANDLER_WAIT_SECONDS[type] ?? 0) * 1000;
  if (!remainingTimeMs) return declared;
  return Math.max(0, Math.min(declared, remainingTimeMs() - HANDLER_REPLY_MARGIN_SECONDS * 1000));
}

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

/**
 * The queue policy statement that lets EventBridge dead-letter the undelivered events of the
 * rules matching `ruleArnPattern` into `queueArn` ("Granting permissions to the dead-letter
 * queue", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq).
 * ARNs are strings, or CloudFormation values in a template.
 */
export function ruleTargetDeadLetterStatement(
  queueArn: unknown,
  ruleArnPattern: unknown,
): Record<string, unknown> {
  return {
    Sid: 'AllowOrgbridgeRuleTargets',
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    Condition: { ArnLike: { 'aws:SourceArn': ruleArnPattern } },
  };
}

/** What a queue's consumer does; the queue policies deny them to everyone else. */
export const QUEUE_CONSUMER_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
] as const;

/**
 * The deny that makes EventBridge the only writer of an orgbridge queue: `sqs:SendMessage` is
 * denied to every principal unless the request comes from one of `ruleArns` (`aws:SourceArn`,
 * set by EventBridge for the rule that delivers, never by an IAM principal). With no rule (a
 * queue's redrive DLQ, which SQS fills itself) nobody may send. An explicit Deny in a
 * resource-based policy wins over any Allow of an identity policy, so a principal of the same
 * account with `sqs:*` (PowerUserAccess) cannot write a message whose envelope claims another
 * account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
 * A negated operator holds when the key is absent from the request, as it is for IAM principals
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 * `ruleArnPattern`: `ArnNotLike` on one pattern instead of exact ARNs (the target DLQ).
 */
export function denySendExceptRulesStatement(
  queueArn: unknown,
  rules: { readonly ruleArns: readonly unknown[] } | { readonly ruleArnPattern: unknown },
  /** Roles that may also send (an operator's redrive back from the DLQ), by `aws:PrincipalArn`. */
  senderRoleArns: readonly unknown[] = [],
): Record<string, unknown> {
  // The keys of one condition block are ANDed, and a Not-operator holds when its key is absent:
  // the deny applies unless the event comes from one of the rules or the caller is a sender role
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-logic-multiple-context-keys-or-values.html).
  const rulesCondition =
    'ruleArnPattern' in rules
      ? { ArnNotLike: { 'aws:SourceArn': rules.ruleArnPattern } }
      : rules.ruleArns.length > 0
        ? { ArnNotEquals: { 'aws:SourceArn': [...rules.ruleArns] } }
        : undefined;
  const condition =
    senderRoleArns.length > 0
      ? {
          ...rulesCondition,
          ArnNotEquals: {
            ...(rulesCondition && 'ArnNotEquals' in rulesCondition ? rulesCondition.ArnNotEquals : {}),
            'aws:PrincipalArn': [...senderRoleArns],
          },
        }
      : rulesCondition;
  return {
    Sid: 'DenySendExceptOrgbridgeRules',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 'sqs:SendMessage',
    Resource: queueArn,
    ...(condition ? { Condition: condition } : {}),
  };
}

/**
 * The statements of a handler queue's policy (and of its DLQ's, with no rules): EventBridge may
 * send from the account's own rules, everyone else is denied sending but `senders` (the DLQ
 * operator's redrive), and, when `consumers` are given, everyone but them is denied consuming.
 * The templates and the local provisioner both write these (src/templates/stacks/handlers.ts,
 * src/runtime/provision.ts), so the emulator checks the policy AWS gets.
 */
export function handlerQueuePolicyStatements(
  queueArn: unknown,
  ruleArns: readonly unknown[],
  roles: { readonly senders?: readonly unknown[]; readonly consumers?: readonly unknown[] },
): Record<string, unknown>[] {
  return [
    ...(ruleArns.length > 0
      ? [
          {
            Sid: 'AllowOrgbridgeRules',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': [...ruleArns] } },
          },
        ]
      : []),
    denySendExceptRulesStatement(queueArn, { ruleArns }, roles.senders ?? []),
    ...(roles.consumers ? [denyConsumeExceptStatement(queueArn, roles.consumers)] : []),
  ];
}

/**
 * The deny that keeps a queue's messages to its consumers: receive, delete and visibility
 * changes are denied to every principal whose `aws:PrincipalArn` (for a role session, the role's
 * ARN) is not one of `consumerRoleArns` (the handler's role, whose Lambda event source mapping
 * polls as it, and any operator role given to redrive). A condition rather than a Principal
 * element: a role named as Principal must exist when the policy is set, and a recreated role
 * would no longer match (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html).
 */
export function denyConsumeExceptStatement(
  queueArn: unknown,
  consumerRoleArns: readonly unknown[],
): Record<string, unknown> {
  return {
    Sid: 'DenyConsumeExceptConsumers',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [...QUEUE_CONSUMER_ACTIONS],
    Resource: queueArn,
    Condition: { ArnNotEquals: { 'aws:PrincipalArn': [...consumerRoleArns] } },
  };
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
  const partition = input.partition ?? partitionOf(input.region);
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

/** The main bus's senders: the cicd account, or the whole organization where others forward to it. */
function mainBusPolicy(accountId: string, ctx: Context): BusSpec['policy'] {
  // cicd: replies, dns: DNS requests, audit: copies, from every account.
  const orgWide = accountId === ctx.cicd || accountId === ctx.dns || accountId === ctx.audit;
  return orgWide
    ? [{ sid: 'orgbridge-allow-organization', principal: { organization: true } }]
    : [{ sid: 'orgbridge-allow-cicd', principal: { account: ctx.cicd } }];
}

/** Builds the specs of one account: its queues, the rule targets (each with the account's DLQ). */
function accountBuilders(account: TopologyAccount, ctx: Context) {
  const { input, partition } = ctx;
  const { busName, region } = input;
  const id = account.id;
  const maxReceiveCount = input.maxReceiveCount ?? DEFAULT_MAX_RECEIVE_COUNT;
  const bus = (accountId: string, name: string) => busArn(partition, region, accountId, name);
  const deadLetterArn = queueArn(partition, region, id, EVENT_TARGET_DLQ);
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
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    },
  });
  const queueTarget = (q: QueueSpec, transform = true): RuleTarget => ({
    type: 'queue',
    id: q.purpose,
    queueName: q.name,
    arn: q.arn,
    ...(transform ? { inputTransformer: ENVELOPE_INPUT_TRANSFORMER } : {}),
    deadLetterArn,
    retry: q.purpose === 'audit' ? AUDIT_RETRY : REQUEST_RETRY,
  });
  const busTarget = (targetId: string, purpose: string): RuleTarget => {
    const grantsSender = mainBusPolicy(targetId, ctx).some(
      (p) => 'account' in p.principal && p.principal.account === id,
    );
    return {
      type: 'bus',
      id: purpose,
      accountId: targetId,
      busName,
      arn: bus(targetId, busName),
      role: targetId === id || !grantsSender,
      deadLetterArn,
      retry: purpose === 'audit' ? AUDIT_RETRY : REQUEST_RETRY,
    };
  };
  return { bus, queue, queueTarget, busTarget, deadLetterArn };
}

/**
 * The origin copy to the audit bus of what this account puts on `onBus`: `account` pins the
 * events the account itself published (AWS keeps the publisher's account on forwarded events),
 * `detail-type` the catalog and its notifications (nothing else is orgbridge's to store), and
 * events addressed to the audit account are stored on arrival there instead.
 */
function auditCopyRule(onBus: string, accountId: string, ctx: Context, target: RuleTarget): RuleSpec {
  return {
    name: 'orgbridge-to-audit',
    busName: onBus,
    purpose: 'to-audit',
    description: 'orgbridge: a copy of every event this account publishes, to the audit account',
    eventPattern: {
      source: [ctx.input.source],
      account: [accountId],
      'detail-type': [...AUDITED_TYPES],
      detail: { target_account: [{ 'anything-but': [ctx.audit] }] },
    },
    targets: [target],
  };
}

function accountTopology(account: TopologyAccount, ctx: Context): AccountTopology {
  const { input } = ctx;
  const { busName, source } = input;
  const id = account.id;
  const { bus, queue, queueTarget, busTarget, deadLetterArn } = accountBuilders(account, ctx);

  const queues: QueueSpec[] = [];
  const rules: RuleSpec[] = [];
  const buses: BusSpec[] = [];
  const isCicd = id === ctx.cicd;
  const isAudit = id === ctx.audit;
  const isDns = id === ctx.dns;

  buses.push({ name: busName, arn: bus(id, busName), purpose: 'main', policy: mainBusPolicy(id, ctx) });

  const handled = handledRequestTypes(account.kind);
  const handlerQueue = queue(
    'handler',
    HANDLER_QUEUE,
    6 * HANDLER_TIMEOUT_SECONDS[account.kind] + (HANDLER_BATCHING_WINDOW_SECONDS[account.kind] ?? 0),
  );
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
    // Consumed by the audit Lambda too: the same 6x its timeout as the handler queue. The store
    // takes the event untouched (no input transformer), of the catalog's detail-types only.
    const store = queue('audit', AUDIT_QUEUE, 6 * HANDLER_TIMEOUT_SECONDS.audit);
    queues.push(store);
    rules.push({
      name: 'orgbridge-audit-store',
      busName,
      purpose: 'audit-store',
      description: 'orgbridge: every event of the organization, to the audit store',
      eventPattern: { source: [source], 'detail-type': [...AUDITED_TYPES] },
      targets: [queueTarget(store, false)],
    });
  }

  // The audit bus is a sink; the audit account publishes through an outbox bus instead.
  const publishBus = isAudit ? outboxBusName(busName) : busName;
  if (isAudit) buses.push({ name: publishBus, arn: bus(id, publishBus), purpose: 'outbox', policy: [] });
  // The origin copies: on every bus this account publishes on.
  for (const b of buses) {
    if (b.purpose === 'main' && isAudit) continue;
    rules.push(auditCopyRule(b.name, id, ctx, busTarget(ctx.audit, 'audit')));
  }
  if (!isCicd) {
    rules.push({
      name: 'orgbridge-to-cicd',
      busName: publishBus,
      purpose: 'to-cicd',
      description: 'orgbridge: answers go back to the cicd account',
      // `account`: what this account published; a received event could not go on anyway.
      eventPattern: {
        source: [source],
        account: [id],
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
        account: [id],
        'detail-type': [...DNS_REQUEST_TYPES],
        detail: { target_account: [ctx.dns] },
      },
      targets: [busTarget(ctx.dns, 'dns')],
    });
  }

  const targetDeadLetter = {
    name: EVENT_TARGET_DLQ,
    arn: deadLetterArn,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
  };
  return {
    accountId: id,
    kind: account.kind,
    publishBus,
    buses,
    queues,
    rules,
    targetDeadLetter,
    deadLetterQueues: [
      ...queues.map((q) => ({
        name: q.deadLetter.name,
        arn: q.deadLetter.arn,
        purpose: 'queue' as const,
        of: q.name,
      })),
      { name: targetDeadLetter.name, arn: targetDeadLetter.arn, purpose: 'rule-targets' as const },
    ],
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

/** One value of a pattern array: an exact value, or `{"anything-but": [...]}`. */
function matchesValue(expected: unknown, actual: unknown): boolean {
  if (expected && typeof expected === 'object' && 'anything-but' in expected) {
    const excluded = (expected as { 'anything-but': unknown })['anything-but'];
    return actual !== undefined && !(Array.isArray(excluded) ? excluded : [excluded]).includes(actual);
  }
  return expected === actual;
}

/**
 * EventBridge matching for the subset of pattern syntax the topology uses: exact values and
 * `anything-but` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html).
 */
export function matchesPattern(pattern: EventPattern, event: Readonly<Record<string, unknown>>): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    const actual = event[key];
    if (Array.isArray(expected)) {
      if (!expected.some((v) => matchesValue(v, actual))) return false;
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
 * the queues it lands in. EventBridge's hop rule applies: an event that came from another bus is
 * not sent on to a further bus (eb-cross-account.html), so a path has at most two buses. Throws
 * TOPOLOGY_LOOP if it would reach a bus twice.
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
        else if (nextPath.length === 1) visit(t.accountId, t.busName, nextPath);
      }
    }
  };
  visit(accountId, busName, []);
  return deliveries;
}
