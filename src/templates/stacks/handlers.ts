import { Fn, type Stack } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnEventBus } from 'aws-cdk-lib/aws-events';
import { CfnManagedPolicy, CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnEventSourceMapping, CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnQueue, CfnQueuePolicy } from 'aws-cdk-lib/aws-sqs';
import { CUSTOMIZATION_BOUNDARY_POLICY } from '../../config/customization-iam.js';
import type { AccountKind } from '../../config/model.js';
import {
  artifactBucketName,
  DNS_HANDLER_INSTANCES,
  dlqOperatorRedrives,
  FUNCTION_NAMES,
  ROLE_NAMES,
  SSM_PATH,
} from '../../protocol/names.js';
import {
  HANDLER_BATCHING_WINDOW_SECONDS,
  HANDLER_TIMEOUT_SECONDS,
  handlerQueuePolicyStatements,
  REPLY_QUEUE,
} from '../../protocol/topology.js';
import type { SpecialAccountIds } from '../inputs.js';
import {
  CUSTOMIZATION_BOUNDARY_STATEMENTS,
  CUSTOMIZATION_DRIFT_STATEMENTS,
  mergedStatements,
  type PolicyStatement,
  serviceRoleStatements,
  statementsFor,
} from '../permissions.js';
import type { KindTopologyView, QueueView } from '../topology-view.js';
import { addDeadLetterQueueAlarms, addFunctionAlarms } from './alarms.js';
import {
  accountRootPrincipal,
  allowPutEventsFrom,
  deletedWithStack,
  denyInsecureTransport,
  logicalId,
  NOT_A_DEAD_LETTER_QUEUE,
  policyDocument,
  principalTrust,
  serviceTrust,
} from './common.js';
import { addDlqOperatorRole } from './operator.js';
import { addForwarderRole, addRule, roleTargetArns } from './rules.js';

/** The Lambda runtime of every handler; the bundles target Node 20 syntax, which it runs. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

/**
 * At most this many batches in flight per kind (Lambda's SQS MaximumConcurrency, minimum 2).
 * Management: Organizations allows 5 CreateAccount in progress and serialises many writes. DNS:
 * each instance paces itself at its share of Route 53's rate (src/handlers/dns/rate-limit.ts).
 */
export const HANDLER_MAX_CONCURRENCY: Readonly<Partial<Record<AccountKind, number>>> = {
  management: 5,
  dns: DNS_HANDLER_INSTANCES,
};

export interface HandlerOptions {
  readonly kind: AccountKind;
  readonly topology: KindTopologyView;
  readonly busName: string;
  readonly eventSource: string;
  readonly special: SpecialAccountIds;
  readonly organizationId: string;
  /**
   * The DSL's `organization.root_ou` and `morgue_ou`. The management handler enforces them on
   * every account write (src/runtime/lambda/management.ts refuses to start without them).
   */
  readonly placement: { readonly rootOu: string; readonly morgueOu: string };
  /** S3 key of the kind's bundle; required unless `local`. */
  readonly bundleKey: string | undefined;
  /**
   * Local (emulator) variant: no Lambda function and no event source mapping. moto cannot run
   * Lambda, and its event source mapping silently eats messages; the in-process poller of
   * src/runtime consumes the same queues instead.
   */
  readonly local: boolean;
  /** Extra statements for the handler role (e.g. the audit store bucket). */
  readonly extraStatements?: readonly PolicyStatement[];
  /**
   * Roles besides the handler's that may receive from and delete in the kind's queues and DLQs
   * (an operator's redrive role); everyone else is denied (docs/security.md).
   */
  readonly operatorRoleArns?: readonly string[];
  /** The DSL's `organization.operators`: who may assume orgbridge-dlq-operator (./operator.ts). */
  readonly operators?: readonly string[];
}

/**
 * The policy of every queue of a handler template and of its DLQ (addQueue's `<id>Dlq`): only EventBridge, from the rules of `ruleArnsByQueue`, sends (a DLQ: nobody,
 * SQS moves failed messages itself); only `consumers` receive, delete and change visibility;
 * TLS only. The reply queue is polled by the pipeline, whose principal is the operator's
 * (docs/deploy.md), so it keeps only the send deny (OB-SEC-7 suppression in ../guardrails.ts).
 * Each consumer given as `GetAtt` of a role makes CloudFormation create the role first.
 */
function addQueuePolicies(
  stack: Stack,
  queues: ReadonlyMap<string, CfnQueue>,
  ruleArnsByQueue: ReadonlyMap<string, readonly string[]>,
  roles: { readonly consumers: readonly string[]; readonly redrivers: readonly string[] },
): void {
  for (const [queueName, queue] of queues) {
    const pollers = queueName === REPLY_QUEUE ? undefined : roles.consumers;
    const policy = (
      id: string,
      ref: string,
      arn: string,
      ruleArns: readonly string[],
      senders: readonly string[],
    ) =>
      new CfnQueuePolicy(stack, id, {
        queues: [ref],
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            ...handlerQueuePolicyStatements(arn, ruleArns, {
              senders,
              ...(pollers ? { consumers: pollers } : {}),
            }),
            denyInsecureTransport([arn], 'sqs:*'),
          ],
        },
      });
    // A redrive sends the DLQ's messages back to the source queue as the operator's role
    // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html);
    // nobody sends to a DLQ: SQS moves failed messages itself.
    const redrivers = queueName === REPLY_QUEUE ? [] : roles.redrivers;
    policy(
      `${logicalId(queueName)}Policy`,
      queue.ref,
      queue.attrArn,
      ruleArnsByQueue.get(queueName) ?? [],
      redrivers,
    );
    const dlq = stack.node.findChild(`${logicalId(queueName)}Dlq`) as CfnQueue;
    policy(`${logicalId(queueName)}DlqPolicy`, dlq.ref, dlq.attrArn, [], []);
  }
}

export interface HandlerResources {
  readonly queues: ReadonlyMap<string, CfnQueue>;
  readonly role: CfnRole;
}

/** Queue + DLQ, encrypted; their policies come from addQueuePolicies. */
function addQueue(stack: Stack, view: QueueView): CfnQueue {
  const id = logicalId(view.name);
  const dlq = deletedWithStack(
    new CfnQueue(stack, `${id}Dlq`, {
      queueName: view.dlqName,
      sqsManagedSseEnabled: true,
      messageRetentionPeriod: view.dlqRetentionSeconds,
    }),
  );
  return deletedWithStack(
    new CfnQueue(stack, `${id}Queue`, {
      queueName: view.name,
      sqsManagedSseEnabled: true,
      visibilityTimeout: view.visibilityTimeoutSeconds,
      messageRetentionPeriod: view.messageRetentionSeconds,
      redrivePolicy: { deadLetterTargetArn: dlq.attrArn, maxReceiveCount: view.maxReceiveCount },
      redriveAllowPolicy: NOT_A_DEAD_LETTER_QUEUE,
    }),
  );
}

/**
 * The handler of one account kind: its queues fed by the topology's rules, idempotency table,
 * least-privilege role and (outside local mode) the Lambda function with its SQS event source.
 */
export function addHandler(stack: Stack, options: HandlerOptions): HandlerResources {
  const { kind, topology } = options;
  const queues = new Map<string, CfnQueue>();
  for (const view of [topology.handlerQueue, ...topology.extraQueues]) {
    queues.set(view.name, addQueue(stack, view));
    addDeadLetterQueueAlarms(stack, {
      queue: stack.node.findChild(`${logicalId(view.name)}Dlq`) as CfnQueue,
      name: view.dlqName,
      retentionSeconds: view.dlqRetentionSeconds,
      sourceRetentionSeconds: view.messageRetentionSeconds,
      contents: `what ${view.name} could not process`,
      remedy:
        view.name === REPLY_QUEUE
          ? // Answers nobody claimed: the pipeline that waited for them has gone (no redrive).
            `Run \`orgbridge dlq show \${AWS::AccountId}/${view.dlqName}\` to see which accounts answered what nobody waited for; a flood of them names the account putting them.`
          : `Run \`orgbridge dlq show \${AWS::AccountId}/${view.dlqName}\` for the last error, fix its cause, then \`orgbridge dlq redrive \${AWS::AccountId}/${view.dlqName} --execute\`.`,
    });
  }
  addPublishBuses(stack, topology);
  const ruleArnsByQueue = addRules(stack, topology, queues);
  addIdempotencyTable(stack, topology);
  const functionName = FUNCTION_NAMES.handler(kind);
  const logGroup = deletedWithStack(
    new CfnLogGroup(stack, 'HandlerLogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retentionInDays: 400,
    }),
  );
  const role = addHandlerRole(stack, options, functionName);
  // `orgbridge dlq` reads the DLQs and moves their messages back to the source queues as this role.
  // Without named operators, nobody may write into the management handler queue but EventBridge.
  const redrive = dlqOperatorRedrives(kind, options.operators);
  const operator = addDlqOperatorRole(stack, topology, {
    managementAccountId: options.special.management,
    ...(options.operators ? { operators: options.operators } : {}),
    redrive,
  });
  addQueuePolicies(stack, queues, ruleArnsByQueue, {
    consumers: [role.attrArn, operator.attrArn, ...(options.operatorRoleArns ?? [])],
    redrivers: [...(redrive ? [operator.attrArn] : []), ...(options.operatorRoleArns ?? [])],
  });
  addSsmReaderRole(stack, options.special.cicd);
  addStackServiceRoles(stack, kind, topology.handledDetailTypes);
  addCustomizationDeployer(stack, topology.handledDetailTypes, role);
  if (!options.local) addHandlerFunction(stack, options, { functionName, role, logGroup, queues });
  return { queues, role };
}

/** The buses an account publishes to when its main bus only receives (the audit account's outbox). */
function addPublishBuses(stack: Stack, topology: KindTopologyView): void {
  for (const bus of topology.extraBuses) {
    const resource = new CfnEventBus(stack, `${logicalId(bus.name)}Bus`, {
      name: bus.name,
      description: 'orgbridge: where this account publishes (its main bus only receives)',
    });
    bus.senders.forEach((accountId, i) => {
      allowPutEventsFrom(
        stack,
        `${logicalId(bus.name)}Policy${i + 1}`,
        bus.name,
        accountId,
      ).addResourceDependency(resource);
    });
  }
}

/** The kind's rules; returns, per queue, the ARNs of the rules that deliver to it (its queue policy's senders). */
function addRules(
  stack: Stack,
  topology: KindTopologyView,
  queues: ReadonlyMap<string, CfnQueue>,
): Map<string, string[]> {
  const forwarder = addForwarderRole(stack, 'ReplyForwarderRole', roleTargetArns(topology.rules));
  const ruleArnsByQueue = new Map<string, string[]>();
  for (const view of topology.rules) {
    const rule = addRule(stack, view, queues, forwarder);
    for (const bus of topology.extraBuses) {
      if (bus.name === view.busName)
        rule.addResourceDependency(stack.node.findChild(`${logicalId(bus.name)}Bus`) as CfnEventBus);
    }
    for (const target of view.targets) {
      if (target.type !== 'queue') continue;
      const arns = ruleArnsByQueue.get(target.queueName) ?? [];
      arns.push(rule.attrArn);
      ruleArnsByQueue.set(target.queueName, arns);
    }
  }
  return ruleArnsByQueue;
}

function addIdempotencyTable(stack: Stack, topology: KindTopologyView): void {
  const table = new CfnTable(stack, 'IdempotencyTable', {
    tableName: topology.idempotencyTable,
    billingMode: 'PAY_PER_REQUEST',
    // Powertools idempotency's default layout: partition key `id`, TTL attribute `expiration`.
    keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
    attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
    timeToLiveSpecification: { attributeName: 'expiration', enabled: true },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    sseSpecification: { sseEnabled: true },
  });
  deletedWithStack(table);
}

/**
 * What every handler needs whatever it handles: its queues, its idempotency records, its bus,
 * its logs. An event source mapping polls with the function's execution role, so the role must
 * read every queue the function consumes, not only the handler queue
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html: "Lambda needs
 * permissions to manage messages in your Amazon SQS queue"), and the handler publishes its replies
 * on its publish bus, which in the audit account is the outbox, not the bus it receives on.
 */
function runtimeStatements(options: HandlerOptions, functionName: string): PolicyStatement[] {
  const { topology } = options;
  const consumed = lambdaQueues(topology);
  const arn = (service: string, resource: string) =>
    `arn:\${AWS::Partition}:${service}:\${AWS::Region}:\${AWS::AccountId}:${resource}`;
  return [
    {
      sid: 'ConsumeOwnQueue',
      actions: [
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueAttributes',
        // The runtime finds the queue's URL to prove each record is one of its messages.
        'sqs:GetQueueUrl',
      ],
      resources: [...new Set([topology.handlerQueue, ...consumed].map((q) => arn('sqs', q.name)))],
    },
    {
      sid: 'IdempotencyRecords',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [arn('dynamodb', `table/${topology.idempotencyTable}`)],
    },
    {
      // Replies and follow-up events go to the account's publish bus; its rules route them on.
      sid: 'PublishToOwnBus',
      actions: ['events:PutEvents'],
      resources: [...new Set([options.busName, topology.publishBus])].map((bus) =>
        arn('events', `event-bus/${bus}`),
      ),
    },
    {
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [arn('logs', `log-group:/aws/lambda/${functionName}:*`)],
    },
  ];
}

function addHandlerRole(stack: Stack, options: HandlerOptions, functionName: string): CfnRole {
  const { kind, topology } = options;
  const handlerStatements = mergedStatements([
    ...statementsFor(topology.handledDetailTypes),
    ...(options.extraStatements ?? []),
  ]);
  return new CfnRole(stack, 'HandlerRole', {
    roleName: ROLE_NAMES.handler(kind),
    description: `orgbridge: the ${kind} account's event handler (${topology.handledDetailTypes.join(', ') || 'no detail-types'})`,
    assumeRolePolicyDocument: serviceTrust('lambda.amazonaws.com'),
    policies: [
      { policyName: 'runtime', policyDocument: policyDocument(runtimeStatements(options, functionName)) },
      ...(handlerStatements.length > 0
        ? [
            {
              policyName: 'handlers',
              policyDocument: policyDocument(handlerStatements, {
                OrganizationId: options.organizationId,
                CicdAccountId: options.special.cicd,
              }),
            },
          ]
        : []),
    ],
  });
}

/** The Lambda function and one event source mapping per queue it consumes (not in local mode). */
function addHandlerFunction(
  stack: Stack,
  options: HandlerOptions,
  parts: {
    functionName: string;
    role: CfnRole;
    logGroup: CfnLogGroup;
    queues: ReadonlyMap<string, CfnQueue>;
  },
): void {
  const { kind, topology } = options;
  if (!options.bundleKey) {
    throw new Error(`no Lambda bundle key for the ${kind} handler: synthesize with bundles or in local mode`);
  }
  const fn = new CfnFunction(stack, 'HandlerFunction', {
    functionName: parts.functionName,
    description: `orgbridge ${kind} account handler`,
    runtime: LAMBDA_RUNTIME,
    handler: 'index.handler',
    architectures: ['arm64'],
    memorySize: 512,
    timeout: HANDLER_TIMEOUT_SECONDS[kind],
    role: parts.role.attrArn,
    code: {
      s3Bucket: Fn.sub(artifactBucketName(options.special.cicd, `\${AWS::Region}`)),
      s3Key: options.bundleKey,
    },
    loggingConfig: { logGroup: parts.logGroup.ref, logFormat: 'JSON' },
    environment: { variables: handlerEnvironment(options) },
  });
  addFunctionAlarms(stack, fn, parts.functionName);
  const maximumConcurrency = HANDLER_MAX_CONCURRENCY[kind];
  const batchingWindow = HANDLER_BATCHING_WINDOW_SECONDS[kind];
  for (const view of lambdaQueues(topology)) {
    new CfnEventSourceMapping(stack, `${logicalId(view.name)}Source`, {
      functionName: fn.ref,
      eventSourceArn: (parts.queues.get(view.name) as CfnQueue).attrArn,
      batchSize: 10,
      // Partial batch failures: a failed message is retried alone, not its whole batch.
      functionResponseTypes: ['ReportBatchItemFailures'],
      ...(maximumConcurrency ? { scalingConfig: { maximumConcurrency } } : {}),
      ...(batchingWindow ? { maximumBatchingWindowInSeconds: batchingWindow } : {}),
    });
  }
}

/** The queues the kind's Lambda consumes (an event source mapping each): all but the reply queue. */
function lambdaQueues(topology: KindTopologyView): QueueView[] {
  return [topology.handlerQueue, ...topology.extraQueues].filter((q) => q.lambdaConsumer);
}

/** What the runtime of src/runtime reads at cold start (documented in docs/architecture.md). */
export function handlerEnvironment(options: HandlerOptions): Record<string, string> {
  return {
    ORGBRIDGE_ACCOUNT_KIND: options.kind,
    ORGBRIDGE_EVENT_BUS: options.busName,
    ORGBRIDGE_PUBLISH_BUS: options.topology.publishBus,
    ORGBRIDGE_EVENT_SOURCE: options.eventSource,
    ORGBRIDGE_HANDLER_QUEUE: options.topology.handlerQueue.name,
    // The queues whose event source mappings invoke the function: the runtime handles only
    // records it can prove are their messages (src/runtime/lambda/provenance.ts).
    ORGBRIDGE_CONSUMED_QUEUES: JSON.stringify(
      Object.fromEntries(lambdaQueues(options.topology).map((q) => [q.name, q.visibilityTimeoutSeconds])),
    ),
    ORGBRIDGE_IDEMPOTENCY_TABLE: options.topology.idempotencyTable,
    ORGBRIDGE_ORGANIZATION_ID: options.organizationId,
    ORGBRIDGE_SPECIAL_ACCOUNTS: JSON.stringify(options.special),
    ...(options.kind === 'management'
      ? { ORGBRIDGE_ROOT_OU: options.placement.rootOu, ORGBRIDGE_MORGUE_OU: options.placement.morgueOu }
      : {}),
    POWERTOOLS_SERVICE_NAME: `orgbridge-${options.kind}`,
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** Read-only access to orgbridge's SSM parameters for the pipeline in the cicd account. */
function addSsmReaderRole(stack: Stack, cicdAccountId: string): void {
  new CfnRole(stack, 'SsmReaderRole', {
    roleName: ROLE_NAMES.ssmReader,
    description: 'orgbridge: the cicd pipeline reads the parameters it wrote',
    assumeRolePolicyDocument: principalTrust(accountRootPrincipal(cicdAccountId)),
    policies: [
      {
        policyName: 'read-orgbridge-parameters',
        policyDocument: policyDocument([
          {
            sid: 'ReadOrgbridgeParameters',
            actions: ['ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
            resources: [`arn:\${AWS::Partition}:ssm:*:\${AWS::AccountId}:parameter${SSM_PATH}*`],
          },
        ]),
      },
    ],
  });
}

/**
 * CloudFormation service roles for the stacks deployed at run time, by a handler or (ECR) by the
 * pipeline: the deployer may only pass the role, the role holds the resource permissions
 * (STACK_DEPLOYMENTS in src/templates/permissions.ts), and only CloudFormation assumes it.
 */
const SERVICE_ROLES = [
  {
    logicalId: 'StackDeployerRole',
    roleName: ROLE_NAMES.stackDeployer,
    policyName: 'deploy',
    description:
      'orgbridge: CloudFormation service role for the VPC, IAM mapping and account baseline stacks',
  },
  {
    logicalId: 'LogBucketUpdaterRole',
    roleName: ROLE_NAMES.logBucketUpdater,
    policyName: 'update-log-buckets',
    description:
      'orgbridge: the only principal allowed to modify the log buckets (seed: update-s3-stacks-role)',
  },
  {
    logicalId: 'EcrDeployerRole',
    roleName: ROLE_NAMES.ecrDeployer,
    policyName: 'deploy-ecr',
    description:
      'orgbridge: CloudFormation service role for the ECR repositories of ecr.yml (run --action sync-ecr)',
  },
] as const;

/**
 * The CloudFormation service role of the user's customization stacks: AdministratorAccess (the
 * user's stacks may hold anything), inside a permissions boundary that keeps orgbridge's own
 * roles, buses, queues, functions, tables, stacks, buckets and parameters out of reach
 * (CUSTOMIZATION_BOUNDARY_STATEMENTS, docs/customizations.md).
 */
function addCustomizationDeployer(stack: Stack, handled: readonly string[], handlerRole: CfnRole): void {
  if (!handled.includes('DEPLOY_CUSTOMIZATION')) return;
  addCustomizationDriftRole(stack, handlerRole);
  const boundary = new CfnManagedPolicy(stack, 'CustomizationBoundary', {
    managedPolicyName: CUSTOMIZATION_BOUNDARY_POLICY,
    description: "orgbridge: what customization stacks may never touch (orgbridge's own resources)",
    policyDocument: policyDocument(CUSTOMIZATION_BOUNDARY_STATEMENTS),
  });
  new CfnRole(stack, 'CustomizationDeployerRole', {
    roleName: ROLE_NAMES.customizationDeployer,
    description: "orgbridge: CloudFormation service role of the user's customization stacks (custom-*)",
    assumeRolePolicyDocument: serviceTrust('cloudformation.amazonaws.com'),
    managedPolicyArns: [Fn.sub(`arn:\${AWS::Partition}:iam::aws:policy/AdministratorAccess`)],
    permissionsBoundary: boundary.ref,
  });
}

/**
 * What the handler assumes to start drift detection on the customization stacks: read-only
 * (AWS's `ReadOnlyAccess`, less data reads, CUSTOMIZATION_DRIFT_STATEMENTS), assumable by this
 * account's handler role alone, so the handler itself never holds read access to everything.
 */
function addCustomizationDriftRole(stack: Stack, handlerRole: CfnRole): void {
  new CfnRole(stack, 'CustomizationDriftRole', {
    roleName: ROLE_NAMES.customizationDrift,
    description: 'orgbridge: starts drift detection on the customization stacks (custom-*), read-only',
    assumeRolePolicyDocument: principalTrust(handlerRole.attrArn),
    managedPolicyArns: [Fn.sub(`arn:\${AWS::Partition}:iam::aws:policy/ReadOnlyAccess`)],
    policies: [
      { policyName: 'detect-drift', policyDocument: policyDocument(CUSTOMIZATION_DRIFT_STATEMENTS) },
    ],
  });
}

function addStackServiceRoles(stack: Stack, kind: AccountKind, handled: readonly string[]): void {
  for (const role of SERVICE_ROLES) {
    const statements = serviceRoleStatements(role.roleName, kind, handled);
    if (statements.length === 0) continue;
    new CfnRole(stack, role.logicalId, {
      roleName: role.roleName,
      description: role.description,
      assumeRolePolicyDocument: serviceTrust('cloudformation.amazonaws.com'),
      policies: [{ policyName: role.policyName, policyDocument: policyDocument(statements) }],
    });
  }
}
