import { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AwsClients, sdkClientOf } from '../../aws/clients.js';
import { awsContextFromEnv } from '../../aws/context.js';
import type { MessagingLog } from '../../bus/log.js';
import { EventSender, putEventsPort } from '../../bus/sender.js';
import { type AccountKind, SPECIAL_ACCOUNT_KINDS, type SpecialAccountKind } from '../../config/model.js';
import { OrgbridgeError } from '../../errors.js';
import type { HandlerRegistry } from '../../handlers/types.js';
import { AccountIdSchema } from '../../protocol/catalog.js';
import { DEFAULT_MAX_RECEIVE_COUNT } from '../../protocol/topology.js';
import { dynamoFailureStore } from '../failures.js';
import { handleSqsBatch, type RuntimeDeps } from '../handle.js';
import { type MetricsSink, outcomeMetrics } from '../metrics.js';
import { powertoolsMetricsSink } from './metrics.js';
import { parseConsumedQueues, recordsOfOwnQueues } from './provenance.js';

/**
 * What a handler Lambda reads at cold start: the variables the handler stack sets
 * (`handlerEnvironment` in src/templates/stacks/handlers.ts), documented in docs/events.md
 * ("Lambda entry points").
 */
export interface LambdaSettings {
  readonly kind: AccountKind;
  readonly region: string;
  /** ORGBRIDGE_EVENT_SOURCE: events with another source are refused. */
  readonly source: string;
  /** ORGBRIDGE_PUBLISH_BUS: where answers are put (they travel on to the cicd account). */
  readonly publishBus: string;
  /**
   * ORGBRIDGE_EVENT_BUS: the account's main bus, where each record's REQUEST_OUTCOME is put (its
   * rules copy it to the audit store); unset (a stack older than the notification), none is.
   */
  readonly eventBus?: string;
  /** ORGBRIDGE_IDEMPOTENCY_TABLE. */
  readonly idempotencyTable: string;
  /** ORGBRIDGE_SPECIAL_ACCOUNTS: JSON {kind: account id} of the six special accounts. */
  readonly specialAccounts: Readonly<Record<SpecialAccountKind, string>>;
  /** ORGBRIDGE_MAX_RECEIVE_COUNT (default 5): the handler queue's redrive limit. */
  readonly maxReceiveCount: number;
  /**
   * ORGBRIDGE_CONSUMED_QUEUES: JSON {queue name: visibility timeout in seconds} of the queues whose
   * messages invoke the function; a record of any other source is refused (./provenance.ts).
   */
  readonly consumedQueues: ReadonlyMap<string, number>;
}

function required(env: NodeJS.ProcessEnv, name: string, kind: string): string {
  const value = env[name];
  if (!value) {
    throw new OrgbridgeError(
      'RUNTIME_SETTING_MISSING',
      `the ${kind} handler needs the environment variable ${name}`,
      {
        source: 'internal',
        hint: 'redeploy the handler stack (orgbridge run --action render-templates --execute)',
      },
    );
  }
  return value;
}

export function lambdaSettingsFromEnvironment(kind: AccountKind, env: NodeJS.ProcessEnv): LambdaSettings {
  const declared = env.ORGBRIDGE_ACCOUNT_KIND;
  if (declared && declared !== kind) {
    throw new OrgbridgeError(
      'RUNTIME_KIND_MISMATCH',
      `the ${kind} handler bundle runs in a function configured for '${declared}'`,
      { source: 'internal', hint: 'the stack points at the wrong bundle: re-upload the Lambda bundles' },
    );
  }
  let special: unknown;
  try {
    special = JSON.parse(required(env, 'ORGBRIDGE_SPECIAL_ACCOUNTS', kind));
  } catch (e) {
    if (e instanceof OrgbridgeError) throw e;
    special = undefined;
  }
  const specialAccounts = {} as Record<SpecialAccountKind, string>;
  for (const k of SPECIAL_ACCOUNT_KINDS) {
    const id = (special as Record<string, unknown> | undefined)?.[k];
    if (!AccountIdSchema.safeParse(id).success) {
      throw new OrgbridgeError(
        'RUNTIME_SETTING_INVALID',
        `ORGBRIDGE_SPECIAL_ACCOUNTS has no account id for '${k}': ${env.ORGBRIDGE_SPECIAL_ACCOUNTS}`,
        { source: 'internal' },
      );
    }
    specialAccounts[k] = id as string;
  }
  const consumedQueues = parseConsumedQueues(required(env, 'ORGBRIDGE_CONSUMED_QUEUES', kind));
  if (!consumedQueues) {
    throw new OrgbridgeError(
      'RUNTIME_SETTING_INVALID',
      `ORGBRIDGE_CONSUMED_QUEUES is not a JSON object of queue names and visibility timeouts: ${env.ORGBRIDGE_CONSUMED_QUEUES}`,
      { source: 'internal' },
    );
  }
  const maxReceiveCount = Number(env.ORGBRIDGE_MAX_RECEIVE_COUNT ?? DEFAULT_MAX_RECEIVE_COUNT);
  return {
    kind,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    source: required(env, 'ORGBRIDGE_EVENT_SOURCE', kind),
    publishBus: required(env, 'ORGBRIDGE_PUBLISH_BUS', kind),
    ...(env.ORGBRIDGE_EVENT_BUS ? { eventBus: env.ORGBRIDGE_EVENT_BUS } : {}),
    idempotencyTable: required(env, 'ORGBRIDGE_IDEMPOTENCY_TABLE', kind),
    specialAccounts,
    consumedQueues,
    maxReceiveCount:
      Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? maxReceiveCount : DEFAULT_MAX_RECEIVE_COUNT,
  };
}

/**
 * The kind of a sender: the special accounts by id; another account is a member only where the
 * function can tell that it belongs to the organization (`isMember`, the DNS account's
 * registrations), and otherwise unknown, refused with SENDER_UNKNOWN as in local mode. The bus
 * policies already admit the cicd account or the organization only (aws:PrincipalOrgID), and
 * members may send nothing but DNS requests, so only the DNS account needs to know them.
 */
export function senderKindOf(
  special: Readonly<Record<SpecialAccountKind, string>>,
  isMember?: (accountId: string) => Promise<boolean>,
): (accountId: string) => Promise<AccountKind | undefined> {
  const kinds = new Map<string, AccountKind>(SPECIAL_ACCOUNT_KINDS.map((k) => [special[k], k]));
  return async (accountId) => {
    const kind = kinds.get(accountId);
    if (kind) return kind;
    if (!isMember || !AccountIdSchema.safeParse(accountId).success) return undefined;
    return (await isMember(accountId)) ? 'member' : undefined;
  };
}

/** The account a function runs in: the fourth field of its ARN. */
export function accountIdOfFunction(context: Pick<Context, 'invokedFunctionArn'>): string {
  const id = context.invokedFunctionArn.split(':')[4] ?? '';
  if (!AccountIdSchema.safeParse(id).success) {
    throw new OrgbridgeError('RUNTIME_ACCOUNT_UNKNOWN', `no account id in ${context.invokedFunctionArn}`, {
      source: 'internal',
    });
  }
  return id;
}

/** Powertools' Logger as the runtime's log (JSON lines, the function's log format). */
export function powertoolsLog(kind: AccountKind): MessagingLog {
  const logger = new Logger({ serviceName: `orgbridge-${kind}` });
  return {
    info: (message, extra) => logger.info(message, { ...extra }),
    warn: (message, extra) => logger.warn(message, { ...extra }),
    error: (message, extra) => logger.error(message, { ...extra }),
  };
}

export interface LambdaRuntime {
  readonly settings: LambdaSettings;
  readonly clients: AwsClients;
  readonly log: MessagingLog;
  /** Handled, duplicate, rejected and failed counts of each batch (docs/operations.md, "Metrics"). */
  readonly metrics: MetricsSink;
  readonly deps: (accountId: string, context: Pick<Context, 'getRemainingTimeInMillis'>) => RuntimeDeps;
}

/**
 * Builds what a handler Lambda keeps between invocations (clients, idempotency store), on the
 * first invocation. Powertools' DynamoDB persistence layer imports the SDK's DynamoDB packages,
 * so it is loaded here rather than imported by the bundle (see src/aws/sdk.ts).
 */
export async function lambdaRuntime(
  kind: AccountKind,
  handlers: (env: NodeJS.ProcessEnv) => HandlerRegistry | Promise<HandlerRegistry>,
  env: NodeJS.ProcessEnv,
  members?: MemberLookup,
): Promise<LambdaRuntime> {
  const settings = lambdaSettingsFromEnvironment(kind, env);
  const registry = await handlers(env);
  const clients = new AwsClients(awsContextFromEnv(env));
  const log = powertoolsLog(kind);
  const events = new EventSender(putEventsPort(clients.eventBridge()));
  const [{ DynamoDBPersistenceLayer }, dynamoDb] = await Promise.all([
    import('@aws-lambda-powertools/idempotency/dynamodb'),
    sdkClientOf(clients.dynamoDb()),
  ]);
  const idempotency = new DynamoDBPersistenceLayer({
    tableName: settings.idempotencyTable,
    awsSdkV3Client: dynamoDb,
  });
  const failures = dynamoFailureStore(clients.dynamoDb(), settings.idempotencyTable);
  const senderKind = senderKindOf(settings.specialAccounts, members && (await members(clients)));
  return {
    settings,
    clients,
    log,
    metrics: powertoolsMetricsSink(kind),
    deps: (accountId, context) => ({
      account: { id: accountId, kind },
      source: settings.source,
      publishBus: settings.publishBus,
      senderKind,
      handlers: registry,
      clients,
      events,
      idempotency,
      failures,
      log,
      maxReceiveCount: settings.maxReceiveCount,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      ...(settings.eventBus ? { outcomeBus: settings.eventBus } : {}),
    }),
  };
}

/** How a kind's function tells a member of the organization from an outsider (see senderKindOf). */
export type MemberLookup = (
  clients: AwsClients,
) => ((accountId: string) => Promise<boolean>) | Promise<(accountId: string) => Promise<boolean>>;

export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The `handler` export of a kind's bundle: an SQS batch from the handler queue goes through
 * handleSqsBatch with the kind's registry; failed records are reported for redelivery
 * (ReportBatchItemFailures). Settings are read on the first invocation, so a missing variable
 * fails the batch (redelivered, then the DLQ) with a message saying which.
 */
export function lambdaHandler(
  kind: AccountKind,
  handlers: (env: NodeJS.ProcessEnv) => HandlerRegistry | Promise<HandlerRegistry>,
  options: {
    env?: NodeJS.ProcessEnv;
    /** Whether a non-special sender is a member; without it, every such sender is unknown. */
    members?: MemberLookup;
    /**
     * Which records are messages of the function's own queues (default: asked of SQS,
     * ./provenance.ts); tests of what follows give the records as they are.
     */
    provenance?: (
      records: readonly SQSRecord[],
      runtime: LambdaRuntime,
      accountId: string,
    ) => Promise<SQSRecord[]>;
    /** Records this predicate claims are handled by `other` instead (the audit store). */
    other?: {
      claims: (record: SQSRecord) => boolean;
      handle: (records: SQSRecord[], runtime: LambdaRuntime) => Promise<string[]>;
    };
  } = {},
): SqsLambdaHandler {
  let building: Promise<LambdaRuntime> | undefined;
  const queueUrls = new Map<string, Promise<string>>();
  const provenance =
    options.provenance ??
    (async (records: readonly SQSRecord[], runtime: LambdaRuntime, accountId: string) => {
      const own = { accountId, region: runtime.settings.region, visibility: runtime.settings.consumedQueues };
      return recordsOfOwnQueues(records, own, runtime.clients.sqs(), queueUrls, runtime.log);
    });
  return async (event, context) => {
    building ??= lambdaRuntime(kind, handlers, options.env ?? process.env, options.members).catch(
      (e: unknown) => {
        building = undefined;
        throw e;
      },
    );
    const runtime = await building;
    const accountId = accountIdOfFunction(context);
    // Made-up records (an invocation by hand, not by the queue) are refused before anything
    // reads them; they are no messages, so there is nothing to report for redelivery.
    const proven = await provenance(event.Records, runtime, accountId);
    const other = options.other;
    const mine = other ? proven.filter((r) => !other.claims(r)) : proven;
    const claimed = other ? proven.filter((r) => other.claims(r)) : [];
    const failed: string[] = [];
    if (mine.length) {
      const started = Date.now();
      const result = await handleSqsBatch(mine, runtime.deps(accountId, context));
      failed.push(...result.batchItemFailures.map((f) => f.itemIdentifier));
      try {
        runtime.metrics.emit(outcomeMetrics(kind, result.outcomes), Date.now() - started);
      } catch (e) {
        // A metric lost is not worth a redelivered batch: the work is done.
        runtime.log.warn('could not emit metrics', { error: String(e) });
      }
    }
    if (other && claimed.length) failed.push(...(await other.handle(claimed, runtime)));
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
