import { CfnCondition, Fn, type Stack } from 'aws-cdk-lib';
import { CfnEventBus, CfnEventBusPolicy } from 'aws-cdk-lib/aws-events';
import { CfnQueue, CfnQueuePolicy } from 'aws-cdk-lib/aws-sqs';
import type { AccountKind, SpecialAccountKind } from '../../config/model.js';
import { SPECIAL_ACCOUNT_KINDS } from '../../config/model.js';
import { denySendExceptRulesStatement, ruleTargetDeadLetterStatement } from '../../protocol/topology.js';
import type { SpecialAccountIds } from '../inputs.js';
import type { BusSendersView, BusTopologyView } from '../topology-view.js';
import { addDeadLetterQueueAlarms } from './alarms.js';
import {
  allowPutEventsFrom,
  deletedWithStack,
  denyInsecureTransport,
  localBusArn,
  logicalId,
  NOT_A_DEAD_LETTER_QUEUE,
} from './common.js';
import { addMonitoringLink } from './monitoring.js';
import { addAlarmForward, alarmRuleArnPattern, alarmsBusArn } from './notifications.js';
import { addForwarderRole, addRule, roleTargetArns } from './rules.js';

/**
 * The event bus stack set (every account, one region): the bus, its policy, and the rule that
 * forwards every event to the audit account. One template for every account: what differs by
 * account kind is chosen with conditions on AWS::AccountId, so a single stack set covers all.
 */
export function addEventBus(
  stack: Stack,
  bus: BusTopologyView,
  special: SpecialAccountIds,
  organizationId: string,
  options: { readonly alarmNotifications: boolean; readonly monitoringSinkArn?: string },
): void {
  const conditions = kindConditions(stack, special);
  const eventBus = new CfnEventBus(stack, 'EventBus', {
    name: bus.busName,
    description: 'orgbridge: cross-account requests and replies',
  });

  // One EventBusPolicy resource per distinct sender set; each applies to the kinds sharing it.
  const groups = new Map<string, { senders: BusSendersView; kinds: AccountKind[] }>();
  for (const [kind, senders] of Object.entries(bus.senders) as [AccountKind, BusSendersView][]) {
    const key = JSON.stringify(senders);
    const group = groups.get(key) ?? { senders, kinds: [] };
    group.kinds.push(kind);
    groups.set(key, group);
  }
  let n = 0;
  for (const { senders, kinds } of groups.values()) {
    n++;
    const condition = anyOf(stack, `BusPolicy${n}Applies`, kinds, conditions);
    if (senders.type === 'organization') {
      const policy = new CfnEventBusPolicy(stack, `BusPolicyOrganization${n}`, {
        eventBusName: bus.busName,
        statementId: 'allow-from-organization',
        statement: {
          Sid: 'allow-from-organization',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: localBusArn(bus.busName),
          Condition: { StringEquals: { 'aws:PrincipalOrgID': organizationId } },
        },
      });
      policy.addResourceDependency(eventBus);
      if (condition) policy.cfnOptions.condition = condition;
    } else {
      senders.accountIds.forEach((accountId, i) => {
        const policy = allowPutEventsFrom(stack, `BusPolicy${n}Account${i + 1}`, bus.busName, accountId);
        policy.addResourceDependency(eventBus);
        if (condition) policy.cfnOptions.condition = condition;
      });
    }
  }

  const deadLetter = addTargetDeadLetterQueue(stack, bus);

  // The audit bus accepts the whole organization, so forwarding needs a role (the EventBridge
  // design, caveat 1).
  const role = addForwarderRole(stack, 'AuditForwarderRole', [
    ...roleTargetArns([bus.auditForward]),
    ...(options.alarmNotifications ? [alarmsBusArn(special.audit)] : []),
  ]);
  if (role) role.cfnOptions.condition = conditions.notAudit;
  const forward = addRule(stack, bus.auditForward, new Map(), role, deadLetter);
  forward.addResourceDependency(eventBus);
  forward.cfnOptions.condition = conditions.notAudit;
  if (options.alarmNotifications && role) {
    // The audit account's alarms go to its topic from its own default bus (handlers-audit).
    addAlarmForward(stack, special.audit, role, deadLetter).cfnOptions.condition = conditions.notAudit;
  }
  // The audit account is the monitoring account: it does not link to its own sink.
  if (options.monitoringSinkArn) {
    addMonitoringLink(stack, options.monitoringSinkArn).cfnOptions.condition = conditions.notAudit;
  }
}

/**
 * The dead-letter queue of every rule target of the account (EVENT_TARGET_DLQ): created here,
 * with the bus, because every other template's rules come later and name it by ARN. EventBridge
 * sends to it as `events.amazonaws.com` from the failing rule, so the policy lets in exactly the
 * rules of this account's orgbridge buses (`rule/<bus>*` covers the forward shards and the
 * outbox) ("Granting permissions to the dead-letter queue",
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html#eb-rule-dlq).
 * SQS-managed encryption: EventBridge cannot send to a queue encrypted with the AWS managed KMS key.
 * Nobody else may send (a forged dead letter would look like a lost request); operators read it
 * with their own principal, so receiving is not restricted (OB-SEC-7 suppression).
 */
function addTargetDeadLetterQueue(stack: Stack, bus: BusTopologyView): CfnQueue {
  const queue = deletedWithStack(
    new CfnQueue(stack, 'EventTargetDeadLetterQueue', {
      queueName: bus.targetDeadLetter.name,
      sqsManagedSseEnabled: true,
      messageRetentionPeriod: bus.targetDeadLetter.retentionSeconds,
      // EventBridge sends to it (sqs:SendMessage); no queue dead-letters into it.
      redriveAllowPolicy: NOT_A_DEAD_LETTER_QUEUE,
    }),
  );
  addDeadLetterQueueAlarms(stack, {
    queue,
    name: bus.targetDeadLetter.name,
    retentionSeconds: bus.targetDeadLetter.retentionSeconds,
    contents: 'events a rule could not deliver',
    remedy: `Run \`orgbridge dlq show \${AWS::AccountId}/${bus.targetDeadLetter.name}\` for EventBridge's error, fix the rule's target, then send the request again (these have no source queue to redrive to).`,
  });
  // The alarm rules are on the default bus (rule/<name>) and the alarms bus; they share the DLQ.
  const rules = [
    Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${bus.busName}*`),
    alarmRuleArnPattern(),
  ];
  new CfnQueuePolicy(stack, 'EventTargetDeadLetterQueuePolicy', {
    queues: [queue.ref],
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        ruleTargetDeadLetterStatement(queue.attrArn, rules),
        denySendExceptRulesStatement(queue.attrArn, { ruleArnPattern: rules }),
        denyInsecureTransport([queue.attrArn], 'sqs:*'),
      ],
    },
  });
  return queue;
}

interface KindConditions {
  readonly is: Readonly<Record<SpecialAccountKind, CfnCondition>>;
  readonly member: CfnCondition;
  readonly notAudit: CfnCondition;
}

function kindConditions(stack: Stack, special: SpecialAccountIds): KindConditions {
  const is = {} as Record<SpecialAccountKind, CfnCondition>;
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    is[kind] = new CfnCondition(stack, `Is${logicalId(kind)}Account`, {
      expression: Fn.conditionEquals(Fn.ref('AWS::AccountId'), special[kind]),
    });
  }
  const member = new CfnCondition(stack, 'IsMemberAccount', {
    expression: Fn.conditionNot(Fn.conditionOr(...SPECIAL_ACCOUNT_KINDS.map((k) => is[k]))),
  });
  const notAudit = new CfnCondition(stack, 'IsNotAuditAccount', {
    expression: Fn.conditionNot(is.audit),
  });
  return { is, member, notAudit };
}

/** A condition true in the accounts of any of `kinds`; undefined when that is every account. */
function anyOf(
  stack: Stack,
  id: string,
  kinds: readonly AccountKind[],
  conditions: KindConditions,
): CfnCondition | undefined {
  if (kinds.length === SPECIAL_ACCOUNT_KINDS.length + 1) return undefined;
  const parts = kinds.map((k) => (k === 'member' ? conditions.member : conditions.is[k]));
  if (parts.length === 1) return parts[0];
  return new CfnCondition(stack, id, { expression: Fn.conditionOr(...parts) });
}
