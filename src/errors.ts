import type { ErrorCode } from './error-codes.js';

/**
 * Domain errors with a stable code, modelled on aws-cdk-cli's ToolkitError: a person can act on
 * the message, a program can branch on the code, and the cause chain is never lost.
 */
export type ErrorSource = 'user' | 'aws' | 'internal';

/** A position in a config file, 1-based like every editor and compiler. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '';
}

export interface OrgbridgeErrorOptions {
  readonly source?: ErrorSource;
  readonly location?: SourceLocation;
  readonly hint?: string;
  readonly cause?: unknown;
}

export class OrgbridgeError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly location: SourceLocation | undefined;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: OrgbridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OrgbridgeError';
    this.code = code;
    this.source = options.source ?? 'user';
    this.location = options.location;
    this.hint = options.hint;
  }

  /** `file:line:col: message (hint)`: the one-line form the CLI prints. */
  format(): string {
    const where = this.location ? `${formatLocation(this.location)}: ` : '';
    const hint = this.hint ? `\n  hint: ${this.hint}` : '';
    return `${where}${this.message} [${this.code}]${hint}`;
  }
}

/** Several user errors reported at once, sorted by position like a compiler. */
export class ValidationFailed extends OrgbridgeError {
  readonly errors: readonly OrgbridgeError[];

  constructor(errors: readonly OrgbridgeError[]) {
    const sorted = [...errors].sort(compareByLocation);
    super(
      'VALIDATION_FAILED',
      `${sorted.length} error${sorted.length === 1 ? '' : 's'} in the configuration`,
    );
    this.errors = sorted;
  }

  override format(): string {
    return [...this.errors.map((e) => e.format()), this.message].join('\n');
  }
}

export function compareByLocation(a: OrgbridgeError, b: OrgbridgeError): number {
  const la = a.location;
  const lb = b.location;
  if (!la || !lb) return la ? -1 : lb ? 1 : 0;
  return la.file.localeCompare(lb.file) || la.line - lb.line || la.column - lb.column;
}

/** How to give orgbridge credentials: whatever the SDK's default chain reads. */
export const CREDENTIALS_HINT =
  'give orgbridge credentials as the AWS CLI takes them: AWS_PROFILE (after `aws sso login`), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or a CI role (AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE); which account each command needs: docs/deploy.md#2-credentials';

/**
 * Wraps an AWS failure with what was being done, keeping the original as `cause`. When the SDK
 * retried before giving up (its `$metadata.attempts`), the message says so: "throttled" after
 * ten attempts calls for another fix than throttled at once.
 */
export class AwsOperationError extends OrgbridgeError {
  constructor(doing: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    const attempts = (cause as { $metadata?: { attempts?: unknown } } | undefined)?.$metadata?.attempts;
    const retried =
      typeof attempts === 'number' && attempts > 1
        ? `, retried ${attempts - 1} time${attempts === 2 ? '' : 's'}`
        : '';
    // The SDK's default chain names this error when no provider found credentials
    // (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/setting-credentials-node.html).
    const missing = name === 'CredentialsProviderError';
    super(
      missing ? 'AWS_CREDENTIALS_MISSING' : 'AWS_OPERATION_FAILED',
      missing ? `${doing}: no AWS credentials found` : `${doing}: ${name}: ${detail}${retried}`,
      {
        source: 'aws',
        cause,
        ...(missing ? { hint: CREDENTIALS_HINT } : {}),
      },
    );
    this.name = 'AwsOperationError';
  }
}

export function isOrgbridgeError(e: unknown): e is OrgbridgeError {
  return e instanceof OrgbridgeError;
}
