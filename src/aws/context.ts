import type { AwsCredentialIdentity } from '@smithy/types';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';

/**
 * Where and as whom orgbridge talks to AWS. Built from the standard AWS environment
 * (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...) or given explicitly (tests, local mode).
 */
export interface AwsContext {
  readonly region: string;
  /** Custom endpoint (the emulator); undefined means real AWS. */
  readonly endpoint?: string;
  /** Static credentials; undefined means the SDK's default provider chain (AWS_PROFILE, SSO, ...). */
  readonly credentials?: AwsCredentialIdentity;
  /** Role assumed in other accounts; AWS creates it in every account made by CreateAccount. */
  readonly accessRoleName: string;
  readonly retry: RetryPolicy;
}

export const EMULATOR_CREDENTIALS: AwsCredentialIdentity = {
  accessKeyId: 'testing',
  secretAccessKey: 'testing',
};

/** Against moto, surface 500s at once (they are emulator bugs) but still retry throttling. */
export const EMULATOR_RETRY_POLICY: RetryPolicy = {
  ...DEFAULT_RETRY_POLICY,
  maxAttempts: 1,
  retryServerErrors: false,
};

/**
 * Keys given in `env` itself, as the SDK's first credential provider reads them from
 * process.env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-static-credentials.html). Taking them
 * from `env` lets a caller act as another principal without touching the process's environment;
 * without them the SDK's default chain (profiles, SSO, container and instance roles) applies.
 */
function staticCredentialsOf(env: NodeJS.ProcessEnv): AwsCredentialIdentity | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

export function awsContextFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<AwsContext> = {},
): AwsContext {
  const endpoint = overrides.endpoint ?? env.AWS_ENDPOINT_URL ?? undefined;
  const region = overrides.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const context: AwsContext = {
    region,
    accessRoleName: overrides.accessRoleName ?? env.ORGBRIDGE_ACCESS_ROLE ?? 'OrganizationAccountAccessRole',
    retry: overrides.retry ?? (endpoint ? EMULATOR_RETRY_POLICY : DEFAULT_RETRY_POLICY),
    ...(endpoint ? { endpoint } : {}),
  };
  const credentials = overrides.credentials ?? staticCredentialsOf(env);
  return credentials ? { ...context, credentials } : context;
}

/** The context of a local emulator on `endpoint`. */
export function emulatorContext(endpoint: string, overrides: Partial<AwsContext> = {}): AwsContext {
  return {
    region: 'us-east-1',
    endpoint,
    credentials: EMULATOR_CREDENTIALS,
    accessRoleName: 'OrganizationAccountAccessRole',
    retry: EMULATOR_RETRY_POLICY,
    ...overrides,
  };
}
