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

export type RuleTargetView =
  | {
      readonly type: 'queue';
      readonly id: string;
      /** A queue of the same template, by name. */
      readonly queueName: string;
      readonly inputTransformer?: InputTransformerView;
    }
  | { readonly type: 'bus'; readonly id: string; readonly arn: string };

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
  /** The forward-everything rule to the audit bus; absent in the audit account itself. */
  readonly auditForward: RuleView;
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
