import { createHash } from 'node:crypto';
import { Aws, Fn, type Stack } from 'aws-cdk-lib';
import { CfnSlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { CfnEventBus, CfnEventBusPolicy, CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnAlias, CfnKey } from 'aws-cdk-lib/aws-kms';
import { CfnSubscription, CfnTopic, CfnTopicPolicy } from 'aws-cdk-lib/aws-sns';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { NotificationSettings } from '../../config/model.js';
import { EVENT_TARGET_DLQ } from '../../protocol/topology.js';
import { ALARM_PREFIX } from './alarms.js';
import { deletedWithStack, denyInsecureTransport, localBusArn } from './common.js';

/**
 * Where the alarms of every account go (docs/operations.md, "Notifications"). An alarm state
 * change is an event on the default bus of the alarm's account ("CloudWatch Alarm State Change",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 * A rule there forwards orgbridge's to the `orgbridge-alarms` bus of the audit account, where a
 * rule publishes them to the `orgbridge-alarms` topic; the audit account's own alarms go from its
 * default bus to the topic directly. Each forward is the event's first hop, so EventBridge
 * delivers it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html).
 */
export const ALARMS_BUS = 'orgbridge-alarms';
export const ALARMS_TOPIC = 'orgbridge-alarms';
/** Every alarm rule is named so; the rule-target DLQ lets exactly these and the bus's rules send. */
export const ALARM_RULE_PREFIX = 'orgbridge-alarms';

/** EventBridge's own defaults, explicit (OB-REL-2): an alarm older than a day is news no more. */
const ALARM_RETRY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 };

/** The account's rule-target DLQ (created by the event bus template). */
const eventsDeadLetterArn = () =>
  Fn.sub(`arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${EVENT_TARGET_DLQ}`);

/** The rules allowed to dead-letter into the rule-target DLQ besides the bus's own. */
export const alarmRuleArnPattern = () =>
  Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${ALARM_RULE_PREFIX}*`);

/** The audit account's alarms bus, from any account. */
export const alarmsBusArn = (auditAccountId: string) =>
  Fn.sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:${auditAccountId}:event-bus/${ALARMS_BUS}`);

/** Alarm state changes of orgbridge's alarms; `ownAccount` pins the source account (a forward). */
function alarmPattern(ownAccount: boolean): Record<string, unknown> {
  return {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    ...(ownAccount ? { account: [Aws.ACCOUNT_ID] } : {}),
    detail: { alarmName: [{ prefix: ALARM_PREFIX }] },
  };
}

/**
 * The forward of this account's alarm state changes to the audit account (every account but the
 * audit one; the event bus template). The alarms bus grants the organization, so EventBridge puts
 * with `role`, as for the audit copy.
 */
export function addAlarmForward(
  stack: Stack,
  auditAccountId: string,
  role: CfnRole,
  deadLetter: CfnQueue,
): CfnRule {
  return new CfnRule(stack, 'RuleAlarmsToAudit', {
    name: `${ALARM_RULE_PREFIX}-to-audit`,
    description: "orgbridge: this account's alarm state changes, to the audit account's alarms bus",
    // No EventBusName: AWS services put their events on the default bus.
    eventPattern: alarmPattern(true),
    state: 'ENABLED',
    targets: [
      {
        id: 'alarms-bus',
        arn: alarmsBusArn(auditAccountId),
        roleArn: role.attrArn,
        deadLetterConfig: { arn: deadLetter.attrArn },
        retryPolicy: ALARM_RETRY,
      },
    ],
  });
}

export interface AlarmNotificationOptions {
  readonly organizationId: string;
  readonly notifications: NotificationSettings | undefined;
}

/**
 * The audit account's side: the alarms bus (any account of the organization may put on it), the
 * topic, encrypted with a key of its own, its two feeding rules and the subscriptions of the DSL.
 */
export function addAlarmNotifications(stack: Stack, options: AlarmNotificationOptions): CfnTopic {
  const bus = new CfnEventBus(stack, 'AlarmsBus', {
    name: ALARMS_BUS,
    description: "orgbridge: every account's alarm state changes, for the alarms topic",
  });
  new CfnEventBusPolicy(stack, 'AlarmsBusPolicy', {
    eventBusName: ALARMS_BUS,
    statementId: 'allow-from-organization',
    statement: {
      Sid: 'allow-from-organization',
      Effect: 'Allow',
      Principal: '*',
      Action: 'events:PutEvents',
      Resource: localBusArn(ALARMS_BUS),
      Condition: { StringEquals: { 'aws:PrincipalOrgID': options.organizationId } },
    },
  }).addResourceDependency(bus);

  const key = addTopicKey(stack);
  const topic = new CfnTopic(stack, 'AlarmsTopic', {
    topicName: ALARMS_TOPIC,
    displayName: 'orgbridge alarms',
    kmsMasterKeyId: key.attrArn,
  });
  const target = {
    id: 'alarms-topic',
    arn: topic.ref,
    deadLetterConfig: { arn: eventsDeadLetterArn() },
    retryPolicy: ALARM_RETRY,
  };
  const fromBus = new CfnRule(stack, 'RuleAlarmsToTopic', {
    name: `${ALARM_RULE_PREFIX}-to-topic`,
    eventBusName: ALARMS_BUS,
    description: "orgbridge: every account's alarm state changes, to the alarms topic",
    eventPattern: alarmPattern(false),
    state: 'ENABLED',
    targets: [target],
  });
  fromBus.addResourceDependency(bus);
  const local = new CfnRule(stack, 'RuleAlarmsLocal', {
    name: `${ALARM_RULE_PREFIX}-local`,
    description: "orgbridge: the audit account's own alarm state changes, to the alarms topic",
    eventPattern: alarmPattern(true),
    state: 'ENABLED',
    targets: [target],
  });
  new CfnTopicPolicy(stack, 'AlarmsTopicPolicy', {
    topics: [topic.ref],
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          // Only the two rules: no other principal, account or rule may publish to the topic
          // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
          Sid: 'AllowOrgbridgeAlarmRules',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: topic.ref,
          Condition: { ArnEquals: { 'aws:SourceArn': [fromBus.attrArn, local.attrArn] } },
        },
        denyInsecureTransport([topic.ref], 'sns:Publish'),
      ],
    },
  });
  addSubscriptions(stack, topic, options.notifications);
  addSlackChannels(stack, topic, options.notifications?.slack ?? []);
  return topic;
}

/** Chatbot's notifications-only role: it reads alarms and metrics to render them, nothing else. */
export const CHATBOT_ROLE = 'orgbridge-chatbot-notifications';
const CHATBOT_READ_ACTIONS = ['cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*'];

/**
 * One Amazon Q Developer in chat applications (AWS Chatbot) channel configuration per Slack
 * channel, subscribed to the topic (Chatbot subscribes itself; SNS decrypts an encrypted topic's
 * messages before delivering them, so the key needs no grant for it:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html). The role Chatbot
 * assumes may only read CloudWatch, and the channel guardrail is CloudWatch's read-only managed
 * policy, so no one in the channel can change anything through it
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/chatbot-iam-policies.html).
 */
function addSlackChannels(
  stack: Stack,
  topic: CfnTopic,
  channels: readonly { readonly workspace_id: string; readonly channel_id: string }[],
): void {
  if (!channels.length) return;
  const role = new CfnRole(stack, 'ChatbotRole', {
    roleName: CHATBOT_ROLE,
    description: 'orgbridge: AWS Chatbot renders the alarms of the orgbridge-alarms topic (read-only)',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'chatbot.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    },
    policies: [
      {
        policyName: 'read-alarms',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: CHATBOT_READ_ACTIONS, Resource: '*' }],
        },
      },
    ],
  });
  for (const channel of channels) {
    new CfnSlackChannelConfiguration(stack, `AlarmsSlack${channel.channel_id}`, {
      configurationName: `orgbridge-alarms-${channel.channel_id}`,
      iamRoleArn: role.attrArn,
      slackWorkspaceId: channel.workspace_id,
      slackChannelId: channel.channel_id,
      snsTopicArns: [topic.ref],
      guardrailPolicies: [Fn.sub(`arn:\${AWS::Partition}:iam::aws:policy/CloudWatchReadOnlyAccess`)],
      loggingLevel: 'ERROR',
      userRoleRequired: false,
    });
  }
}

/**
 * A customer managed key: EventBridge cannot publish to a topic encrypted with the AWS managed
 * key `aws/sns`, whose policy cannot grant it; the key policy must let events.amazonaws.com
 * generate data keys and decrypt
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 */
function addTopicKey(stack: Stack): CfnKey {
  const key = deletedWithStack(
    new CfnKey(stack, 'AlarmsTopicKey', {
      description: 'orgbridge: encrypts the alarms topic',
      enableKeyRotation: true,
      keyPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            // Without it the key could become unmanageable (the KMS default key policy).
            Sid: 'AccountAdministersTheKey',
            Effect: 'Allow',
            Principal: { AWS: Fn.sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`) },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'EventBridgePublishesToTheAlarmsTopic',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Resource: '*',
          },
        ],
      },
    }),
  );
  new CfnAlias(stack, 'AlarmsTopicKeyAlias', { aliasName: `alias/${ALARMS_TOPIC}`, targetKeyId: key.ref });
  return key;
}

/**
 * One subscription per endpoint, its logical id from the endpoint itself: removing one address
 * leaves the others' subscriptions (and their confirmations) in place.
 */
function addSubscriptions(
  stack: Stack,
  topic: CfnTopic,
  notifications: NotificationSettings | undefined,
): void {
  const endpoints = [
    ...(notifications?.email ?? []).map((endpoint) => ({ protocol: 'email', endpoint })),
    ...(notifications?.https ?? []).map((endpoint) => ({ protocol: 'https', endpoint })),
  ];
  for (const { protocol, endpoint } of endpoints) {
    const digest = createHash('sha256').update(`${protocol}:${endpoint}`).digest('hex').slice(0, 12);
    new CfnSubscription(stack, `AlarmsSubscription${digest}`, { topicArn: topic.ref, protocol, endpoint });
  }
}
