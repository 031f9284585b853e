import { Fn, type Stack } from 'aws-cdk-lib';
import { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { logicalId } from './common.js';

/**
 * The CloudWatch alarms of every dead-letter queue and handler function (docs/operations.md,
 * "Alarms"). They carry no alarm action: an alarm's state change is an event on the account's
 * default bus ("CloudWatch Alarm State Change",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html),
 * which is what the notifications route on, by the `orgbridge-` name prefix. Guardrail OB-OPS-1
 * (../guardrails.ts) fails a template whose DLQ or function lacks one of them.
 */
export const ALARM_PREFIX = 'orgbridge-';

/** SQS and Lambda publish these metrics every minute; five of them smooth one slow poll. */
const PERIOD_SECONDS = 300;

/**
 * The oldest message of a DLQ alarms after this long, well inside what it has left. SQS expires a
 * dead-lettered message by its ORIGINAL enqueue time, while ApproximateAgeOfOldestMessage counts
 * from its move to the DLQ
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html):
 * a message that spent the source queue's whole retention there has only the difference left.
 * A third of that leaves two thirds to redrive after the alarm; OB-OPS-1 checks the bound.
 */
export function dlqAgeThresholdSeconds(dlqRetentionSeconds: number, sourceRetentionSeconds = 0): number {
  return Math.floor((dlqRetentionSeconds - sourceRetentionSeconds) / 3);
}

/** `orgbridge-<name>-<what>`; the names of orgbridge's queues and functions already carry the prefix. */
function alarmName(resourceName: string, what: string): string {
  const base = resourceName.startsWith(ALARM_PREFIX) ? resourceName : `${ALARM_PREFIX}${resourceName}`;
  return `${base}-${what}`;
}

/**
 * Audit copies per 5 minutes above which the audit store is flooded: every account may send a
 * few requests and their answers at once (a plan run touches each), ten events an account in
 * five minutes is far beyond that, and a thousand leaves room for a small organization's burst.
 */
export function auditFloodThreshold(accounts: number): number {
  return Math.max(1_000, 10 * accounts);
}

/**
 * Answers waiting in the cicd account's reply queue. A waiting pipeline claims its answers as they
 * arrive, so the queue stays short even while thousands of accounts are provisioned; many
 * unclaimed answers mean a member putting made-up answer events on the cicd bus (it accepts the
 * organization, docs/security.md "Known limits") or pipelines that stopped waiting. One per
 * account is well above the first, and a thousand leaves room for a small organization.
 */
export function replyBacklogThreshold(accounts: number): number {
  return Math.max(1_000, accounts);
}

export function addReplyBacklogAlarm(
  stack: Stack,
  replies: CfnQueue,
  queueName: string,
  accounts: number,
): void {
  const threshold = replyBacklogThreshold(accounts);
  addAlarm(stack, {
    id: 'ReplyBacklogAlarm',
    name: alarmName(queueName, 'backlog'),
    description: `orgbridge: more than ${threshold} answers waited in ${queueName} of \${AWS::AccountId} for 15 minutes; real answers are delayed and pipeline requests may time out. \`orgbridge events --type REQUEST_COMPLETED\` (and the other answer types) names the account putting them (docs/operations.md, "Alarms").`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: [{ name: 'QueueName', value: replies.attrQueueName }],
    statistic: 'Maximum',
    threshold,
    evaluationPeriods: 3,
  });
}

interface AlarmSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly namespace: 'AWS/SQS' | 'AWS/Lambda' | 'AWS/Events';
  readonly metricName: string;
  readonly dimensions: readonly { readonly name: string; readonly value: string }[];
  readonly statistic: 'Maximum' | 'Sum';
  readonly threshold: number;
  /** Consecutive periods over the threshold before it fires; 1 unless given. */
  readonly evaluationPeriods?: number;
}

function addAlarm(stack: Stack, spec: AlarmSpec): CfnAlarm {
  return new CfnAlarm(stack, spec.id, {
    alarmName: spec.name,
    // Fn::Sub: the description names the account, so the command it gives can be pasted.
    alarmDescription: Fn.sub(spec.description),
    namespace: spec.namespace,
    metricName: spec.metricName,
    dimensions: [...spec.dimensions],
    statistic: spec.statistic,
    period: PERIOD_SECONDS,
    evaluationPeriods: spec.evaluationPeriods ?? 1,
    threshold: spec.threshold,
    comparisonOperator: 'GreaterThanThreshold',
    // An empty DLQ goes quiet: SQS stops publishing the metrics of a queue inactive for six
    // hours (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html),
    // and Lambda publishes nothing for a function not invoked. No data is not a failure.
    treatMissingData: 'notBreaching',
  });
}

export interface DeadLetterQueueAlarmTarget {
  readonly queue: CfnQueue;
  readonly name: string;
  readonly retentionSeconds: number;
  /** Retention of the queue that dead-letters into it; absent for the rule-target DLQ. */
  readonly sourceRetentionSeconds?: number;
  /** What lands there, after "messages in <queue> of <account>: ". */
  readonly contents: string;
  /** What to run; a sentence or two, `${AWS::AccountId}` for the account. */
  readonly remedy: string;
}

/**
 * Two alarms per DLQ: any visible message (something failed for good), and the oldest message
 * nearing expiry (the first alarm was seen and left; SQS will delete the message silently).
 */
export function addDeadLetterQueueAlarms(stack: Stack, dlq: DeadLetterQueueAlarmTarget): void {
  const id = logicalId(dlq.name);
  const dimension = { name: 'QueueName', value: dlq.queue.attrQueueName };
  const threshold = dlqAgeThresholdSeconds(dlq.retentionSeconds, dlq.sourceRetentionSeconds);
  addAlarm(stack, {
    id: `${id}VisibleAlarm`,
    name: alarmName(dlq.name, 'visible'),
    description: `orgbridge: messages in ${dlq.name} of \${AWS::AccountId}: ${dlq.contents}. ${dlq.remedy} See docs/operations.md, "Alarms".`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateNumberOfMessagesVisible',
    dimensions: [dimension],
    statistic: 'Maximum',
    threshold: 0,
  });
  addAlarm(stack, {
    id: `${id}AgeAlarm`,
    name: alarmName(dlq.name, 'oldest-age'),
    description: `orgbridge: a message has waited over ${Math.round(threshold / 3600)} h in ${dlq.name} of \${AWS::AccountId}; SQS deletes it unread when its retention ends. ${dlq.remedy} See docs/operations.md, "Alarms".`,
    namespace: 'AWS/SQS',
    metricName: 'ApproximateAgeOfOldestMessage',
    dimensions: [dimension],
    statistic: 'Maximum',
    threshold,
  });
}

/**
 * Errors: the invocation itself failed (a crash, a timeout, out of memory), not one message:
 * a message that fails alone is reported as a partial batch failure and ends in the DLQ.
 * Throttles: Lambda refused to run the function; the event source mapping backs off and retries,
 * but every retry is a receive, so sustained throttling dead-letters requests
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html).
 */
export function addFunctionAlarms(stack: Stack, fn: CfnFunction, functionName: string): void {
  const dimension = { name: 'FunctionName', value: fn.ref };
  const logs = `/aws/lambda/${functionName}`;
  addAlarm(stack, {
    id: `${logicalId(functionName)}ErrorsAlarm`,
    name: alarmName(functionName, 'errors'),
    description: `orgbridge: ${functionName} of \${AWS::AccountId} failed whole invocations (crash, timeout or memory): read ${logs}; the messages of the batch are retried and may reach orgbridge-handler-dlq.`,
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: [dimension],
    statistic: 'Sum',
    threshold: 0,
  });
  addAlarm(stack, {
    id: `${logicalId(functionName)}ThrottlesAlarm`,
    name: alarmName(functionName, 'throttles'),
    description: `orgbridge: Lambda throttled ${functionName} of \${AWS::AccountId}: the account's concurrency is exhausted (Lambda quotas); retried requests may reach orgbridge-handler-dlq.`,
    namespace: 'AWS/Lambda',
    metricName: 'Throttles',
    dimensions: [dimension],
    statistic: 'Sum',
    threshold: 0,
  });
}

/**
 * Events matched by the audit account's audit store rule (EventBridge's MatchedEvents, with the
 * bus and rule as dimensions for a custom bus,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html) above
 * `auditFloodThreshold` for 15 minutes: a request loop, a forger, or a runaway caller is filling
 * the object-locked store, which cannot be cleaned up before its retention ends.
 */
export function addAuditFloodAlarm(
  stack: Stack,
  rule: { readonly busName: string; readonly name: string },
  accounts: number,
): void {
  const threshold = auditFloodThreshold(accounts);
  addAlarm(stack, {
    id: 'AuditFloodAlarm',
    name: `${ALARM_PREFIX}audit-flood`,
    description: `orgbridge: more than ${threshold} events in 5 minutes, for 15 minutes, reached the audit store of \${AWS::AccountId} (rule ${rule.name}): look for a request loop or an unknown sender among the newest objects of the store (docs/operations.md, "Alarms"); it is object-locked and keeps what it receives.`,
    namespace: 'AWS/Events',
    metricName: 'MatchedEvents',
    dimensions: [
      { name: 'EventBusName', value: rule.busName },
      { name: 'RuleName', value: rule.name },
    ],
    statistic: 'Sum',
    threshold,
    evaluationPeriods: 3,
  });
}
