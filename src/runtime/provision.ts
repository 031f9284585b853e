import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  DeleteRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { AwsClients } from '../aws/clients.js';
import { AwsOperationError } from '../errors.js';
import { ROLE_NAMES } from '../protocol/names.js';
import {
  type AccountTopology,
  type BusSpec,
  denySendExceptRulesStatement,
  handlerQueuePolicyStatements,
  type QueueSpec,
  type RuleSpec,
  ruleTargetDeadLetterStatement,
  type Topology,
} from '../protocol/topology.js';

export interface ProvisionOptions {
  /**
   * Organization id for the aws:PrincipalOrgID statements (o-...) of the buses other accounts
   * forward to. The emulator enforces bus policies (src/aws/emulator.ts), so it must be the
   * organization's real id.
   */
  readonly organizationId: string;
  /** Accounts provisioned at once (default 4). */
  readonly concurrency?: number;
  /** Delete `orgbridge-*` rules the topology no longer has (e.g. a retired account's forward rule). */
  readonly prune?: boolean;
}

export interface ProvisionReport {
  readonly accounts: number;
  readonly buses: number;
  readonly rules: number;
  readonly queues: number;
  readonly prunedRules: readonly string[];
}

/**
 * Applies a topology with the SDK, idempotently: local mode and the integration tests use it
 * because moto skips EventBusPolicy and QueuePolicy in CloudFormation (see notes/moto.md); in AWS
 * the same topology is deployed by the templates of src/templates. Every call is a create-or-
 * update: CreateEventBus tolerates an existing bus, PutRule/PutTargets/PutPermission overwrite,
 * CreateQueue with the same attributes returns the existing queue, SetQueueAttributes converges.
 */
export async function provisionTopology(
  topology: Topology,
  clientsFor: (accountId: string) => AwsClients,
  options: ProvisionOptions,
): Promise<ProvisionReport> {
  const pruned: string[] = [];
  const queue = [...topology.accounts];
  const workers = Array.from({ length: Math.min(options.concurrency ?? 4, queue.length) }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      pruned.push(...(await provisionAccount(next, clientsFor(next.accountId), options)));
    }
  });
  await Promise.all(workers);
  let buses = 0;
  let rules = 0;
  let queues = 0;
  for (const a of topology.accounts) {
    buses += a.buses.length;
    rules += a.rules.length;
    queues += a.queues.length * 2;
  }
  return { accounts: topology.accounts.length, buses, rules, queues, prunedRules: pruned.sort() };
}

async function step<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new AwsOperationError(doing, e);
  }
}

async function provisionAccount(
  account: AccountTopology,
  clients: AwsClients,
  options: ProvisionOptions,
): Promise<string[]> {
  const where = `in account ${account.accountId}`;
  for (const bus of account.buses) await ensureBus(bus, clients, options, where);
  await ensureTargetDeadLetterQueue(account, clients, where);
  for (const q of account.queues) await ensureQueue(q, account, clients, where);
  await ensureIdempotencyTable(account.idempotencyTable, clients, where);
  for (const rule of account.rules) await ensureRule(rule, clients, where);
  return options.prune ? pruneRules(account, clients, where) : [];
}

async function ensureBus(bus: BusSpec, clients: AwsClients, options: ProvisionOptions, where: string) {
  const eb = clients.eventBridge();
  try {
    await eb.send(new CreateEventBusCommand({ Name: bus.name }));
  } catch (e) {
    if (!(e instanceof ResourceAlreadyExistsException))
      throw new AwsOperationError(`creating bus ${bus.name} ${where}`, e);
  }
  for (const statement of bus.policy) {
    if ('account' in statement.principal) {
      const principal = statement.principal.account;
      await step(`allowing ${principal} to put on ${bus.name} ${where}`, () =>
        eb.send(
          new PutPermissionCommand({
            EventBusName: bus.name,
            StatementId: statement.sid,
            Action: 'events:PutEvents',
            Principal: principal,
          }),
        ),
      );
    } else {
      const orgId = options.organizationId;
      await step(`allowing organization ${orgId} to put on ${bus.name} ${where}`, () =>
        eb.send(
          new PutPermissionCommand({
            EventBusName: bus.name,
            StatementId: statement.sid,
            Action: 'events:PutEvents',
            Principal: '*',
            Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: orgId },
          }),
        ),
      );
    }
  }
}

async function ensureQueue(q: QueueSpec, account: AccountTopology, clients: AwsClients, where: string) {
  const sqs = clients.sqs();
  const [, partition] = q.arn.split(':');
  // The handler role consumes; the reply queue is the pipeline's, whose principal is the
  // operator's (the templates waive OB-SEC-7 for it the same way).
  const role = (name: string) => `arn:${partition}:iam::${account.accountId}:role/${name}`;
  // As the templates: the DLQ operator (orgbridge dlq) reads the DLQs and sends back to the source.
  const redrivers = q.purpose === 'replies' ? [] : [role(ROLE_NAMES.dlqOperator)];
  const consumers =
    q.purpose === 'replies'
      ? undefined
      : [role(ROLE_NAMES.handler(account.kind)), role(ROLE_NAMES.dlqOperator)];
  const policyOf = (arn: string, ruleArns: readonly string[], senders: readonly string[] = []) => ({
    Version: '2012-10-17',
    Statement: handlerQueuePolicyStatements(arn, ruleArns, { senders, ...(consumers ? { consumers } : {}) }),
  });
  const dlqAttributes = {
    MessageRetentionPeriod: String(q.deadLetter.messageRetentionSeconds),
    Policy: JSON.stringify(policyOf(q.deadLetter.arn, [])),
  };
  const dlq = await step(`creating queue ${q.deadLetter.name} ${where}`, () =>
    sqs.send(new CreateQueueCommand({ QueueName: q.deadLetter.name })),
  );
  await step(`configuring ${q.deadLetter.name} ${where}`, () =>
    sqs.send(new SetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, Attributes: dlqAttributes })),
  );
  const created = await step(`creating queue ${q.name} ${where}`, () =>
    sqs.send(new CreateQueueCommand({ QueueName: q.name })),
  );
  // Only the rules of this account's buses may send to the queue (EventBridge -> SQS needs it),
  // and only the handler role consume it: the templates' policy (src/templates/stacks/handlers.ts).
  const sourceRules = account.rules
    .filter((r) => r.targets.some((t) => t.type === 'queue' && t.queueName === q.name))
    .map((r) => ruleArn(q.arn, account.accountId, r));
  const policy = policyOf(q.arn, sourceRules, redrivers);
  await step(`configuring ${q.name} ${where}`, () =>
    sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: created.QueueUrl,
        Attributes: {
          VisibilityTimeout: String(q.visibilityTimeoutSeconds),
          MessageRetentionPeriod: String(q.messageRetentionSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: q.deadLetter.arn,
            maxReceiveCount: q.deadLetter.maxReceiveCount,
          }),
          Policy: JSON.stringify(policy),
        },
      }),
    ),
  );
}

/**
 * The dead-letter queue of the account's rule targets, with the policy the event bus template
 * gives it: EventBridge may send from the rules of this account's orgbridge buses.
 */
async function ensureTargetDeadLetterQueue(account: AccountTopology, clients: AwsClients, where: string) {
  const sqs = clients.sqs();
  const dlq = account.targetDeadLetter;
  const created = await step(`creating queue ${dlq.name} ${where}`, () =>
    sqs.send(new CreateQueueCommand({ QueueName: dlq.name })),
  );
  const [, partition, , region] = dlq.arn.split(':');
  const main = account.buses.find((b) => b.purpose === 'main')?.name ?? '';
  const rules = `arn:${partition}:events:${region}:${account.accountId}:rule/${main}*`;
  const policy = {
    Version: '2012-10-17',
    Statement: [
      ruleTargetDeadLetterStatement(dlq.arn, rules),
      denySendExceptRulesStatement(dlq.arn, { ruleArnPattern: rules }),
    ],
  };
  await step(`configuring ${dlq.name} ${where}`, () =>
    sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: created.QueueUrl,
        Attributes: {
          MessageRetentionPeriod: String(dlq.messageRetentionSeconds),
          Policy: JSON.stringify(policy),
        },
      }),
    ),
  );
}

function ruleArn(queueArn: string, accountId: string, rule: RuleSpec): string {
  const [, partition, , region] = queueArn.split(':');
  const path = rule.busName === 'default' ? rule.name : `${rule.busName}/${rule.name}`;
  return `arn:${partition}:events:${region}:${accountId}:rule/${path}`;
}

async function ensureIdempotencyTable(name: string, clients: AwsClients, where: string) {
  const ddb = clients.dynamoDb();
  try {
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
  } catch (e) {
    if (!(e instanceof ResourceInUseException))
      throw new AwsOperationError(`creating table ${name} ${where}`, e);
    return;
  }
  await step(`waiting for table ${name} ${where}`, () =>
    ddb.send(new DescribeTableCommand({ TableName: name })),
  );
  // Powertools writes the expiry in `expiration`: DynamoDB TTL removes old records for free.
  await step(`enabling TTL on ${name} ${where}`, () =>
    ddb.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      }),
    ),
  );
}

async function ensureRule(rule: RuleSpec, clients: AwsClients, where: string) {
  const eb = clients.eventBridge();
  await step(`putting rule ${rule.name} on ${rule.busName} ${where}`, () =>
    eb.send(
      new PutRuleCommand({
        Name: rule.name,
        EventBusName: rule.busName,
        Description: rule.description.slice(0, 512),
        EventPattern: JSON.stringify(rule.eventPattern),
        State: 'ENABLED',
      }),
    ),
  );
  await step(`putting targets of ${rule.name} ${where}`, () =>
    eb.send(
      new PutTargetsCommand({
        Rule: rule.name,
        EventBusName: rule.busName,
        // No RoleArn on bus targets: the emulator does not evaluate IAM roles (the templates
        // give them one where AWS needs it).
        Targets: rule.targets.map((t) => ({
          Id: t.id,
          Arn: t.arn,
          ...(t.type === 'queue' && t.inputTransformer
            ? {
                InputTransformer: {
                  InputPathsMap: { ...t.inputTransformer.inputPathsMap },
                  InputTemplate: t.inputTransformer.inputTemplate,
                },
              }
            : {}),
          DeadLetterConfig: { Arn: t.deadLetterArn },
          RetryPolicy: {
            MaximumRetryAttempts: t.retry.maximumRetryAttempts,
            MaximumEventAgeInSeconds: t.retry.maximumEventAgeSeconds,
          },
        })),
      }),
    ),
  );
}

async function pruneRules(account: AccountTopology, clients: AwsClients, where: string): Promise<string[]> {
  const eb = clients.eventBridge();
  const wanted = new Set(account.rules.map((r) => `${r.busName}/${r.name}`));
  const pruned: string[] = [];
  for (const bus of account.buses) {
    let token: string | undefined;
    do {
      const page = await step(`listing rules of ${bus.name} ${where}`, () =>
        eb.send(new ListRulesCommand({ EventBusName: bus.name, NamePrefix: 'orgbridge-', NextToken: token })),
      );
      for (const r of page.Rules ?? []) {
        if (!r.Name || wanted.has(`${bus.name}/${r.Name}`)) continue;
        const name = r.Name;
        const targets = await step(`listing targets of ${name} ${where}`, () =>
          eb.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus.name })),
        );
        const ids = (targets.Targets ?? []).flatMap((t) => (t.Id ? [t.Id] : []));
        if (ids.length) {
          await step(`removing targets of ${name} ${where}`, () =>
            eb.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus.name, Ids: ids })),
          );
        }
        await step(`deleting rule ${name} ${where}`, () =>
          eb.send(new DeleteRuleCommand({ Name: name, EventBusName: bus.name })),
        );
        pruned.push(`${account.accountId}/${bus.name}/${name}`);
      }
      token = page.NextToken;
    } while (token);
  }
  return pruned;
}
