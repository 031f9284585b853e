import { z } from 'zod';

/**
 * Every error code orgbridge reports, in one typed registry: OrgbridgeError, handler refusals
 * and plan notices accept only these, so a new code cannot be raised without being listed here.
 * Each names the page of docs/ that explains it, or carries its own one-line explanation;
 * docs/errors.md is generated from this table (`npm run docs:errors`) and a test checks that it
 * is current and that every page named really explains its codes.
 */
type ErrorCodeEntry = { readonly page: string } | { readonly summary: string };

export const ERROR_CODES = {
  ACCESS_POLICY_TOO_LARGE: { page: 'provisioning.md' },
  ACCESS_RESERVED_ROLE: { page: 'provisioning.md' },
  ACCOUNT_OU_NOT_ALLOWED: { page: 'plan.md' },
  ACCOUNT_OU_NOT_FOUND: { page: 'events.md' },
  AWS_OPERATION_FAILED: { page: 'reliability.md' },
  BACKUP_ROLE_CONFLICT: { page: 'policies.md' },
  BOOTSTRAP_NO_ORGANIZATION: {
    summary:
      'bootstrap ran with credentials of an account that is in no organization: use the management account',
  },
  BOOTSTRAP_SPECIAL_ACCOUNT_MISSING: {
    summary:
      'bootstrap needs the special accounts (cicd, identity, dns, logs, audit): run `run --action sync-accounts --execute` first',
  },
  BOOTSTRAP_STACK_FAILED: {
    summary:
      "one of orgbridge's own stacks failed or rolled back; the message carries CloudFormation's reason",
  },
  BOOTSTRAP_TRUSTED_ACCESS: { page: 'deploy.md' },
  CLI_INVALID_POLICY_TYPE: { summary: '`effective-policy --type` is neither `tag` nor `backup`' },
  CLI_UNKNOWN_ACTION: { summary: '`run --action X` names no action; `orgbridge run --help` lists them' },
  CLI_UNKNOWN_COMMAND: { summary: 'the command does not exist; `orgbridge --help` lists them' },
  CLI_UNKNOWN_PLAN_SECTION: { page: 'plan.md' },
  CLOSE_ACCOUNT_QUOTA: { page: 'events.md' },
  CLOSE_ACCOUNT_TOO_YOUNG: { page: 'events.md' },
  CREATE_ACCOUNT_EMAIL_TAKEN: { page: 'events.md' },
  CREATE_ACCOUNT_FAILED: {
    summary: "AWS refused to create an account; the message carries the CreateAccount status's FailureReason",
  },
  DAG_CYCLE: { page: 'provisioning.md' },
  DAG_DUPLICATE_STEP: { page: 'provisioning.md' },
  DAG_UNKNOWN_DEPENDENCY: { page: 'provisioning.md' },
  DETAIL_INVALID: { page: 'events.md' },
  DNS_NO_HOSTED_ZONE: { page: 'dns.md' },
  DNS_PARENT_ZONE_MISSING: { page: 'events.md' },
  DNS_RECORD_NOT_ALLOWED: { page: 'reliability.md' },
  DNS_UNKNOWN_ACCOUNT: { page: 'dns.md' },
  DRYRUN: { page: 'events.md' },
  DSL_ACCESS_CONFLICT: { page: 'dsl.md' },
  DSL_BACKUP_REGION_NOT_ALLOWED: { page: 'dsl.md' },
  DSL_BACKUP_ROLE_ACCOUNT: { page: 'dsl.md' },
  DSL_BACKUP_ROLE_ARN: { page: 'dsl.md' },
  DSL_BACKUP_TOO_MANY_NAMES: { page: 'dsl.md' },
  DSL_BACKUP_VAULT_NAME: { page: 'dsl.md' },
  DSL_DNS_DOMAIN_CONFLICT: { page: 'dsl.md' },
  DSL_DUPLICATE_ACCOUNT_ID: { page: 'dsl.md' },
  DSL_DUPLICATE_EMAIL: { page: 'dsl.md' },
  DSL_DUPLICATE_KEY: { page: 'dsl.md' },
  DSL_DUPLICATE_NAME: { page: 'dsl.md' },
  DSL_DUPLICATE_POLICY_NAME: { page: 'dsl.md' },
  DSL_ECR_DUPLICATE_REPOSITORY: { page: 'dsl.md' },
  DSL_ECR_UNKNOWN_ENVIRONMENT: { page: 'dsl.md' },
  DSL_ECR_UNKNOWN_SERVICE: { page: 'dsl.md' },
  DSL_INVALID_ACCESS: { page: 'dsl.md' },
  DSL_INVALID_ACCOUNT_NAME: { page: 'dsl.md' },
  DSL_INVALID_EMAIL: { page: 'dsl.md' },
  DSL_INVALID_KEY: { page: 'dsl.md' },
  DSL_INVALID_TYPE: { page: 'dsl.md' },
  DSL_INVALID_VALUE: { page: 'dsl.md' },
  DSL_KEY_NOT_TEXT: { page: 'dsl.md' },
  DSL_MISSING_EMAIL: { page: 'dsl.md' },
  DSL_MISSING_FILE: { page: 'dsl.md' },
  DSL_MISSING_KEY: { page: 'dsl.md' },
  DSL_MISSING_SETTING: { page: 'dsl.md' },
  DSL_OU_OUTSIDE_ROOT: { page: 'dsl.md' },
  DSL_OU_TOO_DEEP: { page: 'dsl.md' },
  DSL_POLICY_ACCOUNT_WITHOUT_ID: { page: 'dsl.md' },
  DSL_POLICY_AWS_MANAGED: { page: 'dsl.md' },
  DSL_POLICY_INVALID: { page: 'dsl.md' },
  DSL_POLICY_INVALID_JSON: { page: 'dsl.md' },
  DSL_POLICY_MISSING_FILE: { page: 'dsl.md' },
  DSL_POLICY_NO_TARGET: { page: 'dsl.md' },
  DSL_POLICY_TOO_LARGE: { page: 'dsl.md' },
  DSL_POLICY_UNKNOWN_ACCOUNT: { page: 'dsl.md' },
  DSL_POLICY_UNKNOWN_OPERATOR: { page: 'dsl.md' },
  DSL_POLICY_UNKNOWN_OU: { page: 'dsl.md' },
  DSL_POLICY_UNKNOWN_TYPE: { page: 'dsl.md' },
  DSL_POLICY_UNMANAGED_TARGET: { page: 'dsl.md' },
  DSL_READ_FAILED: { page: 'dsl.md' },
  DSL_REGION_NOT_ALLOWED: { page: 'dsl.md' },
  DSL_RESERVED_TAG: { page: 'dsl.md' },
  DSL_SCOPE_IN_MORGUE: { page: 'dsl.md' },
  DSL_SCOPE_UNMANAGED: { page: 'dsl.md' },
  DSL_TEMPLATE_NOT_UNIQUE: { page: 'dsl.md' },
  DSL_TOO_MANY_POLICIES: { page: 'dsl.md' },
  DSL_TOO_MANY_TAGS: { page: 'dsl.md' },
  DSL_UNKNOWN_ACCESS_GROUP: { page: 'dsl.md' },
  DSL_UNKNOWN_ACCOUNT: { page: 'dsl.md' },
  DSL_UNKNOWN_KEY: { page: 'dsl.md' },
  DSL_UNKNOWN_PLACEHOLDER: { page: 'dsl.md' },
  DSL_UNKNOWN_SCOPE: { page: 'dsl.md' },
  DSL_UNKNOWN_SETTING: { page: 'dsl.md' },
  DSL_UNKNOWN_SPECIAL_ACCOUNT: { page: 'dsl.md' },
  DSL_UNMANAGED_CONFLICT: { page: 'dsl.md' },
  DSL_YAML_SYNTAX: { page: 'dsl.md' },
  ECR_POLICY_TOO_LARGE: { page: 'policies.md' },
  ECR_SERVICE_ROLE_MISSING: { page: 'policies.md' },
  ECR_TEMPLATE_TOO_LARGE: { page: 'policies.md' },
  EMULATOR_MISSING: {
    summary: 'local mode needs Python with moto (`pip install "moto[server]"`) or ORGBRIDGE_PYTHON',
  },
  EMULATOR_PROBE_FAILED: {
    summary: 'moto is installed but its probe failed; the message shows what it printed',
  },
  EMULATOR_START_FAILED: { summary: 'moto server exited while starting; the hint shows the end of its log' },
  ENVELOPE_INVALID: { page: 'events.md' },
  EVENTS_NOT_DELIVERED: { page: 'events.md' },
  EVENT_TOO_LARGE: {
    summary: 'an event would exceed what EventBridge accepts in one PutEvents request (256 KiB)',
  },
  GUARDRAILS_FAILED: { page: 'deploy.md' },
  HANDLER_FAILED: { page: 'events.md' },
  HANDLER_MISSING: { page: 'events.md' },
  IMPORT_OUT_EXISTS: {
    summary: '`import --out DIR` names a non-empty directory; pass `--force` to overwrite',
  },
  IMPORT_OUT_NOT_DIRECTORY: { summary: '`import --out` names a file' },
  MANAGEMENT_ACCOUNT_NOT_ALLOWED: { page: 'events.md' },
  MORGUE_OU_NOT_ALLOWED: { page: 'events.md' },
  NONCE_REUSED: { page: 'events.md' },
  OU_PARENT_NOT_ALLOWED: { page: 'plan.md' },
  PIPELINE_STATE_CORRUPT: { page: 'provisioning.md' },
  PIPELINE_STEP_BLOCKED: { page: 'provisioning.md' },
  PIPELINE_STEP_FAILED: { page: 'provisioning.md' },
  PLACEMENT_OU_UNSET: { page: 'dsl.md' },
  PLAN_ACCOUNT_CLOSED: { page: 'plan.md' },
  PLAN_ACCOUNT_ID_NOT_FOUND: { page: 'plan.md' },
  PLAN_ACCOUNT_IN_MORGUE: { page: 'plan.md' },
  PLAN_ACCOUNT_IN_MORGUE_OU: { page: 'plan.md' },
  PLAN_ACCOUNT_UNMANAGED: { page: 'plan.md' },
  PLAN_AMBIGUOUS_NAME: { page: 'plan.md' },
  PLAN_CLOSE_DEFERRED: { page: 'plan.md' },
  PLAN_CLOSE_TOO_YOUNG: { page: 'plan.md' },
  PLAN_DUPLICATE_EMAIL: { page: 'plan.md' },
  PLAN_DUPLICATE_KEY_MARKER: { page: 'plan.md' },
  PLAN_DUPLICATE_MATCH: { page: 'plan.md' },
  PLAN_EMAIL_DIFFERS: { page: 'plan.md' },
  PLAN_MANAGED_TAG_KEYS_TOO_LONG: { page: 'plan.md' },
  PLAN_MANAGEMENT_AS_MEMBER: { page: 'plan.md' },
  PLAN_NAME_DIFFERS: { page: 'plan.md' },
  PLAN_NO_MORGUE: { page: 'plan.md' },
  PLAN_OU_TOO_DEEP: { page: 'plan.md' },
  PLAN_PROTECTED_NOT_RETIRED: { page: 'plan.md' },
  PLAN_RESERVED_TAG: { page: 'plan.md' },
  PLAN_SECTION_FAILED: { page: 'plan.md' },
  PLAN_SPECIAL_ACCOUNT_ELSEWHERE: { page: 'plan.md' },
  PLAN_STACK_NOT_PLANNED: { page: 'plan.md' },
  PLAN_TAG_KEY_WITH_SPACE: { page: 'plan.md' },
  PLAN_TOO_MANY_TAGS: { page: 'plan.md' },
  POLICY_ASSIGN_CONFLICT: { page: 'policies.md' },
  POLICY_INVALID_JSON: {
    summary:
      'a tag or backup policy that inherits from another is not valid JSON (reported as DSL_POLICY_INVALID with its position)',
  },
  POLICY_LAST_SCP: { page: 'policies.md' },
  POLICY_NAME_TAKEN: { page: 'policies.md' },
  POLICY_NOT_MULTI_VALUED: { page: 'policies.md' },
  POLICY_OPERATOR_NOT_ALLOWED: { page: 'policies.md' },
  POLICY_OU_MISSING: { page: 'policies.md' },
  POLICY_TOO_LARGE: { page: 'policies.md' },
  POLICY_TOO_MANY_ON_TARGET: { page: 'policies.md' },
  POLICY_UNKNOWN_OPERATOR: {
    summary:
      'a tag or backup policy uses an inheritance operator AWS does not define (reported with its position)',
  },
  POLICY_WARNING: { summary: 'a warning of the policy plan without a code of its own' },
  PROVISION_DNS_ZONE_NAME_INVALID: { page: 'provisioning.md' },
  PROVISION_NO_ARTIFACT_BUCKET: { page: 'provisioning.md' },
  PROVISION_NO_FORWARD_RULE: { page: 'provisioning.md' },
  PROVISION_SPECIAL_ACCOUNT_MISSING: { page: 'provisioning.md' },
  PROVISION_STACK_FAILED: { page: 'provisioning.md' },
  PROVISION_STACK_INSTANCE_INOPERABLE: { page: 'provisioning.md' },
  PROVISION_STACK_INSTANCE_TIMEOUT: { page: 'provisioning.md' },
  PROVISION_STACK_NOT_ALLOWED: { page: 'events.md' },
  PROVISION_STACK_TIMEOUT: { page: 'provisioning.md' },
  PROVISION_TAG_PARAMETER_CLASH: { page: 'provisioning.md' },
  PROVISION_TEMPLATE_URL_NOT_ALLOWED: { page: 'events.md' },
  PROVISION_TOO_MANY_NAT_GATEWAYS: { page: 'provisioning.md' },
  QUEUE_DELETE_FAILED: {
    summary: 'SQS refused to delete handled messages; they will be delivered again and handled idempotently',
  },
  QUEUE_VISIBILITY_FAILED: {
    summary: "SQS refused to change messages' visibility; they reappear after the queue's timeout",
  },
  REPLY_UNEXPECTED: {
    summary:
      'a reply on the reply queue answers another request type than the one sent with its nonce; it is ignored',
  },
  REPORT_AWS_UNREACHABLE: { page: 'plan.md' },
  REPORT_PLAN_INVALID: { page: 'plan.md' },
  REPORT_PLAN_NOT_JSON: { page: 'plan.md' },
  REPORT_PLAN_NO_ACCOUNTS: { page: 'plan.md' },
  REQUEST_CLIENT_CLOSED: {
    summary: 'the request client was closed before its reply arrived (the process is shutting down)',
  },
  REQUEST_FAILED: { page: 'events.md' },
  REQUEST_TIMEOUT: { page: 'events.md' },
  RETIRE_MANAGEMENT_ACCOUNT: {
    summary: 'a RETIRE_ACCOUNT request named the management account, which is never retired',
  },
  RETIRE_PROTECTED_ACCOUNT: { page: 'events.md' },
  RUNTIME_ACCOUNT_UNKNOWN: {
    summary: "the Lambda runtime could not read its account id from the function's ARN",
  },
  RUNTIME_ENTRY_MISSING: {
    summary:
      "a handler bundle was built without its kind's runtime entry; messages stay queued for redelivery",
  },
  RUNTIME_KIND_MISMATCH: {
    summary: 'a Lambda function runs the bundle of another account kind: re-upload the bundles',
  },
  RUNTIME_SETTING_INVALID: { page: 'events.md' },
  RUNTIME_SETTING_MISSING: { page: 'events.md' },
  SCP_TESTS_INVALID: { page: 'policies.md' },
  SCP_TESTS_MISSING: { page: 'policies.md' },
  SCP_TESTS_UNKNOWN_ACCOUNT: { page: 'policies.md' },
  SCP_TESTS_UNKNOWN_OU: { page: 'policies.md' },
  SENDER_NOT_ALLOWED: { page: 'events.md' },
  SENDER_UNKNOWN: { page: 'events.md' },
  SOURCE_UNKNOWN: { page: 'events.md' },
  SPECIAL_ACCOUNT_UNSET: { page: 'dsl.md' },
  SYNC_BAD_REPLY: { summary: 'a handler answered a sync step with a reply of the wrong kind' },
  SYNC_CREATE_STILL_IN_PROGRESS: {
    summary: 'an account is still being created after the wait; the next run resumes it',
  },
  SYNC_GATEWAY_NOT_CICD: { page: 'plan.md' },
  SYNC_GATEWAY_UNCONFIGURED: {
    summary: 'the EventBridge gateway lacks the bus name and event source: pass `-c DIR`',
  },
  SYNC_GATEWAY_UNKNOWN: { page: 'plan.md' },
  SYNC_OU_MISSING: {
    summary: "an account's OU does not exist because creating it failed earlier in the run",
  },
  SYNC_SCPS_BLOCKED: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_CHECKSUM: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_COUNT: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_INVALID: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_LOCATION: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_MISSING: { page: 'policies.md' },
  SYNC_SCPS_BUNDLE_TOO_LARGE: { page: 'policies.md' },
  SYNC_SCPS_INVALID: { page: 'policies.md' },
  SYNC_STEP_FAILED: {
    summary: 'a sync step failed with an error that had no code of its own; the message says what',
  },
  TEMPLATE_ACCOUNT_ID_MISSING: {
    summary: "templates need the special accounts' ids: create them first or give them `id:`",
  },
  TOPOLOGY_BAD_ACCOUNT_ID: { summary: 'an account id in the topology is not 12 digits' },
  TOPOLOGY_DUPLICATE_ACCOUNT: { summary: 'an account appears twice in the topology' },
  TOPOLOGY_LOOP: {
    summary: 'routing an event would loop between buses (EventBridge delivers across at most one hop)',
  },
  TOPOLOGY_SPECIAL_ACCOUNT: { summary: 'the topology needs exactly one account of each special kind' },
  TOPOLOGY_UNKNOWN_ACCOUNT: {
    summary: 'an account is not in the topology the process computed; recompute it',
  },
  TYPE_NOT_HANDLED: { page: 'events.md' },
  TYPE_UNKNOWN: { page: 'events.md' },
  VALIDATION_FAILED: {
    summary: 'the configuration has errors; each is printed above with its file:line:col',
  },
  VPC_BAD_CIDR: { page: 'provisioning.md' },
  VPC_CIDR_TOO_SMALL: { page: 'provisioning.md' },
  WRONG_TARGET: { page: 'events.md' },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

const CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** A code in a serialized plan or reply: only registered codes parse. */
export const ErrorCodeSchema = z.enum(CODE_LIST);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
