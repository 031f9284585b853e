import type { Stack } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { ROLE_NAMES } from '../../protocol/names.js';
import { EVENT_TARGET_DLQ, REPLY_QUEUE } from '../../protocol/topology.js';
import type { KindTopologyView } from '../topology-view.js';
import { accountRootPrincipal, policyDocument, principalTrust } from './common.js';

/**
 * `orgbridge-dlq-operator`: what `orgbridge dlq list | show | redrive` assumes in each account,
 * from the management account (where an operator runs orgbridge). It reads the dead-letter
 * queues and the handlers' failure records, and moves DLQ messages back to their source queue.
 *
 * A redrive needs sqs:StartMessageMoveTask, ReceiveMessage, DeleteMessage and GetQueueAttributes
 * on the DLQ and SendMessage on the destination (the source queue)
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
 * A handler queue policy that denies sqs:SendMessage to everyone but EventBridge and the handler
 * role must therefore except this role too (its ARN, `aws:PrincipalArn`), or redrive fails with
 * AccessDenied; see docs/operations.md.
 *
 * Whoever can send to a handler queue can write any envelope, `account` included, and the
 * handler takes that field as the sender (docs/security.md). In the management account that is
 * Organizations writes (CREATE_ACCOUNT, SYNC_SCPS as the cicd account) for any principal there
 * that may call sts:AssumeRole, PowerUserAccess included, which Organizations itself refuses.
 * So the role trusts only `operators` (aws:PrincipalArn, ArnLike) when the config names them,
 * and without them it may not send to the management handler queue: `redrive` is false there.
 */
export function addDlqOperatorRole(
  stack: Stack,
  topology: KindTopologyView,
  trust: {
    readonly managementAccountId: string;
    readonly operators?: readonly string[];
    readonly redrive: boolean;
  },
): CfnRole {
  const queueArn = (name: string) => `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${name}`;
  const sources = [topology.handlerQueue, ...topology.extraQueues];
  const dlqs = [...sources.map((q) => q.dlqName), EVENT_TARGET_DLQ];
  // aws:PrincipalArn of a role session is the role's ARN, path included
  // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
  const assume = principalTrust(
    accountRootPrincipal(trust.managementAccountId),
    trust.operators?.length ? { ArnLike: { 'aws:PrincipalArn': [...trust.operators] } } : undefined,
  );
  return new CfnRole(stack, 'DlqOperatorRole', {
    roleName: ROLE_NAMES.dlqOperator,
    description: 'orgbridge: orgbridge dlq list, show and redrive, from the management account',
    assumeRolePolicyDocument: assume,
    policies: [
      {
        policyName: 'dead-letter-queues',
        policyDocument: policyDocument([
          {
            sid: 'ReadAndRedriveDeadLetterQueues',
            actions: [
              'sqs:GetQueueUrl',
              'sqs:GetQueueAttributes',
              'sqs:ReceiveMessage',
              'sqs:ChangeMessageVisibility',
              'sqs:DeleteMessage',
              'sqs:StartMessageMoveTask',
              'sqs:ListMessageMoveTasks',
              'sqs:CancelMessageMoveTask',
            ],
            resources: dlqs.map(queueArn),
          },
          ...(trust.redrive
            ? [
                {
                  sid: 'SendBackToSourceQueues',
                  actions: ['sqs:GetQueueUrl', 'sqs:SendMessage'],
                  // Not the reply queue: its dead letters are answers no pipeline waits for any
                  // more, and its policy lets nothing but EventBridge's rules send there.
                  resources: sources.filter((q) => q.name !== REPLY_QUEUE).map((q) => queueArn(q.name)),
                },
              ]
            : []),
          {
            sid: 'ReadFailureRecords',
            actions: ['dynamodb:GetItem'],
            resources: [
              `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${topology.idempotencyTable}`,
            ],
          },
        ]),
      },
    ],
  });
}
