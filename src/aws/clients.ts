import { BackupClient } from '@aws-sdk/client-backup';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { Route53Client } from '@aws-sdk/client-route-53';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@smithy/types';
import { AwsOperationError } from '../errors.js';
import { roleArn as roleArnIn } from '../partitions.js';
import type { AwsContext } from './context.js';
import { OrgbridgeRetryStrategy, type RetryTally } from './retry.js';

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
  retryStrategy: OrgbridgeRetryStrategy;
  // S3 against an emulator needs path-style addressing.
  forcePathStyle?: boolean;
}

type SdkClient = {
  middlewareStack: { use(plugin: Pluggable<object, object>): void };
  destroy(): void;
};
type ClientClass<C> = new (config: ClientConfig) => C;

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
  private readonly cache = new Map<string, SdkClient>();
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

  private client<C>(Klass: ClientClass<C>, service: string, region = this.context.region): C {
    const key = `${service}@${region}`;
    let client = this.cache.get(key);
    if (!client) {
      const config: ClientConfig = {
        region,
        retryStrategy: new OrgbridgeRetryStrategy(this.context.retry, this.retries),
        ...(this.context.endpoint ? { endpoint: this.context.endpoint } : {}),
        ...(service === 'S3' && this.context.endpoint ? { forcePathStyle: true } : {}),
      };
      const credentials = this.credentials ?? this.context.credentials;
      if (credentials) config.credentials = credentials;
      client = new Klass(config) as unknown as SdkClient;
      client.middlewareStack.use(countCalls(this.counter, service));
      this.cache.set(key, client);
    }
    return client as unknown as C;
  }

  organizations(): OrganizationsClient {
    // Organizations is a global service homed in us-east-1.
    return this.client(OrganizationsClient, 'Organizations', 'us-east-1');
  }
  sts(): STSClient {
    return this.client(STSClient, 'STS');
  }
  sqs(region?: string): SQSClient {
    return this.client(SQSClient, 'SQS', region);
  }
  eventBridge(region?: string): EventBridgeClient {
    return this.client(EventBridgeClient, 'EventBridge', region);
  }
  iam(): IAMClient {
    return this.client(IAMClient, 'IAM', 'us-east-1');
  }
  ssm(region?: string): SSMClient {
    return this.client(SSMClient, 'SSM', region);
  }
  cloudFormation(region?: string): CloudFormationClient {
    return this.client(CloudFormationClient, 'CloudFormation', region);
  }
  route53(): Route53Client {
    return this.client(Route53Client, 'Route53', 'us-east-1');
  }
  ecr(region?: string): ECRClient {
    return this.client(ECRClient, 'ECR', region);
  }
  s3(region?: string): S3Client {
    return this.client(S3Client, 'S3', region);
  }
  dynamoDb(region?: string): DynamoDBClient {
    return this.client(DynamoDBClient, 'DynamoDB', region);
  }
  ec2(region?: string): EC2Client {
    return this.client(EC2Client, 'EC2', region);
  }
  backup(region?: string): BackupClient {
    return this.client(BackupClient, 'Backup', region);
  }

  /** The account these clients act in (GetCallerIdentity, once). */
  async callerAccountId(): Promise<string> {
    if (this.accountId) return this.accountId;
    try {
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
    const provider = memoizeIdentityProvider<AwsCredentialIdentity>(
      async (options) => {
        try {
          return await assumeRole(options);
        } catch (e) {
          throw new AwsOperationError(`assuming ${roleArn}`, e);
        }
      },
      isIdentityExpired,
      doesIdentityRequireRefresh,
    ) as AwsCredentialIdentityProvider;
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
