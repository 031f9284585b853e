import type { AccountKind } from '../config/model.js';
import { ACCOUNT_KINDS, handledRequestTypes } from '../protocol/routing.js';
import {
  type AccountTopology,
  computeTopology,
  type QueueSpec,
  type RuleSpec,
  type Topology,
  type TopologyAccount,
} from '../protocol/topology.js';
import { accountKinds, type TemplateInputs } from './inputs.js';
import type { BusSendersView, KindTopologyView, QueueView, RuleView, TopologyView } from './topology-view.js';

/**
 * Maps the messaging topology of src/protocol/topology.ts (the single source of truth for buses,
 * bus policies, rules, queues and forward sharding) onto what the templates render. No routing
 * decision is made here.
 *
 * The topology is per account; the stack set templates are per kind. A member template is the
 * topology of one member account with its id replaced by `${AWS::AccountId}`, and
 * `assertKindUniform` checks that this is exact: every member account's topology is the same
 * once its own id is abstracted.
 */

/** Stands for "this account" in per-kind templates; wrapped in Fn::Sub by the stacks. */
export const THIS_ACCOUNT = `\${AWS::AccountId}`;

/**
 * Used when the organization has no member account yet, so the member template still renders.
 * Not a valid id of any real account (AWS ids never start with 9999999).
 */
const SENTINEL_MEMBER = '999999999999';

export function topologyInput(inputs: TemplateInputs): Parameters<typeof computeTopology>[0] {
  const kinds = accountKinds(inputs.config);
  const accounts: TopologyAccount[] = [];
  for (const [key, id] of Object.entries(inputs.accountIds)) {
    const kind = kinds.get(key);
    if (kind) accounts.push({ id, kind });
  }
  if (!accounts.some((a) => a.kind === 'member')) accounts.push({ id: SENTINEL_MEMBER, kind: 'member' });
  return {
    accounts,
    busName: inputs.config.organization.event_bus,
    source: inputs.config.organization.event_source,
    region: inputs.homeRegion,
  };
}

/**
 * Replaces `accountId` by `${AWS::AccountId}` in every string of a JSON value. An ARN of this
 * account takes the partition the stack is deployed in (`${AWS::Partition}`): the string is an
 * Fn::Sub anyway, and an organization's accounts all live in one partition, so the value is the
 * same and the template reads as AWS's own examples do (cfn-lint I3042).
 */
export function abstractAccount<T>(value: T, accountId: string): T {
  if (typeof value === 'string') {
    const abstracted = value.split(accountId).join(THIS_ACCOUNT);
    return (
      abstracted !== value && abstracted.startsWith('arn:')
        ? abstracted.replace(/^arn:[^:]+:/, `arn:\${AWS::Partition}:`)
        : abstracted
    ) as T;
  }
  if (Array.isArray(value)) return value.map((v) => abstractAccount(v, accountId)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abstractAccount(v, accountId)])) as T;
  }
  return value;
}

function ruleView(rule: RuleSpec): RuleView {
  return {
    name: rule.name,
    busName: rule.busName,
    description: rule.description,
    eventPattern: rule.eventPattern,
    targets: rule.targets.map((t) => {
      const delivery = { id: t.id, deadLetterArn: t.deadLetterArn, retry: t.retry };
      return t.type === 'queue'
        ? {
            type: 'queue',
            ...delivery,
            queueName: t.queueName,
            ...(t.inputTransformer ? { inputTransformer: t.inputTransformer } : {}),
          }
        : { type: 'bus', ...delivery, arn: t.arn, role: t.role };
    }),
  };
}

function queueView(q: QueueSpec): QueueView {
  return {
    name: q.name,
    dlqName: q.deadLetter.name,
    maxReceiveCount: q.deadLetter.maxReceiveCount,
    visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
    messageRetentionSeconds: q.messageRetentionSeconds,
    dlqRetentionSeconds: q.deadLetter.messageRetentionSeconds,
    lambdaConsumer: q.purpose !== 'replies',
  };
}

function sendersOf(account: AccountTopology, busName: string): BusSendersView {
  const main = account.buses.find((b) => b.name === busName && b.purpose === 'main');
  const policy = main?.policy ?? [];
  if (policy.some((p) => 'organization' in p.principal)) return { type: 'organization' };
  return {
    type: 'accounts',
    accountIds: policy.flatMap((p): string[] => ('account' in p.principal ? [p.principal.account] : [])),
  };
}

/**
 * Rules of the per-kind handler template: everything but forwarding and the audit copies of the
 * buses other templates create (the main bus: the event bus template; cicd's forward shards:
 * their own). The audit account's outbox is the handler template's, and so is its copy rule.
 */
const HANDLER_RULE_PURPOSES = new Set(['handler', 'replies', 'audit-store', 'to-cicd', 'to-dns']);

function inHandlerTemplate(account: AccountTopology, rule: RuleSpec): boolean {
  if (HANDLER_RULE_PURPOSES.has(rule.purpose)) return true;
  const outbox = account.buses.find((b) => b.purpose === 'outbox');
  return rule.purpose === 'to-audit' && rule.busName === outbox?.name;
}

function kindView(account: AccountTopology): KindTopologyView {
  const view = abstractAccount(
    {
      queues: account.queues.map(queueView),
      rules: account.rules.filter((r) => inHandlerTemplate(account, r)).map(ruleView),
      extraBuses: account.buses
        .filter((b) => b.purpose === 'outbox')
        .map((b) => ({
          name: b.name,
          senders: b.policy.flatMap((p): string[] => ('account' in p.principal ? [p.principal.account] : [])),
        })),
    },
    account.accountId,
  );
  const [handlerQueue, ...extraQueues] = view.queues;
  if (!handlerQueue) throw new Error(`the topology gives the ${account.kind} account no handler queue`);
  return {
    kind: account.kind,
    handlerQueue,
    extraQueues,
    rules: view.rules,
    extraBuses: view.extraBuses,
    publishBus: account.publishBus,
    idempotencyTable: account.idempotencyTable,
    handledDetailTypes: handledRequestTypes(account.kind),
  };
}

/** The per-kind view of one account (its id abstracted), for comparisons across accounts. */
export function kindViewOf(account: AccountTopology): KindTopologyView {
  return kindView(account);
}

export function renderTopology(inputs: TemplateInputs): TopologyView {
  return viewOf(computeTopology(topologyInput(inputs)), new Set([SENTINEL_MEMBER]));
}

/** `notDeployed`: account ids in the topology that exist only to render a template (no forward rule). */
export function viewOf(topology: Topology, notDeployed: ReadonlySet<string> = new Set()): TopologyView {
  const representative = (kind: AccountKind): AccountTopology => {
    const found = topology.accounts.find((a) => a.kind === kind);
    if (!found) throw new Error(`the topology has no ${kind} account`);
    return found;
  };
  const kinds = {} as Record<AccountKind, KindTopologyView>;
  const senders = {} as Record<AccountKind, BusSendersView>;
  for (const kind of ACCOUNT_KINDS) {
    const account = representative(kind);
    kinds[kind] = kindView(account);
    senders[kind] = sendersOf(account, topology.busName);
  }
  const member = representative('member');
  const toAudit = member.rules.find((r) => r.purpose === 'to-audit' && r.busName === topology.busName);
  if (!toAudit) throw new Error('the topology has no to-audit rule');

  const cicd = representative('cicd');
  const shardBuses = new Map<string, RuleView[]>();
  // Each shard bus but the main one (the event bus template's) carries its own audit copy rule.
  const forwards = cicd.rules.filter(
    (r) =>
      (r.purpose === 'forward' && !r.targets.some((t) => t.type === 'bus' && notDeployed.has(t.accountId))) ||
      (r.purpose === 'to-audit' && r.busName !== topology.busName),
  );
  for (const rule of forwards) {
    const list = shardBuses.get(rule.busName) ?? [];
    list.push(ruleView(rule));
    shardBuses.set(rule.busName, list);
  }
  const forwardShards = [...shardBuses.entries()]
    .map(([busName, rules]) => ({
      busName,
      createsBus: busName !== topology.busName,
      rules,
      index: busName === topology.busName ? 0 : Number(busName.slice(busName.lastIndexOf('-') + 1)),
    }))
    .sort((a, b) => a.index - b.index);

  return {
    bus: {
      busName: topology.busName,
      senders,
      auditForward: abstractAccount(ruleView(toAudit), member.accountId),
      targetDeadLetter: {
        name: member.targetDeadLetter.name,
        retentionSeconds: member.targetDeadLetter.messageRetentionSeconds,
      },
    },
    kinds,
    forwardShards,
  };
}
