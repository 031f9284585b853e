import type { BackupClient } from '@aws-sdk/client-backup';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@smithy/types';
import { AwsOperationError } from '../errors.js';
import { roleArn as roleArnIn } from '../partitions.js';
import type { AwsContext } from './context.js';
import type { RetryTally } from './retry.js';
import { sdk } from './sdk.js';

/** Counts AWS calls by `Service.Operation`; benchmarks and tests report it. */
export class AwsCallCounter {
  readonly counts = new Map<string, number>();
  record(service: string, operation: string): void {
    const key = `${service}.${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

interface ClientConfig {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  retryStrategy: unknown;
  // S3 against an emulator needs path-style addressing.
  forcePathStyle?: boolean;
  cacheMiddleware?: boolean;
}

type SdkClient = {
  middlewareStack: { use(plugin: Pluggable<object, object>): void; remove(name: string): boolean };
  send(command: unknown, options?: unknown): Promise<unknown>;
  destroy(): void;
};
type ClientClass = new (config: ClientConfig) => unknown;

/**
 * What orgbridge uses of an SDK client: `send`. AwsClients hands out clients that load their SDK
 * package and build the SDK client on their first send (see src/aws/sdk.ts); a real SDK client
 * fits too (tests build some).
 */
export type Client<C extends { send: unknown }> = Pick<C, 'send'>;

/**
 * A client whose SDK package is loaded, and the SDK client built, on the first send. `destroy`
 * ends its calls: one in flight fails as its socket closes and is not retried (the retry
 * strategy asks `stopped`), one not yet sent (still waiting for the SDK to load) fails at once,
 * so a run that gave up on its reads (a config error found while they ran) does not wait on them
 * before it can exit. (An abort signal on every call would do the same, at a cost of about a
 * third of a millisecond of CPU per call in the SDK: docs/performance.md.)
 */
class LazyClient {
  private built: Promise<SdkClient> | undefined;
  private closed = false;
  constructor(private readonly build: (stopped: () => boolean) => Promise<SdkClient>) {}

  send(command: unknown, options?: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(closedError());
    return this.sdkClient().then((client) => {
      if (this.closed) throw closedError();
      return client.send(command, options);
    });
  }

  sdkClient(): Promise<SdkClient> {
    this.built ??= this.build(() => this.closed).then(
      (client) => {
        if (this.closed) client.destroy();
        return client;
      },
      (e: unknown) => {
        this.built = undefined;
        throw e;
      },
    );
    return this.built;
  }

  /** Closes the SDK client's sockets, which fails the calls in flight on them. */
  destroy(): void {
    this.closed = true;
    this.built?.then(
      (client) => client.destroy(),
      () => {},
    );
  }
}

/** What a call on a destroyed client rejects with (the name of the SDK's aborted calls). */
function closedError(): Error {
  return Object.assign(new Error('not sent: the AWS clients were closed'), { name: 'AbortError' });
}

/**
 * The SDK client behind `client`, built: for code that needs more than `send` (Powertools'
 * idempotency persistence layer adds its user agent to the middleware stack; tests add
 * middleware). A real SDK client is returned as it is.
 */
export async function sdkClientOf<C extends { send: unknown }>(client: Client<C>): Promise<C> {
  if (client instanceof LazyClient) return (await client.sdkClient()) as unknown as C;
  return client as C;
}

/** Each service: the loader of its SDK package and the name of its client class there. */
const SERVICES = {
  Backup: [sdk.backup, 'BackupClient'],
  CloudFormation: [sdk.cloudFormation, 'CloudFormationClient'],
  DynamoDB: [sdk.dynamoDb, 'DynamoDBClient'],
  EC2: [sdk.ec2, 'EC2Client'],
  ECR: [sdk.ecr, 'ECRClient'],
  EventBridge: [sdk.eventBridge, 'EventBridgeClient'],
  IAM: [sdk.iam, 'IAMClient'],
  Organizations: [sdk.organizations, 'OrganizationsClient'],
  Route53: [sdk.route53, 'Route53Client'],
  S3: [sdk.s3, 'S3Client'],
  SQS: [sdk.sqs, 'SQSClient'],
  SSM: [sdk.ssm, 'SSMClient'],
  STS: [sdk.sts, 'STSClient'],
} as const satisfies Record<string, readonly [() => Promise<object>, string]>;
type Service = keyof typeof SERVICES;

/**
 * Every call any client of this process sends, whatever counter its family has: the CLI reports
 * the total of an action (`run --json`'s result line).
 */
export const PROCESS_CALLS = new AwsCallCounter();

/** Counts every command a client sends, as `Service.Operation`. */
function countCalls(counter: AwsCallCounter, service: string): Pluggable<object, object> {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => (args) => {
          const operation = (context.commandName ?? 'Unknown').replace(/Command$/, '');
          counter.record(service, operation);
          PROCESS_CALLS.record(service, operation);
          return next(args);
        },
        // `override`: the temporary-credentials provider applies its plugins before each call.
        { step: 'initialize', name: 'orgbridgeCallCounter', override: true },
      ),
  };
}

/**
 * The single place that builds AWS SDK clients. One instance acts as one principal (the caller,
 * or a role assumed in another account) and caches one client per service and region.
 */
export class AwsClients {
  readonly accountId: string | undefined;
  private readonly cache = new Map<string, LazyClient>();
  private readonly accounts: Map<string, AwsClients>;

  constructor(
    readonly context: AwsContext,
    readonly counter: AwsCallCounter = new AwsCallCounter(),
    /** Retries of every client of this family (each client has its own strategy and quota). */
    readonly retries: RetryTally = { count: 0 },
    private readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
    accountId?: string,
    accounts?: Map<string, AwsClients>,
  ) {
    this.accountId = accountId;
    this.accounts = accounts ?? new Map();
  }

  private client<C>(service: Service, region = this.context.region): Client<C & { send: unknown }> {
    const key = `${service}@${region}`;
    let client = this.cache.get(key);
    if (!client) {
      client = new LazyClient(async (stopped) => {
        const [load, className] = SERVICES[service];
        const [pkg, { OrgbridgeRetryStrategy, adaptiveRate }] = await Promise.all([
          load(),
          sdk.retryStrategy(),
        ]);
        const Klass = (pkg as unknown as Record<string, ClientClass>)[className] as ClientClass;
        const config: ClientConfig = {
          region,
          // Organizations throttles by rate, and orgbridge reads it one account at a time (tags):
          // its clients pace themselves once throttled (OrgbridgeRetryStrategy, `rate`).
          retryStrategy: new OrgbridgeRetryStrategy(
            this.context.retry,
            this.retries,
            service === 'Organizations' && this.context.retry.adaptive !== false ? adaptiveRate() : undefined,
            stopped,
          ),
          ...(this.context.endpoint ? { endpoint: this.context.endpoint } : {}),
          ...(service === 'S3' && this.context.endpoint ? { forcePathStyle: true } : {}),
          // The middleware stack is resolved once per command class instead of on every send
          // (the SDK's `cacheMiddleware`): orgbridge adds its middleware (the call counter below)
          // before a client's first send and never after.
          cacheMiddleware: true,
        };
        const credentials = this.credentials ?? this.context.credentials;
        if (credentials) config.credentials = credentials;
        const built = new Klass(config) as SdkClient;
        built.middlewareStack.use(countCalls(this.counter, service));
        // The SDK's logger middleware copies every input and output through the operation's
        // schema (hiding sensitive members) for a logger that drops it: orgbridge gives its
        // clients none, so the copy is pure cost on every call.
        built.middlewareStack.remove('loggerMiddleware');
        return built;
      });
      this.cache.set(key, client);
    }
    return client as unknown as Client<C & { send: unknown }>;
  }

  organizations(): Client<OrganizationsClient> {
    // Organizations is a global service homed in us-east-1.
    return this.client('Organizations', 'us-east-1');
  }
  sts(): Client<STSClient> {
    return this.client('STS');
  }
  sqs(region?: string): Client<SQSClient> {
    return this.client('SQS', region);
  }
  eventBridge(region?: string): Client<EventBridgeClient> {
    return this.client('EventBridge', region);
  }
  iam(): Client<IAMClient> {
    return this.client('IAM', 'us-east-1');
  }
  ssm(region?: string): Client<SSMClient> {
    return this.client('SSM', region);
  }
  cloudFormation(region?: string): Client<CloudFormationClient> {
    return this.client('CloudFormation', region);
  }
  route53(): Client<Route53Client> {
    return this.client('Route53', 'us-east-1');
  }
  ecr(region?: string): Client<ECRClient> {
    return this.client('ECR', region);
  }
  s3(region?: string): Client<S3Client> {
    return this.client('S3', region);
  }
  dynamoDb(region?: string): Client<DynamoDBClient> {
    return this.client('DynamoDB', region);
  }
  ec2(region?: string): Client<EC2Client> {
    return this.client('EC2', region);
  }
  backup(region?: string): Client<BackupClient> {
    return this.client('Backup', region);
  }

  /** The account these clients act in (GetCallerIdentity, once). */
  async callerAccountId(): Promise<string> {
    if (this.accountId) return this.accountId;
    try {
      const { GetCallerIdentityCommand } = await sdk.sts();
      const out = await this.sts().send(new GetCallerIdentityCommand({}));
      if (!out.Account) throw new Error('GetCallerIdentity returned no account');
      (this as { accountId: string | undefined }).accountId = out.Account;
      return out.Account;
    } catch (e) {
      throw new AwsOperationError('finding the caller account (sts:GetCallerIdentity)', e);
    }
  }

  /**
   * Clients acting inside `accountId` through its role `roleName`, with the SDK's
   * temporary-credentials provider (AssumeRole through this principal, in the partition of the
   * context's region). One memo per account and role, shared by all its service clients:
   * concurrent first calls share one AssumeRole, credentials are refreshed five minutes before
   * they expire, and a failed AssumeRole is not kept (the next call tries again). The same
   * AwsClients comes back for the same account and role, so every caller shares that memo and
   * the call counter.
   */
  forAccount(accountId: string, roleName: string = this.context.accessRoleName): AwsClients {
    if (accountId === this.accountId && roleName === this.context.accessRoleName && !this.credentials) {
      return this;
    }
    const key = `${accountId}/${roleName}`;
    const cached = this.accounts.get(key);
    if (cached) return cached;
    const roleArn = roleArnIn(this.context.region, accountId, roleName);
    const masterCredentials = this.credentials ?? this.context.credentials;
    const memoized = async (): Promise<AwsCredentialIdentityProvider> => {
      const [{ fromTemporaryCredentials }, smithy, { OrgbridgeRetryStrategy }] = await Promise.all([
        sdk.credentialProviders(),
        sdk.smithyCore(),
        sdk.retryStrategy(),
      ]);
      const assumeRole = fromTemporaryCredentials({
        params: { RoleArn: roleArn, RoleSessionName: 'orgbridge', DurationSeconds: 3600 },
        ...(masterCredentials ? { masterCredentials } : {}),
        clientConfig: {
          region: this.context.region,
          retryStrategy: new OrgbridgeRetryStrategy(this.context.retry, this.retries),
          ...(this.context.endpoint ? { endpoint: this.context.endpoint } : {}),
        },
        clientPlugins: [countCalls(this.counter, 'STS')],
      });
      return smithy.memoizeIdentityProvider<AwsCredentialIdentity>(
        async (options) => {
          try {
            return await assumeRole(options);
          } catch (e) {
            throw new AwsOperationError(`assuming ${roleArn}`, e);
          }
        },
        smithy.isIdentityExpired,
        smithy.doesIdentityRequireRefresh,
      ) as AwsCredentialIdentityProvider;
    };
    // The SDK's provider and memo are built on the first call (their packages load then).
    let memo: Promise<AwsCredentialIdentityProvider> | undefined;
    const provider: AwsCredentialIdentityProvider = async (options) => {
      memo ??= memoized().catch((e: unknown) => {
        memo = undefined;
        throw e;
      });
      return (await memo)(options);
    };
    const clients = new AwsClients(
      this.context,
      this.counter,
      this.retries,
      provider,
      accountId,
      this.accounts,
    );
    this.accounts.set(key, clients);
    return clients;
  }

  /** Releases sockets of every client made through this factory and its account children. */
  destroy(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
    for (const child of this.accounts.values()) if (child !== this) child.destroyOwn();
  }

  private destroyOwn(): void {
    for (const c of this.cache.values()) c.destroy();
    this.cache.clear();
  }
}
