import * as z from 'zod';
import { isAwsReservedTag, unacceptedTagCharacter } from '../config/account-tags.js';
import {
  ACCOUNT_ALIAS_PATTERN,
  ACCOUNT_NAME_PATTERN,
  DNS_LABEL_PATTERN,
  EMAIL_MAX_LENGTH,
  EMAIL_MIN_LENGTH,
  EMAIL_PATTERN,
  OU_NAME_PATTERN,
} from '../config/aws-names.js';
import type { AccountKind } from '../config/model.js';
import { iamPasswordPolicyShape } from '../config/password-policy.js';
import { ObservedOrganizationPartSchema } from './accounts-listed.js';

/**
 * The event catalog: one strict zod schema per detail-type. Every detail carries the envelope
 * fields of the EventBridge design (`nonce`, `dryrun`) plus `target_account` (the one account that must act:
 * rules route on it) and, for requests that want an answer, `reply_to` (the account waiting for
 * it, the cicd account). Schemas are `.strict()` and every string has a maximum length, so an
 * unknown field or an oversized value is a rejection, not something a handler has to guess about.
 *
 * See docs/events.md for one example of each type.
 */

/** An EventBridge entry is at most 256 KB (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html). */
export const MAX_ENTRY_BYTES = 256 * 1024;
/** Room for Source, DetailType and the bus name next to the detail in one entry. */
export const MAX_DETAIL_BYTES = MAX_ENTRY_BYTES - 4 * 1024;

export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
const Nonce = z.uuid();
const Text = (max: number) => z.string().min(1).max(max);
/** Text Organizations accepts in a tag (src/config/account-tags.ts): what validate lets through. */
const TagText = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine(
      (t) => unacceptedTagCharacter(t) === undefined,
      'letters, digits, spaces and _ . : / = + - @ only',
    )
    .refine((t) => !isAwsReservedTag(t), "not starting with 'aws:' (AWS's own tags)");
/** Organizations: tag keys 1-128, values 0-256, at most 50 tags per account. */
const Tags = z
  .record(TagText(1, 128), TagText(0, 256))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');
const OuId = z.string().regex(/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/, 'an OU or root id');
const OuPath = z.string().max(1024);
/** The DSL's own rules (src/config/aws-names.ts): what `orgbridge validate` accepts, and no more. */
const AccountName = z
  .string()
  .regex(ACCOUNT_NAME_PATTERN, 'an account name: 1-50 printable ASCII characters');
const AccountEmail = z
  .string()
  .min(EMAIL_MIN_LENGTH)
  .max(EMAIL_MAX_LENGTH)
  .regex(EMAIL_PATTERN, 'an email address');
const OuName = z.string().regex(OU_NAME_PATTERN, "an OU name: 1-128 characters, no '/'");
const Fqdn = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{1,63}\.?$/i, 'a DNS name');
const Code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'an UPPER_SNAKE error code');
const TemplateUrl = z.url().max(1024);
const StackName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name');

/** The fields every detail carries (the EventBridge design's envelope). */
export const EnvelopeFieldsSchema = z.object({
  nonce: Nonce,
  dryrun: z.boolean(),
  target_account: AccountIdSchema,
  reply_to: AccountIdSchema.optional(),
});
export type EnvelopeFields = z.infer<typeof EnvelopeFieldsSchema>;

const detail = <S extends z.ZodRawShape>(shape: S) => EnvelopeFieldsSchema.extend(shape).strict();

// Requests ------------------------------------------------------------------------------------

const Ping = detail({ message: z.string().max(256).optional() });
const ListAccounts = detail({
  /** Largest JSON size of one ACCOUNTS_LISTED part (see docs/plan.md, chunked replies). */
  part_bytes: z.number().int().min(10_000).max(220_000).optional(),
});
const CreateAccount = detail({
  /** Organizations CreateAccount: AccountName 1-50 chars, Email 6-64 chars (the DSL's rules). */
  name: AccountName,
  email: AccountEmail,
  /** OU path (the EventBridge design's `OU`), for people reading the event. */
  OU: OuPath.optional(),
  /** The OU the account must end up in, resolved by the cicd side; must lie inside `root_ou`. */
  ou_id: OuId,
  tags: Tags,
  role_name: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/)
    .optional(),
});
const MoveAccount = detail({ account_id: AccountIdSchema, ou_id: OuId, OU: OuPath.optional() });
const TagAccount = detail({
  account_id: AccountIdSchema,
  set: Tags,
  remove: z.array(TagText(1, 128)).max(50),
});
const RetireAccount = detail({ account_id: AccountIdSchema, morgue_ou_id: OuId, close: z.boolean() });
/** Find-or-create the OU `name` under `parent_id` (the root, for root_ou and morgue_ou only). */
const EnsureOrganizationalUnit = detail({ parent_id: OuId, name: OuName });
const StackInstanceStatus = detail({
  stack_set_name: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/),
  account_id: AccountIdSchema,
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region'),
});
const PutSsmParameters = detail({
  /** SSM: names up to 1011 chars; standard values up to 4 KB. At most 100 per event. */
  parameters: z
    .array(
      z
        .object({
          name: z
            .string()
            .max(1011)
            .regex(/^\/[\w.\-/]+$/, 'an absolute SSM parameter name'),
          value: z.string().max(4096),
        })
        .strict(),
    )
    .min(1)
    .max(100),
});
const Region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region code');
const updateStackShape = {
  stack_name: StackName,
  template_url: TemplateUrl,
  /** The account that caused the update (the new account), for the log. */
  account_id: AccountIdSchema.optional(),
};
const UpdateStack = detail(updateStackShape);
const UpdateAccountBaseline = detail({
  ...updateStackShape,
  /**
   * Absent: the baseline stack in the handler's (home) region. Set: the stack
   * orgbridge-backup-vaults in that region, another than the handler's, from the cicd artifact
   * bucket of that region (the vaults backup plans use there).
   */
  region: Region.optional(),
  /**
   * Without `region`: the other regions where AWS Backup's vault `Default` must exist (the handler
   * makes sure of it there and in its own region through the Backup API; it is never a stack's
   * resource, see src/handlers/provisioning/default-vault.ts).
   */
  default_vault_regions: z.array(Region).max(32).optional(),
});
const CreateVpc = detail({
  region: Region,
  cidr: z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-8])$/, 'an IPv4 CIDR /16-/28'),
  nat_gateway_count: z.number().int().min(0).max(6),
  /**
   * The standard VPC the pipeline rendered for this region, cidr and NAT count, in the cicd
   * artifact bucket of `region` (the handler refuses any other location).
   */
  template_url: TemplateUrl,
});
/**
 * The IAM password policy as UpdateAccountPasswordPolicy takes it, with the DSL's ranges
 * (PASSWORD_POLICY_FIELDS in src/config/schema.ts):
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccountPasswordPolicy.html
 */
export const PasswordPolicySchema = z.object(iamPasswordPolicyShape()).strict();
/**
 * The account's IAM settings from the DSL (`alias`, `password_policy`). A setting left out is
 * not managed: the handler leaves it as it is. With `dryrun` the handler only reports the
 * difference (the plan's drift).
 */
const UpdateIamAccountSettings = detail({
  alias: z.string().regex(ACCOUNT_ALIAS_PATTERN, 'an IAM account alias').optional(),
  password_policy: PasswordPolicySchema.optional(),
});
const DnsCreateAlias = detail({
  name: Fqdn,
  alias_target: z.object({ dns_name: Fqdn, hosted_zone_id: z.string().regex(/^Z[A-Z0-9]{1,32}$/) }).strict(),
  evaluate_target_health: z.boolean().optional(),
});
const DnsCreateValidationRecord = detail({ name: Fqdn, value: Fqdn });
/**
 * The account's hosted zone `<account_name>.<parent_domain>` in the DNS account, its NS
 * delegation in the parent zone, and its DNS permissions as SSM parameters there. Only the cicd
 * pipeline sends it: it decides what an account may write.
 */
const EnsureAccountZone = detail({
  account_id: AccountIdSchema,
  /** Becomes the zone's first label, so one DNS label (the DSL's name_template makes these). */
  account_name: z
    .string()
    .regex(DNS_LABEL_PATTERN, 'a DNS label: letters, digits, _ and inner hyphens, at most 63'),
  parent_domain: Fqdn,
  /** The DSL's allowed_dns_domains of the account; 100 is far above any real list. */
  allowed_dns_domains: z.array(Fqdn).max(100),
});
const ReleaseAccountDns = detail({ account_id: AccountIdSchema });
/** The largest SCP AWS allows (10,240 chars, the 2026 quota; 5,120 before). */
export const MAX_SCP_CHARS = 10_240;
/** Far above AWS's SCPs per target (5, or 10 with the 2026 quota): a bound, not a quota. */
export const MAX_SCP_PER_TARGET = 1000;
/** One SCP file (name, OU path, minified content up to MAX_SCP_CHARS). */
export const ScpFileSchema = z
  .object({ name: Text(128), organization_unit: OuPath, content: z.string().min(1).max(MAX_SCP_CHARS) })
  .strict();
export type ScpFile = z.infer<typeof ScpFileSchema>;
/** SCP files one SYNC_SCPS carries inline; a larger set travels as a bundle (`policies_url`). */
export const MAX_INLINE_SCPS = 20;
/** Organizations allows 10,000 SCPs per organization (orgs_reference_limits.html). */
export const MAX_SCP_FILES = 10_000;
/**
 * The bundle object SYNC_SCPS may refer to instead: every SCP file in one JSON object, parsed
 * with the same file schema as the inline form.
 */
export const ScpBundleSchema = z.object({ policies: z.array(ScpFileSchema).max(MAX_SCP_FILES) }).strict();
export type ScpBundle = z.infer<typeof ScpBundleSchema>;
/**
 * The DSL's SCP quotas (`organization.limits`) the handler plans with; absent, AWS's defaults
 * (5,120 chars, 5 per target). Only an early, readable check: AWS enforces the real quota, so
 * the sender raising them can get no further than AWS lets it.
 */
export const ScpLimitsSchema = z
  .object({
    scp_max_chars: z.number().int().positive().max(MAX_SCP_CHARS),
    scp_per_target: z.number().int().positive().max(MAX_SCP_PER_TARGET),
  })
  .strict();
export type ScpLimits = z.infer<typeof ScpLimitsSchema>;
/**
 * The complete set of SCP files, exactly one way: inline (`policies`, small sets), or a
 * reference to the bundle the pipeline uploaded content-addressed to its artifact bucket in the
 * home region (`policies_url` + `sha256` of its bytes + `count` of its files). The set cannot be
 * split across events: a managed policy missing from it is deleted. `limits` are the DSL's SCP
 * quotas the handler plans with.
 */
const SyncScps = detail({
  policies: z.array(ScpFileSchema).max(MAX_INLINE_SCPS).optional(),
  policies_url: z.url().max(1024).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex')
    .optional(),
  count: z.number().int().min(0).max(MAX_SCP_FILES).optional(),
  limits: ScpLimitsSchema.optional(),
  /**
   * Set by `run --allow-mass-change`: the sender means a sync that deletes or detaches every
   * managed SCP, or more than MASS_CHANGE_SHARE of them; without it the handler refuses
   * (SYNC_SCPS_MASS_CHANGE).
   */
  allow_mass_change: z.boolean().optional(),
}).refine(
  (d) => {
    const reference = [d.policies_url, d.sha256, d.count].filter((v) => v !== undefined).length;
    return d.policies !== undefined ? reference === 0 : reference === 3;
  },
  {
    message: 'exactly one of `policies` (inline) or `policies_url` + `sha256` + `count` (a bundle)',
  },
);

/** A lowercase SHA-256 in hex: the content address of an uploaded object. */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex');
/** The DSL's customization names (src/config/customizations.ts): the stack is `custom-<name>`. */
const CustomizationName = z.string().regex(/^[a-z][a-z0-9-]{0,99}$/, 'a customization name');
/** CloudFormation: at most 200 parameters per template, values up to 4,096 bytes. */
const StackParameters = z
  .record(z.string().min(1).max(255), z.string().max(4096))
  .refine((p) => Object.keys(p).length <= 200, 'at most 200 parameters');
/** What DEPLOY_CUSTOMIZATION does (docs/customizations.md). */
export const CUSTOMIZATION_OPERATIONS = ['list', 'observe', 'deploy', 'delete'] as const;
/**
 * One customization stack in one account and region, or (`list`) every customization stack of a
 * region: `observe` answers what deploying would change (the change set's resource changes),
 * `deploy` creates or updates it, `delete` deletes it. `observe` and `deploy` name the template
 * the pipeline uploaded, content-addressed, to the cicd artifact bucket of `region`.
 */
const DeployCustomization = detail({
  operation: z.enum(CUSTOMIZATION_OPERATIONS),
  region: Region,
  /**
   * `list` only: the regions to list (default `region` alone), so one request reads all of an
   * account's regions; each stack of the answer names its region.
   */
  regions: z.array(Region).min(1).max(32).optional(),
  /**
   * `list` only: start drift detection on every listed stack whose last detection is older than
   * `max_age_minutes` (0: every stack), wait for it within the handler's budget and report the
   * drifted resources (docs/customizations.md, "Drift").
   */
  detect_drift: z
    .object({ max_age_minutes: z.number().int().min(0).max(10_080) })
    .strict()
    .optional(),
  customization: CustomizationName.optional(),
  stack_name: StackName.optional(),
  template_url: TemplateUrl.optional(),
  template_sha256: Sha256.optional(),
  parameters: StackParameters.optional(),
  termination_protection: z.boolean().optional(),
}).refine(
  (d) => {
    const named = d.customization !== undefined && d.stack_name !== undefined;
    const template = d.template_url !== undefined && d.template_sha256 !== undefined;
    if (d.operation === 'list')
      return d.customization === undefined && d.stack_name === undefined && !template;
    if (d.regions !== undefined || d.detect_drift !== undefined) return false;
    if (d.operation === 'delete') return named && !template;
    return named && template;
  },
  {
    message:
      '`list` names no stack (and may name `regions` and `detect_drift`); `delete` names `customization` and `stack_name`; `observe` and `deploy` also `template_url` and `template_sha256`',
  },
);

// Responses -----------------------------------------------------------------------------------

const Pong = detail({ message: z.string().max(256).optional(), responder_kind: z.string().max(32) });
const AccountsListed = EnvelopeFieldsSchema.extend(ObservedOrganizationPartSchema.shape).strict();
const AccountCreated = detail({
  name: Text(50),
  email: z.string().max(64),
  account_id: AccountIdSchema.optional(),
  state: z.enum(['SUCCEEDED', 'IN_PROGRESS']),
  how: z.enum(['created', 'recovered-creation', 'recovered-existing']),
  request_id: z.string().max(256).optional(),
});
const AccountMoved = detail({ account_id: AccountIdSchema, from: z.string().max(64) });
const AccountTagged = detail({ account_id: AccountIdSchema });
const AccountRetired = detail({ account_id: AccountIdSchema, moved: z.boolean(), closed: z.boolean() });
const OrganizationalUnitEnsured = detail({ ou_id: OuId, parent_id: OuId, name: OuName });
const StackInstanceStatusReported = detail({
  stack_set_name: z.string().max(128),
  account_id: AccountIdSchema,
  region: z.string().max(32),
  status: z.enum(['CURRENT', 'OUTDATED', 'INOPERABLE', 'MISSING']),
  reason: z.string().max(1024).optional(),
});
/** A customization stack as its account's CloudFormation reports it. */
const CustomizationStack = z
  .object({
    /** `list` answers: the region the stack is in. */
    region: Region.optional(),
    customization: z.string().max(128),
    stack_name: StackName,
    status: z.string().max(64),
    /** The `orgbridge:template-sha256` stack tag: the template it was last deployed from ('' if none). */
    template_sha256: z.string().max(64),
    parameters: z.record(z.string().max(255), z.string().max(4096)),
    termination_protection: z.boolean(),
    /** DescribeStacks' DriftInformation.StackDriftStatus, from the last drift detection. */
    drift_status: z.string().max(32).optional(),
    /** When that detection ran (ISO 8601). */
    drift_checked_at: z.string().max(40).optional(),
    /** `list` with `detect_drift`, a DRIFTED stack: its modified and deleted resources, described. */
    drifted_resources: z.array(z.string().max(512)).max(50).optional(),
    /** `list` with `detect_drift`: why the drift status could not be brought up to date. */
    drift_note: z.string().max(512).optional(),
  })
  .strict();
/** At most this many resource changes travel in one answer (the rest are counted). */
export const MAX_REPORTED_CHANGES = 500;
const CustomizationReported = detail({
  operation: z.enum(CUSTOMIZATION_OPERATIONS),
  region: Region,
  /**
   * list: `listed`; observe: `create`, `update`, `unchanged`; deploy: `created`, `updated`,
   * `unchanged`; delete: `deleted`, `absent`.
   */
  result: z.enum(['listed', 'create', 'update', 'unchanged', 'created', 'updated', 'deleted', 'absent']),
  /** list: every customization stack of the region; otherwise the stack named (after deploy). */
  stacks: z.array(CustomizationStack).max(2000),
  /** observe: the resources the change would add, modify or remove. */
  changes: z
    .array(
      z
        .object({
          action: z.string().max(32),
          logical_id: z.string().max(255),
          type: z.string().max(256),
          replacement: z.string().max(16).optional(),
        })
        .strict(),
    )
    .max(MAX_REPORTED_CHANGES)
    .optional(),
  /** Resource changes beyond MAX_REPORTED_CHANGES, left out of `changes`. */
  changes_omitted: z.number().int().min(0).optional(),
});
/** REQUEST_COMPLETED's summary: at most this many entries, each value at most this long. */
export const MAX_SUMMARY_ENTRIES = 20;
export const MAX_SUMMARY_VALUE_CHARS = 1024;
/** The answer to a request that has no result of its own (SSM, stacks, VPC, DNS, SCPs). */
const RequestCompleted = detail({
  request_type: z.string().max(64),
  changed: z.boolean(),
  summary: z
    .record(z.string().max(64), z.string().max(MAX_SUMMARY_VALUE_CHARS))
    .refine(
      (s) => Object.keys(s).length <= MAX_SUMMARY_ENTRIES,
      `at most ${MAX_SUMMARY_ENTRIES} summary entries`,
    )
    .optional(),
});
/** The generic failure answer: the request's nonce, a stable code, a message a person can act on. */
const RequestFailed = detail({
  request_type: z.string().max(64).optional(),
  code: Code,
  message: z.string().max(2048),
});

// Notifications -------------------------------------------------------------------------------

/** What became of one handler-queue record (RecordOutcome in src/runtime/handle.ts). */
export const REQUEST_OUTCOMES = ['handled', 'duplicate', 'rejected', 'retrying', 'failed'] as const;
export type RequestOutcomeStatus = (typeof REQUEST_OUTCOMES)[number];

/**
 * The runtime's report of one handler-queue record: published on the handling account's main
 * bus after each batch, so the origin audit copy (or, in the audit account, its audit-store
 * rule) takes it to the audit store, where `orgbridge trace` reads a request's path. Nobody
 * handles it and nobody answers it. The request's own fields are kept as the record carried
 * them, so a refused, malformed request is still reported (its nonce is any string, not
 * necessarily a UUID).
 */
const RequestOutcome = z
  .object({
    /** The request's nonce; absent when the record had none (not JSON, no detail). */
    nonce: z.string().min(1).max(128).optional(),
    dryrun: z.boolean().optional(),
    /**
     * The account whose handler processed the record. Named like every orgbridge detail's
     * routing field: the audit copy rules route on `target_account`.
     */
    target_account: AccountIdSchema,
    /** The request's detail-type as the record carried it. */
    request_type: z.string().min(1).max(128).optional(),
    /** The account that put the request (the envelope's `account`). */
    sender: z.string().max(64).optional(),
    /** The EventBridge event id of the request. */
    event_id: z.string().max(128).optional(),
    /** The SQS message id of the record. */
    message_id: z.string().max(128),
    outcome: z.enum(REQUEST_OUTCOMES),
    /** Why it was refused (`rejected`), or HANDLER_FAILED (`retrying`, `failed`). */
    code: Code.optional(),
    /** The refusal's reason or the handler's error. */
    message: z.string().max(1024).optional(),
    /** The SQS receive count of this attempt. */
    attempt: z.number().int().min(1),
    /** An answer (the reply or REQUEST_FAILED) was sent to `reply_to`. */
    replied: z.boolean(),
    /** When the runtime started on the record, and how long it took (ms). */
    started_at: z.iso.datetime(),
    duration_ms: z.number().int().min(0),
  })
  .strict();

/**
 * Events the runtime publishes about its own work, for the audit store: never routed to a
 * handler or a reply queue, only copied to the audit account.
 */
export const NOTIFICATION_SCHEMAS = {
  REQUEST_OUTCOME: RequestOutcome,
} as const;
export type NotificationType = keyof typeof NOTIFICATION_SCHEMAS;
export const NOTIFICATION_TYPES = Object.keys(NOTIFICATION_SCHEMAS) as NotificationType[];
export type RequestOutcomeDetail = z.infer<typeof RequestOutcome>;

/** Answers flow back to the cicd account's reply queue, from every account. */
export const RESPONSE_SCHEMAS = {
  PONG: Pong,
  ACCOUNTS_LISTED: AccountsListed,
  ACCOUNT_CREATED: AccountCreated,
  ACCOUNT_MOVED: AccountMoved,
  ACCOUNT_TAGGED: AccountTagged,
  ACCOUNT_RETIRED: AccountRetired,
  ORGANIZATIONAL_UNIT_ENSURED: OrganizationalUnitEnsured,
  STACK_INSTANCE_STATUS_REPORTED: StackInstanceStatusReported,
  CUSTOMIZATION_REPORTED: CustomizationReported,
  REQUEST_COMPLETED: RequestCompleted,
  REQUEST_FAILED: RequestFailed,
} as const;

// Descriptors ---------------------------------------------------------------------------------

/** Who may send a request: the cicd account only, or any account of the organization. */
export type Senders = 'cicd' | 'organization';

/**
 * One request type, defined once: its detail schema, its success answer (REQUEST_FAILED is the
 * failure answer of every request), which kinds of account handle it and who may send it. The
 * catalog's tables, the routing table (src/protocol/routing.ts), the topology's rule patterns, the
 * handler registries and docs/events.md are derived from these; the handler's IAM statements are
 * HANDLER_PERMISSIONS in src/templates/permissions.ts and its prose and examples EVENT_DOCS in
 * src/protocol/event-docs.ts, both typed so that a request type without them does not compile.
 */
export interface RequestDescriptor<
  S extends z.ZodType = z.ZodType,
  R extends keyof typeof RESPONSE_SCHEMAS = keyof typeof RESPONSE_SCHEMAS,
> {
  readonly schema: S;
  readonly reply: R;
  /** `every` kind of account, or the kinds listed. */
  readonly handledBy: 'every' | readonly AccountKind[];
  readonly senders: Senders;
}

// `H` keeps each descriptor's literal `handledBy`: the Lambda registries are typed from it.
const request = <
  S extends z.ZodType,
  const R extends keyof typeof RESPONSE_SCHEMAS,
  const H extends RequestDescriptor['handledBy'],
>(
  d: RequestDescriptor<S, R> & { readonly handledBy: H },
) => d;

/** Health check, its SSM parameters, its baseline, its VPC: what every account handles. */
const EVERY = 'every' as const;

export const REQUESTS = {
  PING: request({ schema: Ping, reply: 'PONG', handledBy: EVERY, senders: 'cicd' }),
  LIST_ACCOUNTS: request({
    schema: ListAccounts,
    reply: 'ACCOUNTS_LISTED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  CREATE_ACCOUNT: request({
    schema: CreateAccount,
    reply: 'ACCOUNT_CREATED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  MOVE_ACCOUNT: request({
    schema: MoveAccount,
    reply: 'ACCOUNT_MOVED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  TAG_ACCOUNT: request({
    schema: TagAccount,
    reply: 'ACCOUNT_TAGGED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  RETIRE_ACCOUNT: request({
    schema: RetireAccount,
    reply: 'ACCOUNT_RETIRED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  ENSURE_ORGANIZATIONAL_UNIT: request({
    schema: EnsureOrganizationalUnit,
    reply: 'ORGANIZATIONAL_UNIT_ENSURED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  STACK_INSTANCE_STATUS: request({
    schema: StackInstanceStatus,
    reply: 'STACK_INSTANCE_STATUS_REPORTED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  PUT_SSM_PARAMETERS: request({
    schema: PutSsmParameters,
    reply: 'REQUEST_COMPLETED',
    handledBy: EVERY,
    senders: 'cicd',
  }),
  UPDATE_IAM_ACCOUNT_SETTINGS: request({
    schema: UpdateIamAccountSettings,
    reply: 'REQUEST_COMPLETED',
    handledBy: EVERY,
    senders: 'cicd',
  }),
  UPDATE_IAM_MAPPING: request({
    schema: UpdateStack,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['identity'],
    senders: 'cicd',
  }),
  UPDATE_ACCOUNT_BASELINE: request({
    schema: UpdateAccountBaseline,
    reply: 'REQUEST_COMPLETED',
    handledBy: EVERY,
    senders: 'cicd',
  }),
  CREATE_VPC: request({ schema: CreateVpc, reply: 'REQUEST_COMPLETED', handledBy: EVERY, senders: 'cicd' }),
  UPDATE_LOG_BUCKETS: request({
    schema: UpdateStack,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['logs'],
    senders: 'cicd',
  }),
  // Any account may ask for records in its own zone or its allowed domains (the handler checks the names).
  DNS_CREATE_ALIAS: request({
    schema: DnsCreateAlias,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['dns'],
    senders: 'organization',
  }),
  DNS_CREATE_VALIDATION_RECORD: request({
    schema: DnsCreateValidationRecord,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['dns'],
    senders: 'organization',
  }),
  // Zones and the permissions they imply are the pipeline's decision, never an account's.
  ENSURE_ACCOUNT_ZONE: request({
    schema: EnsureAccountZone,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['dns'],
    senders: 'cicd',
  }),
  // A retired account's DNS permissions end with its retirement: the pipeline's decision too.
  RELEASE_ACCOUNT_DNS: request({
    schema: ReleaseAccountDns,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['dns'],
    senders: 'cicd',
  }),
  SYNC_SCPS: request({
    schema: SyncScps,
    reply: 'REQUEST_COMPLETED',
    handledBy: ['management'],
    senders: 'cicd',
  }),
  // The user's own stacks: any account the DSL selects, the management account included.
  DEPLOY_CUSTOMIZATION: request({
    schema: DeployCustomization,
    reply: 'CUSTOMIZATION_REPORTED',
    handledBy: EVERY,
    senders: 'cicd',
  }),
} as const;

type Requests = typeof REQUESTS;
export type RequestType = keyof Requests;
export type ResponseType = keyof typeof RESPONSE_SCHEMAS;
export type DetailType = RequestType | ResponseType;

const mapRequests = <V>(f: <T extends RequestType>(type: T, d: Requests[T]) => V): Record<RequestType, V> =>
  Object.fromEntries((Object.keys(REQUESTS) as RequestType[]).map((t) => [t, f(t, REQUESTS[t])])) as Record<
    RequestType,
    V
  >;

export const REQUEST_SCHEMAS = mapRequests((_t, d) => d.schema) as {
  readonly [T in RequestType]: Requests[T]['schema'];
};
export const DETAIL_SCHEMAS = { ...REQUEST_SCHEMAS, ...RESPONSE_SCHEMAS } as const;
export type Detail<T extends DetailType> = z.infer<(typeof DETAIL_SCHEMAS)[T]>;
/** What a handler fills in; the runtime adds the envelope fields. */
export type ReplyBody<T extends ResponseType> = Omit<Detail<T>, keyof EnvelopeFields>;

export const REQUEST_TYPES = Object.keys(REQUESTS) as RequestType[];
export const RESPONSE_TYPES = Object.keys(RESPONSE_SCHEMAS) as ResponseType[];
export const DETAIL_TYPES = [...REQUEST_TYPES, ...RESPONSE_TYPES] as DetailType[];
/** What the audit store keeps: requests, answers and notifications. */
export const AUDITED_TYPES: readonly string[] = [...DETAIL_TYPES, ...NOTIFICATION_TYPES];

/** The answer each request gets on success (REQUEST_FAILED on failure, always). */
export const REPLY_TYPE = mapRequests((_t, d) => d.reply) as {
  readonly [T in RequestType]: Requests[T]['reply'];
};
export type ReplyTypeOf<T extends RequestType> = (typeof REPLY_TYPE)[T];

export function isDetailType(value: string): value is DetailType {
  return Object.hasOwn(DETAIL_SCHEMAS, value);
}
export function isRequestType(value: string): value is RequestType {
  return Object.hasOwn(REQUEST_SCHEMAS, value);
}
export function isResponseType(value: string): value is ResponseType {
  return Object.hasOwn(RESPONSE_SCHEMAS, value);
}

/**
 * The message body every queue receives: the one InputTransformer of the topology writes it
 * (see ENVELOPE_INPUT_TEMPLATE in topology.ts), so `account` (the sender) survives.
 */
export const QueueEnvelopeSchema = z.object({
  id: z.string().max(128),
  account: AccountIdSchema,
  source: z.string().min(1).max(256),
  'detail-type': z.string().min(1).max(128),
  time: z.string().max(64),
  region: z.string().max(32),
  detail: z.record(z.string(), z.unknown()),
});
export type QueueEnvelope = z.infer<typeof QueueEnvelopeSchema>;

export type DetailParse<T extends DetailType> =
  | { readonly ok: true; readonly detail: Detail<T> }
  | { readonly ok: false; readonly reason: string };

/** Validates a detail against its type's schema, size limit first. */
export function parseDetail<T extends DetailType>(type: T, value: unknown): DetailParse<T> {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > MAX_DETAIL_BYTES) {
    return { ok: false, reason: `${type} detail is ${bytes} bytes, over the ${MAX_DETAIL_BYTES}-byte limit` };
  }
  const result = DETAIL_SCHEMAS[type].safeParse(value);
  if (result.success) return { ok: true, detail: result.data as Detail<T> };
  return { ok: false, reason: `${type} detail does not match its schema: ${z.prettifyError(result.error)}` };
}
