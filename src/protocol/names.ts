import type { AccountKind } from '../config/model.js';
import { dnsSuffixOf } from '../partitions.js';

/**
 * Names of everything orgbridge deploys, in one place: the bootstrap, the uploader and the
 * templates must agree on them, and a person reading the console should recognise them.
 */

/** Prefix of every stack, role and bucket orgbridge owns. */
export const PREFIX = 'orgbridge';

/**
 * The artifact bucket of a region, in the cicd account. One per region because Lambda reads its
 * code only from a bucket in the function's own region (the EventBridge design's "not one S3 bucket, but 4").
 * S3 names are global, hence the account id in the name.
 */
export function artifactBucketName(cicdAccountId: string, region: string): string {
  return `${PREFIX}-artifacts-${cicdAccountId}-${region}`;
}

/** Where Lambda bundles live in the artifact buckets (read by the organization). */
export const LAMBDA_BUNDLE_PREFIX = 'lambdas/';

/** Object key of a kind's Lambda bundle; the content hash makes every change a new key. */
export function lambdaBundleKey(kind: AccountKind, sha256: string): string {
  return `${LAMBDA_BUNDLE_PREFIX}${kind}-${sha256.slice(0, 16)}.zip`;
}

/**
 * The virtual-hosted HTTPS URL of an object in a region's artifact bucket: the form CloudFormation
 * takes as TemplateURL (the bucket must be in the stack's region).
 */
export function artifactObjectUrl(cicdAccountId: string, region: string, key: string): string {
  return `https://${artifactBucketName(cicdAccountId, region)}.s3.${region}.${dnsSuffixOf(region)}/${key}`;
}

/**
 * The object key when `url` is exactly an {@link artifactObjectUrl} of the cicd account's bucket
 * in `region` under `prefix` (e.g. `templates/`), else undefined. Handlers that deploy or read
 * what the pipeline uploaded check every URL with it: a request naming any other location (another
 * bucket, another account's, a query string, `..`) is refused, so a forged or corrupted request
 * cannot make a handler deploy a template from elsewhere.
 */
export function artifactObjectKey(
  url: string,
  cicdAccountId: string,
  region: string,
  prefix: string,
): string | undefined {
  const base = artifactObjectUrl(cicdAccountId, region, '');
  if (!url.startsWith(base)) return undefined;
  const key = url.slice(base.length);
  if (!key.startsWith(prefix) || key.length === prefix.length) return undefined;
  // Keys the uploader writes: letters, digits, `-`, `_`, `.`, `/`; no `..`, no query or fragment.
  if (!/^[A-Za-z0-9._/-]+$/.test(key) || key.split('/').some((part) => part === '..' || part === '')) {
    return undefined;
  }
  return key;
}

/** Prefix of the SCP bundles SYNC_SCPS refers to; the management handler may read nothing else. */
export const POLICY_BUNDLE_PREFIX = 'policies/';

/**
 * Days an SCP bundle stays in the artifact bucket (its lifecycle rule): a bundle is read once,
 * within minutes of its upload, so a month only keeps recent ones for a look after the fact.
 */
export const POLICY_BUNDLE_EXPIRY_DAYS = 30;

/**
 * Object key of an SCP bundle (the SYNC_SCPS reference form): the full SHA-256 of its bytes, so
 * the same set of files is always the same key, and a retried or duplicated event reads the
 * bytes it was sent for.
 */
export function policyBundleKey(sha256: string): string {
  return `${POLICY_BUNDLE_PREFIX}scp-${sha256}.json`;
}

/** Where the user's customization templates live in the artifact buckets (read by the organization). */
export const CUSTOMIZATION_TEMPLATE_PREFIX = 'customizations/';

/**
 * Object key of a customization's template: its SHA-256 makes it content-addressed, so the same
 * text is always the same key and a key is never overwritten with other bytes.
 */
export function customizationObjectKey(customization: string, sha256: string): string {
  return `${CUSTOMIZATION_TEMPLATE_PREFIX}${customization}/${sha256}.template`;
}

/** Where rendered templates live in the artifact buckets (read by the organization). */
export const TEMPLATE_PREFIX = 'templates/';

/** Object key of a rendered template in the artifact buckets. */
export function templateKey(templateName: string): string {
  return `${TEMPLATE_PREFIX}${templateName}.template.json`;
}

export const STACK_NAMES = {
  artifacts: `${PREFIX}-artifacts`,
  eventBus: `${PREFIX}-event-bus`,
  handlers: `${PREFIX}-handlers`,
  stackSets: `${PREFIX}-stack-sets`,
  forward: (shard: number) => `${PREFIX}-forward-${String(shard).padStart(2, '0')}`,
} as const;

/** Stack set names (management account). */
export const STACK_SET_NAMES = {
  eventBus: `${PREFIX}-event-bus`,
  handlers: `${PREFIX}-member-handlers`,
} as const;

export const ROLE_NAMES = {
  handler: (kind: AccountKind) => `${PREFIX}-${kind}-handler`,
  /** Read-only SSM role the cicd account assumes to verify what the pipeline wrote. */
  ssmReader: `${PREFIX}-ssm-reader`,
  /** CloudFormation service role the handlers that deploy stacks pass (VPC, IAM mapping). */
  stackDeployer: `${PREFIX}-stack-deployer`,
  /**
   * The EventBridge design's `update-s3-stacks-role`: the only principal allowed to modify the log
   * buckets.
   */
  logBucketUpdater: 'update-s3-stacks-role',
  /** CloudFormation service role `run --action sync-ecr` passes for the ECR stack (cicd account). */
  ecrDeployer: `${PREFIX}-ecr-deployer`,
  /**
   * CloudFormation service role of the customization stacks: its policy is the user's choice,
   * its permissions boundary keeps orgbridge's own resources out of reach (docs/customizations.md).
   */
  customizationDeployer: `${PREFIX}-customization-deployer`,
  /**
   * What DEPLOY_CUSTOMIZATION assumes to start drift detection on the customization stacks:
   * DetectStackDrift reads every resource with the caller's credentials, so this role may read
   * (not change) what the user's templates hold (docs/customizations.md, "Drift").
   */
  customizationDrift: `${PREFIX}-customization-drift`,
  /** What `orgbridge dlq` assumes in each account: read the DLQs, redrive them (docs/operations.md). */
  dlqOperator: `${PREFIX}-dlq-operator`,
  /** What `orgbridge trace` assumes in the audit account: list and read the audit store. */
  auditReader: `${PREFIX}-audit-reader`,
} as const;

export const FUNCTION_NAMES = {
  handler: (kind: AccountKind) => `${PREFIX}-${kind}-handler`,
} as const;

/** SSM parameter path every orgbridge parameter lives under. */
export const SSM_PATH = `/${PREFIX}/`;

/** Stacks the handlers deploy at run time (VPC, IAM mapping, log buckets, baseline): their role may touch only these. */
export const RUNTIME_STACKS = {
  vpc: `${PREFIX}-vpc`,
  accountBaseline: `${PREFIX}-account-baseline`,
  /** The backup vaults of a region other than the home one (the baseline holds the home region's). */
  backupVaults: `${PREFIX}-backup-vaults`,
  iamMapping: `${PREFIX}-iam-mapping`,
  logBuckets: `${PREFIX}-log-buckets`,
  ecr: `${PREFIX}-ecr`,
} as const;

export const AUDIT_NAMES = {
  bucket: (auditAccountId: string, region: string) => `${PREFIX}-audit-events-${auditAccountId}-${region}`,
  archive: `${PREFIX}-audit-archive`,
} as const;

export const LOGS_NAMES = {
  bucket: (logsAccountId: string, region: string) => `${PREFIX}-logs-${logsAccountId}-${region}`,
} as const;

/**
 * DNS handler instances Lambda may run at once: the SQS event source mapping's
 * MaximumConcurrency (the handler stack sets it from this), whose smallest value is 2
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html). Each instance paces
 * its Route 53 calls at its share of the account's rate (src/handlers/dns/rate-limit.ts).
 */
export const DNS_HANDLER_INSTANCES = 2;

/** The CloudWatch namespace of the handlers' metrics (src/runtime/metrics.ts, the dashboard). */
export const METRICS_NAMESPACE = 'orgbridge';

/**
 * The tag on each account's link to the audit account's monitoring sink. A link has no name to
 * protect it by, so the customization boundary denies changes to the link carrying this tag
 * (src/templates/permissions.ts).
 */
export const MONITORING_LINK_TAG = { key: `${PREFIX}:component`, value: 'monitoring-link' } as const;

/**
 * Whether `orgbridge-dlq-operator` may send back into an account's handler queue (a redrive).
 * Whoever may send there writes the envelope's `account`, which the handler takes as the sender;
 * in the management account that would be Organizations writes as the cicd account, so there
 * only when the config names who may assume the role (`organization.operators`). The templates
 * grant it by this (src/templates/stacks/handlers.ts) and `orgbridge dlq redrive` refuses by it.
 */
export function dlqOperatorRedrives(kind: AccountKind, operators: readonly string[] | undefined): boolean {
  return kind !== 'management' || (operators?.length ?? 0) > 0;
}
