import type { Stack } from 'aws-cdk-lib';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { RuleTargetView, RuleView } from '../topology-view.js';
import { cfnJson, logicalId, serviceTrust } from './common.js';

/**
 * A rule of the topology as an AWS::Events::Rule. Queue targets point at queues of the same
 * template (by name); bus targets at another bus, through `forwarderRole` where the topology says
 * EventBridge needs one (the receiving bus grants the organization, or it is in this account).
 * Every target has the account's dead-letter queue and an explicit retry policy
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-event-delivery.html): a
 * delivery that keeps failing lands there instead of being dropped. `deadLetterQueue` is the DLQ
 * resource when this template creates it; otherwise the target names it by ARN.
 */
export function addRule(
  stack: Stack,
  rule: RuleView,
  queues: ReadonlyMap<string, CfnQueue>,
  forwarderRole?: CfnRole,
  deadLetterQueue?: CfnQueue,
): CfnRule {
  const delivery = (target: RuleTargetView) => ({
    deadLetterConfig: { arn: deadLetterQueue ? deadLetterQueue.attrArn : cfnJson(target.deadLetterArn) },
    retryPolicy: {
      maximumRetryAttempts: target.retry.maximumRetryAttempts,
      maximumEventAgeInSeconds: target.retry.maximumEventAgeSeconds,
    },
  });
  const targets = rule.targets.map((target) => {
    if (target.type === 'bus') {
      if (target.role && !forwarderRole)
        throw new Error(`rule ${rule.name} forwards to ${target.arn}, which needs a forwarder role`);
      return {
        id: target.id,
        arn: cfnJson(target.arn),
        ...(target.role && forwarderRole ? { roleArn: forwarderRole.attrArn } : {}),
        ...delivery(target),
      };
    }
    const queue = queues.get(target.queueName);
    if (!queue)
      throw new Error(`rule ${rule.name} targets queue ${target.queueName}, which this template lacks`);
    return {
      id: target.id,
      arn: queue.attrArn,
      ...(target.inputTransformer
        ? {
            inputTransformer: {
              inputPathsMap: { ...target.inputTransformer.inputPathsMap },
              inputTemplate: target.inputTransformer.inputTemplate,
            },
          }
        : {}),
      ...delivery(target),
    };
  });
  return new CfnRule(stack, `Rule${logicalId(rule.name)}`, {
    name: rule.name,
    // The bus by name, never `Ref` of the bus resource: moto resolves that Ref to garbage.
    eventBusName: rule.busName,
    description: rule.description,
    eventPattern: cfnJson(rule.eventPattern),
    state: 'ENABLED',
    targets,
  });
}

/** The buses `rules` forward to through a role, each once, in order. */
export function roleTargetArns(rules: readonly RuleView[]): string[] {
  const arns = rules.flatMap((r) => r.targets.flatMap((t) => (t.type === 'bus' && t.role ? [t.arn] : [])));
  return [...new Set(arns)];
}

/**
 * The role EventBridge assumes to put events on the buses `targetArns` (by name, no condition
 * key: `events:PutEvents` documents none that names the target's organization, and the exact
 * ARNs are narrower anyway). Only buses that grant the organization need one, a handful per
 * template (the cicd, DNS and audit buses), so the policy stays small at 5,000 accounts; the
 * forward rules to member buses, which grant the cicd account by name, go without a role.
 * Undefined when no rule of the template needs it.
 */
export function addForwarderRole(
  stack: Stack,
  id: string,
  targetArns: readonly string[],
): CfnRole | undefined {
  if (targetArns.length === 0) return undefined;
  return new CfnRole(stack, id, {
    description: "orgbridge: lets EventBridge put events on the buses this template's rules forward to",
    assumeRolePolicyDocument: serviceTrust('events.amazonaws.com'),
    policies: [
      {
        policyName: 'put-events-to-target-buses',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'PutEventsToTargetBuses',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: targetArns.length === 1 ? cfnJson(targetArns[0]) : targetArns.map(cfnJson),
            },
          ],
        },
      },
    ],
  });
}
