import type { AccountKind } from '../config/model.js';

/**
 * Strings may contain `${AWS::AccountId}` where the topology had the id of the account a stack
 * set template is rendered for (one template serves every account of a kind); the stacks wrap
 * such strings in Fn::Sub.
 *
 * The shape the templates render: buses, bus policies, rules with their targets, queues. It is
 * produced from the messaging topology of src/protocol (the single source of truth for routing)
 * by `renderTopology` in ./topology-adapter.ts; templates never decide routing themselves.
 */
export interface InputTransformerView {
  readonly inputPathsMap: Readonly<Record<string, string>>;
  readonly inputTemplate: string;
}

/** What every target carries: its dead-letter queue (by ARN) and retry policy. */
export interface TargetDeliveryView {
  readonly id: string;
  /** The account's rule-target DLQ (created by the event bus template). */
  readonly deadLetterArn: string;
  readonly retry: { readonly maximumRetryAttempts: number; readonly maximumEventAgeSeconds: number };
}

export type RuleTargetView =
  | (TargetDeliveryView & {
      readonly type: 'queue';
      /** A queue of the same template, by name. */
      readonly queueName: string;
      /** Absent: the queue receives the event untouched. */
      readonly inputTransformer?: InputTransformerView;
    })
  | (TargetDeliveryView & {
      readonly type: 'bus';
      readonly arn: string;
      /** EventBridge puts with the template's forwarder role (see RuleTarget in src/protocol). */
      readonly role: boolean;
    });

export interface RuleView {
  readonly name: string;
  readonly busName: string;
  readonly description: string;
  readonly eventPattern: Readonly<Record<string, unknown>>;
  readonly targets: readonly RuleTargetView[];
}

export interface QueueView {
  readonly name: string;
  readonly dlqName: string;
  readonly maxReceiveCount: number;
  /** Seconds; for a Lambda consumer AWS recommends 6 x the function timeout. */
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly dlqRetentionSeconds: number;
  /** Consumed by the kind's Lambda (handler and audit store); the reply queue is polled by the pipeline. */
  readonly lambdaConsumer: boolean;
}

/** A bus a template creates besides the main bus (the audit account's outbox, cicd shard buses). */
export interface ExtraBusView {
  readonly name: string;
  /** Accounts allowed to PutEvents besides the owner. */
  readonly senders: readonly string[];
}

/** Who may PutEvents to a bus: given accounts, or any principal of the organization. */
export type BusSendersView =
  | { readonly type: 'accounts'; readonly accountIds: readonly string[] }
  | { readonly type: 'organization' };

/** The event bus stack set: the same in every account except for the bus policy and audit forwarding. */
export interface BusTopologyView {
  readonly busName: string;
  /** Bus policy per account kind (the DNS, audit and cicd buses accept more senders). */
  readonly senders: Readonly<Record<AccountKind, BusSendersView>>;
  /** The origin copy of what the account publishes, to the audit bus; absent in the audit account. */
  readonly auditForward: RuleView;
  /** The dead-letter queue of every rule target of the account. */
  readonly targetDeadLetter: { readonly name: string; readonly retentionSeconds: number };
}

/** One account kind's handler template: its queues, the rules feeding them, what it handles. */
export interface KindTopologyView {
  readonly kind: AccountKind;
  /** The queue the handler consumes. */
  readonly handlerQueue: QueueView;
  /** Further queues (cicd's reply queue, audit's store queue). */
  readonly extraQueues: readonly QueueView[];
  readonly rules: readonly RuleView[];
  readonly extraBuses: readonly ExtraBusView[];
  /** The bus the handler puts replies and follow-up events on. */
  readonly publishBus: string;
  readonly idempotencyTable: string;
  /** Detail-types the handler of this kind executes: its IAM permissions follow from them. */
  readonly handledDetailTypes: readonly string[];
}

/** The cicd account's forward buses, each holding at most ~290 rules (300 per bus quota). */
export interface ForwardShardView {
  readonly index: number;
  readonly busName: string;
  /** Shard 0 forwards from the main bus (created by the event bus stack set); others own a bus. */
  readonly createsBus: boolean;
  readonly rules: readonly RuleView[];
}

export interface TopologyView {
  readonly bus: BusTopologyView;
  readonly kinds: Readonly<Record<AccountKind, KindTopologyView>>;
  readonly forwardShards: readonly ForwardShardView[];
}
