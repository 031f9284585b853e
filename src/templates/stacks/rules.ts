import { Fn, type Stack } from 'aws-cdk-lib';
import { CfnRule } from 'aws-cdk-lib/aws-events';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import type { RuleView } from '../topology-view.js';
import { cfnJson, logicalId } from './common.js';

/**
 * A rule of the topology as an AWS::Events::Rule. Queue targets point at queues of the same
 * template (by name); bus targets at another account's bus, sent through `forwarderRole` when
 * given (required when the receiving bus grants the organization rather than this account).
 */
export function addRule(
  stack: Stack,
  rule: RuleView,
  queues: ReadonlyMap<string, CfnQueue>,
  forwarderRole?: CfnRole,
): CfnRule {
  const targets = rule.targets.map((target) => {
    if (target.type === 'bus') {
      return {
        id: target.id,
        arn: cfnJson(target.arn),
        ...(forwarderRole ? { roleArn: forwarderRole.attrArn } : {}),
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

/**
 * The role EventBridge assumes to put events on other accounts' buses. Scoped to buses of this
 * organization with the given name, so its policy stays the same size at 5,000 accounts (an
 * inline role policy is at most 10,240 characters: listing every bus would not fit).
 */
export function addForwarderRole(
  stack: Stack,
  id: string,
  busNames: readonly string[],
  organizationId: string,
): CfnRole {
  return new CfnRole(stack, id, {
    description: 'orgbridge: lets EventBridge forward events to buses of this organization',
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': Fn.ref('AWS::AccountId') } },
        },
      ],
    },
    policies: [
      {
        policyName: 'put-events-to-organization-buses',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'PutEventsToOrganizationBuses',
              Effect: 'Allow',
              Action: 'events:PutEvents',
              Resource: busNames.map((name) => Fn.sub(`arn:\${AWS::Partition}:events:*:*:event-bus/${name}`)),
              Condition: { StringEquals: { 'aws:ResourceOrgID': organizationId } },
            },
          ],
        },
      },
    ],
  });
}
