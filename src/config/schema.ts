import * as z from 'zod';
import { ACCOUNT_ALIAS_PATTERN, IAM_PRINCIPAL_ARN_PATTERN, IAM_ROLE_NAME_PATTERN } from './aws-names.js';
import { SPECIAL_ACCOUNT_KINDS } from './model.js';
import { dslPasswordPolicyShape } from './password-policy.js';

/**
 * The DSL's input schemas, one per file (`accounts.yml`, `ecr.yml`). Objects are strict so a
 * misspelt key is an error with a did-you-mean, never silently ignored. Types are inferred
 * from these schemas; the resolved model the later stages consume is in `model.ts`.
 */

/** Account and scope keys end up in account names, rule names and tags: keep them simple. */
export const KEY_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ENVIRONMENT_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
/**
 * OU names of 1 to 128 characters, without `/`, and not starting or ending with white space:
 * Organizations would keep `Dev ` as a name of its own, beside `Dev`, and nobody sees the space
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreateOrganizationalUnit.html).
 */
const OU_PATH_PATTERN = /^[^/\s](?:[^/]{0,126}[^/\s])?(\/[^/\s](?:[^/]{0,126}[^/\s])?)*$/;
/** One OU name by the same rule (root_ou, morgue_ou). */
const OU_SINGLE_NAME_PATTERN = /^[^/\s](?:[^/]{0,126}[^/\s])?$/;
const OU_SINGLE_NAME_ERROR =
  "must be one OU name: 1 to 128 characters, no '/', not starting or ending with a space";
/** An OU path, or `''`: the organization root itself (accounts directly under the root). */
const OU_PATH_OR_ROOT_PATTERN = new RegExp(`^$|${OU_PATH_PATTERN.source}`);
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html */
const ECR_NAME_PATTERN = /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const DURATION_PATTERN = /^(\d+) ?days?$/;
const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/**
 * A VPC range: AWS allows /16 to /28 (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html);
 * the standard VPC splits it in 16 subnets of at least /28, so /24 is the smallest it accepts.
 */
export const VPC_CIDR_PATTERN = new RegExp(`^(${OCTET}\\.){3}${OCTET}\\/(1[6-9]|2[0-4])$`);
/** IAM user and group names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html */
const IAM_USER_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const IAM_GROUP_NAME_PATTERN = /^[\w+=,.@-]{1,128}$/;
const SAML_PROVIDER_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:saml-provider\/[\w.-]{1,128}$/;
const OIDC_PROVIDER_ARN_PATTERN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/[^\s]+$/;

/** The range with its host bits cleared, e.g. `10.0.0.0/16` for `10.0.1.0/16`. */
export function networkOf(cidr: string): string {
  const [address = '', prefixText = '32'] = cidr.split('/');
  const prefix = Number(prefixText);
  const n = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  const network = n - (n % size);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.')}/${prefix}`;
}

const key = (what: string) =>
  z.string().regex(KEY_PATTERN, { error: `${what} must be lowercase letters, digits, '-' or '_'` });
/** A service name (`service:` of an account, `services:` of an ECR pull grant). */
const serviceName = z.string().regex(KEY_PATTERN, {
  error: "must be lowercase letters, digits, '-' or '_', starting with a letter or digit",
});
const region = z
  .string()
  .regex(REGION_PATTERN, { error: 'must be an AWS region code such as us-east-1' })
  .describe('AWS region code, e.g. ap-southeast-2');
const environment = z
  .string()
  .regex(ENVIRONMENT_PATTERN, { error: 'must be lowercase letters, digits and -' })
  .describe('Environment name used in account names and tags, e.g. nonprod or prod');
/** AWS tag values are strings; numbers and booleans are accepted and written as text. */
const tagValue = z.union([z.string().max(256), z.number(), z.boolean()]);
const tags = z
  .record(z.string().min(1).max(128), tagValue)
  .describe('Tags for the account; maps merge from defaults to scope to account');
const access = z
  .record(
    z.string().regex(IAM_ROLE_NAME_PATTERN),
    z.union([z.string().min(1), z.array(z.string().regex(IAM_ROLE_NAME_PATTERN)).min(1)]),
  )
  .describe('Group -> roles it may assume in the account, e.g. `rw: PowerUser,Developer`');

/** A layer's policy replaces the inherited one as a whole (like `regions`). */
const passwordPolicy = z
  .strictObject(dslPasswordPolicyShape())
  .describe('IAM password policy of the account; a layer replaces the inherited policy');

/** Settings every layer (defaults, scope, account) may set; the most specific layer wins. */
export const settingsShape = {
  region: region.optional().describe('Primary region of the account'),
  global_region: region.optional().describe('Region of global services (CloudFront, ACM for CloudFront)'),
  regions: z.array(region).min(1).optional().describe('Regions accounts may use; a list replaces'),
  environment: environment.optional(),
  create_vpc: z.boolean().optional().describe('Deploy the standard VPC into the account'),
  nat_gateway_count: z.int().min(0).max(16).optional().describe('NAT gateways of the standard VPC'),
  vpc_cidr: z
    .string()
    .regex(VPC_CIDR_PATTERN, { error: 'must be an IPv4 range from /16 to /24, such as 10.20.0.0/16' })
    .refine((cidr) => !VPC_CIDR_PATTERN.test(cidr) || networkOf(cidr) === cidr, {
      error: (issue) =>
        `has host bits set; the range starts at ${networkOf(String(issue.input))}: write that instead`,
    })
    .optional()
    .describe('IPv4 range of the standard VPC, /16 to /24 (default 10.0.0.0/16)'),
  use_cfr: z.boolean().optional().describe('Send CloudFront logs to the central logs bucket'),
  logging: z
    .boolean()
    .optional()
    .describe('Let AWS log delivery (ELB, VPC flow logs, WAF, ...) write to the central logs bucket'),
  protect: z.boolean().optional().describe('Never retire or close the account'),
  alias: z
    .string()
    .max(128)
    .refine((v) => ACCOUNT_ALIAS_PATTERN.test(v) || /\{[^}]+\}/.test(v), {
      error:
        "must be 3-63 lowercase letters, digits and single '-', starting and ending with a letter or digit, or a template such as 'acme-{key}'",
    })
    .optional()
    .describe(
      'IAM account alias (sign-in URL), or a template: {key} {name} {environment} {scope} {service} {tag:<key>}; unset: not managed',
    ),
  password_policy: passwordPolicy.optional(),
  tags: tags.optional(),
};

export const SETTING_NAMES = [
  'region',
  'global_region',
  'regions',
  'environment',
  'create_vpc',
  'nat_gateway_count',
  'vpc_cidr',
  'use_cfr',
  'logging',
  'protect',
  'alias',
  'password_policy',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

export const defaultsSchema = z.strictObject(settingsShape).describe('Organization-wide settings');

export const scopeSchema = z
  .strictObject({
    organization_unit: z
      .string()
      .regex(OU_PATH_OR_ROOT_PATTERN, {
        error:
          "must be an OU name, a /-separated path such as Internal/Dev (no name starting or ending with a space), or '' (the organization root)",
      })
      .describe(
        "OU name (placed under root_ou), a path from the organization root, or '' for the root itself",
      ),
    description: z.string().optional(),
    access: access.optional(),
    ...settingsShape,
  })
  .describe('A group of accounts sharing an OU, access patterns and settings');

export const accountSchema = z
  .strictObject({
    scope: key('a scope name').describe('Scope (from `scopes:`) the account belongs to'),
    service: serviceName.optional().describe('Service in the account; defaults to the key'),
    id: z
      .string()
      .regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id' })
      .optional()
      .describe('Existing account id to adopt (quote it)'),
    name: z.string().optional().describe('Account name; overrides organization.name_template'),
    email: z.string().optional().describe('Root email; overrides organization.email_template'),
    description: z.string().optional(),
    allowed_dns_domains: z
      .array(
        z.string().regex(DOMAIN_PATTERN, { error: 'must be a lowercase DNS name such as api.example.com' }),
      )
      .optional()
      .describe('Domains the account may create records under via the DNS account'),
    access: access.optional(),
    ...settingsShape,
  })
  .describe('An AWS account, by its internal readable key');

const positive = z.int().min(1).optional();
export const limitsSchema = z
  .strictObject({
    scp_max_chars: positive.describe('Max SCP size after minifying (AWS: 5,120; 10,240 since 2026-05-15)'),
    tag_policy_max_chars: positive.describe('Max tag policy size (AWS: 10,000)'),
    backup_policy_max_chars: positive.describe('Max backup policy size (AWS: 10,000)'),
    scp_per_target: positive.describe('SCPs per OU including FullAWSAccess (AWS: 5; 10 since 2026-05-15)'),
    tag_policies_per_target: positive.describe('Tag policies per OU (AWS: 10)'),
    backup_policies_per_target: positive.describe('Backup policies per OU (AWS: 10)'),
    tags_per_account: positive.describe('Tags per account (AWS: 50)'),
    ou_depth: positive.describe('OU nesting under the root (AWS: 5)'),
  })
  .describe('AWS quotas, overridable because AWS raises some of them');

export const accessSettingsSchema = z
  .strictObject({
    saml_provider_arn: z
      .string()
      .regex(SAML_PROVIDER_ARN_PATTERN, {
        error: 'must be a SAML provider ARN such as arn:aws:iam::123456789012:saml-provider/sso',
      })
      .optional()
      .describe(
        'SAML provider in the identity account the group roles trust (SSO) instead of its principals',
      ),
    automation_oidc: z
      .strictObject({
        provider_arn: z
          .string()
          .regex(OIDC_PROVIDER_ARN_PATTERN, {
            error:
              'must be an OIDC provider ARN such as arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
          })
          .describe('OIDC provider (in each account) AutomationRole trusts'),
        audience: z.string().min(1).describe('`aud` claim required, e.g. sts.amazonaws.com'),
        subjects: z
          .array(z.string().min(1))
          .min(1)
          .describe('`sub` claims allowed, wildcards allowed, e.g. repo:acme/infra:ref:refs/heads/main'),
      })
      .optional()
      .describe('AutomationRole trusts this OIDC provider (e.g. GitHub Actions) instead of the cicd account'),
    iam_users: z
      .strictObject({
        developers_access_group: z
          .string()
          .regex(IAM_ROLE_NAME_PATTERN)
          .describe('Access group (an `access:` key) whose group role the developers group may assume'),
        developers_group_name: z
          .string()
          .regex(IAM_GROUP_NAME_PATTERN)
          .optional()
          .describe('IAM group in the identity account (default developers)'),
        automation_user_name: z
          .string()
          .regex(IAM_USER_NAME_PATTERN)
          .optional()
          .describe('IAM user allowed into AutomationRole everywhere (default cicd-automation)'),
      })
      .optional()
      .describe(
        'An IAM developers group and automation user in the identity account, for organizations without SSO',
      ),
  })
  .describe('How people and automation reach the accounts (docs/provisioning.md#access)');

/**
 * The management account always exists; the others may not yet in an organization being taken
 * over (`orgbridge import` leaves them unset): the commands that need one say so when run.
 */
const specialAccounts = Object.fromEntries(
  SPECIAL_ACCOUNT_KINDS.map((kind) => [
    kind,
    kind === 'management'
      ? key('an account key').describe('Account key of the management account')
      : key('an account key')
          .optional()
          .describe(`Account key of the ${kind} account (bootstrap and the pipeline need it)`),
  ]),
) as { management: ReturnType<typeof key> } & Record<
  Exclude<(typeof SPECIAL_ACCOUNT_KINDS)[number], 'management'>,
  z.ZodOptional<ReturnType<typeof key>>
>;

export const organizationSchema = z
  .strictObject({
    ...specialAccounts,
    root_ou: z
      .string()
      .regex(OU_SINGLE_NAME_PATTERN, { error: OU_SINGLE_NAME_ERROR })
      .optional()
      .describe('OU under the root that holds every scope OU (bootstrap needs it); unset: OUs anywhere'),
    morgue_ou: z
      .string()
      .regex(OU_SINGLE_NAME_PATTERN, { error: OU_SINGLE_NAME_ERROR })
      .optional()
      .describe('OU under the root for retired accounts; unset: no account is retired'),
    // CreateEventBus: `default` names every account's own bus, and `aws.` starts the names of
    // partner buses (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html).
    event_bus: z
      .string()
      .regex(/^[\w.-]{1,256}$/)
      .refine((name) => name !== 'default' && !name.startsWith('aws.'), {
        error:
          "must be a custom bus name: not 'default' (every account's own bus) and not starting with 'aws.' (partner buses)",
      })
      .describe('Name of the event bus in every account'),
    // PutEvents refuses a Source that starts with `aws.`, which AWS services' events use
    // (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsRequestEntry.html).
    event_source: z
      .string()
      .min(1)
      .max(256)
      .refine((source) => !source.startsWith('aws.'), {
        error: "must not start with 'aws.': EventBridge keeps those sources for AWS services",
      })
      .default('app.infra')
      .describe('`source` of orgbridge events'),
    name_template: z
      .string()
      .min(1)
      .default('{key}-{environment}-{region}')
      .describe('Account name; placeholders {key} {service} {scope} {environment} {region}'),
    email_template: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Root email, e.g. aws+{name}@example.com; placeholders as name_template plus {name}; unset: every account sets `email:`',
      ),
    dns_parent_domain: z
      .string()
      .regex(DOMAIN_PATTERN)
      .optional()
      .describe('Parent domain of the one zone per account the DNS account creates'),
    access_role_name: z
      .string()
      .regex(IAM_ROLE_NAME_PATTERN)
      .default('OrganizationAccountAccessRole')
      .describe('Role assumed in member accounts'),
    operators: z
      .array(
        z.string().regex(IAM_PRINCIPAL_ARN_PATTERN, {
          error:
            'must be the ARN of an IAM role or user of the management account, * and ? allowed (arn:aws:iam::<id>:role/<path and name>)',
        }),
      )
      .min(1)
      .optional()
      .describe(
        'Principals of the management account that may run `orgbridge dlq` (assume orgbridge-dlq-operator); needed to redrive into the management handler queue (docs/operations.md)',
      ),
    close_retired_accounts: z.boolean().default(false).describe('Close accounts removed from the file'),
    standard_tags: z
      .boolean()
      .default(true)
      .describe('Tag every account with scope, service-name, environment and region'),
    authoritative: z
      .boolean()
      .default(false)
      .describe(
        'accounts.yml describes the whole organization: unlisted accounts are retired, all tags are managed (docs/plan.md)',
      ),
    limits: limitsSchema.optional(),
    access: accessSettingsSchema.optional(),
    allow_unlisted_regions: z
      .array(region)
      .optional()
      .describe(
        'Region codes newer than orgbridge\'s list of AWS regions that the config may use anyway (docs/dsl.md, "Regions")',
      ),
  })
  .describe('The organization: special accounts, OUs, event bus and naming');

const accountId = z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account id (quote it)' });
const ouPathOrRoot = z.string().regex(OU_PATH_OR_ROOT_PATTERN, {
  error:
    "must be an OU path from the root such as Internal/Dev (no name starting or ending with a space), or '' (the root)",
});

export const unmanagedSchema = z
  .strictObject({
    accounts: z
      .array(accountId)
      .optional()
      .describe('Account ids orgbridge never matches, moves, tags or retires'),
    organization_units: z
      .array(ouPathOrRoot.refine((path) => path !== '', { error: 'the root cannot be unmanaged' }))
      .optional()
      .describe('OU paths orgbridge never touches, nor the OUs and accounts below them'),
    policies: z
      .array(z.string().regex(/^p-[0-9a-zA-Z_]{8,128}$/, { error: 'must be a policy id such as p-abcd1234' }))
      .optional()
      .describe('Policy ids orgbridge never attaches, detaches or changes'),
  })
  .describe('What orgbridge leaves alone');

const policyTargetsShape = {
  organization_units: z.array(ouPathOrRoot).optional().describe("OU paths ('' = the root)"),
  accounts: z.array(key('an account key')).optional().describe('Account keys (each with an `id:`)'),
};
/** AWS policy names are 1-128 characters; orgbridge keeps each in a file, so no `/`. */
export const POLICY_NAME_PATTERN = /^[^/\\]{1,128}$/;
export const policyAttachmentSchema = z
  .strictObject({
    ...policyTargetsShape,
    detached_from: z
      .strictObject(policyTargetsShape)
      .optional()
      .describe(
        'FullAWSAccess only: where the AWS-managed policy is detached (it is attached everywhere else)',
      ),
  })
  .describe('Where one policy is attached');
const policyAttachments = z.record(
  z.string().regex(POLICY_NAME_PATTERN, { error: 'must be a policy name (1-128 characters, no /)' }),
  policyAttachmentSchema,
);
export const policiesSectionSchema = z
  .strictObject({
    scp: policyAttachments.optional(),
    tag: policyAttachments.optional(),
    backup: policyAttachments.optional(),
  })
  .describe('Policy -> targets, for the documents policies/<type>/<name>.json (docs/dsl.md#policies)');

/** Each entry once: a repeated endpoint would be a second subscription of the same inbox. */
const uniqueList = <T extends z.ZodType<string>>(item: T) =>
  z.array(item).refine((list) => new Set(list).size === list.length, { error: 'lists an entry twice' });

export const notificationsSchema = z
  .strictObject({
    email: uniqueList(z.email({ error: 'must be an email address' }))
      .optional()
      .describe('Email addresses subscribed to the alarms topic (each confirms the first message SNS sends)'),
    https: uniqueList(
      z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).max(2048, {
        error: 'must be at most 2048 characters',
      }),
    )
      .optional()
      .describe(
        'HTTPS endpoints subscribed to the alarms topic (each confirms the subscription URL SNS posts)',
      ),
    slack: z
      .array(
        z.strictObject({
          // Slack ids: a workspace (team) id starts with T, a channel id is 9 or more capitals and
          // digits, "the 9-character string at the end of the URL" of the channel's link
          // (https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html).
          workspace_id: z
            .string()
            .regex(/^T[A-Z0-9]{8,20}$/, {
              error:
                'must be a Slack workspace id such as T0123ABCD (the Amazon Q Developer console shows it)',
            })
            .describe('Slack workspace id, authorized once in the Amazon Q Developer (AWS Chatbot) console'),
          channel_id: z
            .string()
            .regex(/^[A-Z0-9]{9,20}$/, {
              error: "must be a Slack channel id such as C0123ABCD (the end of the channel's link)",
            })
            .describe("Slack channel id: the end of the channel's link, e.g. C0123ABCD"),
        }),
      )
      .refine((list) => new Set(list.map((s) => s.channel_id)).size === list.length, {
        error: 'lists a channel twice',
      })
      .optional()
      .describe(
        'Slack channels that receive the alarms, through an Amazon Q Developer (AWS Chatbot) channel configuration subscribed to the topic',
      ),
  })
  .describe(
    "Where orgbridge's alarms go: subscriptions of the orgbridge-alarms topic in the audit account (docs/operations.md#notifications)",
  );

/** Top level of accounts.yml; sections are validated one by one so one bad account hides nothing. */
export const accountsFileSchema = z
  .strictObject({
    organization: organizationSchema,
    defaults: defaultsSchema.optional(),
    scopes: z.record(key('a scope name'), scopeSchema),
    accounts: z.record(key('an account key'), accountSchema),
    unmanaged: unmanagedSchema.optional(),
    policies: policiesSectionSchema.optional(),
    notifications: notificationsSchema.optional(),
  })
  .describe('orgbridge accounts.yml');

export const ecrRepositorySchema = z.strictObject({
  name: z.string().regex(ECR_NAME_PATTERN, {
    error:
      "must be an ECR repository name: 2 to 256 lowercase letters and digits, separated by single '.', '_', '-' or '/' (such as team/checkout-web)",
  }),
  description: z.string().optional(),
  lifecycle: z
    .array(
      z
        .record(
          z.string().min(1),
          z
            .string()
            .regex(DURATION_PATTERN, { error: 'must be a duration such as "7 days"' })
            // ECR's countNumber: a positive integer, 0 not accepted (a 32-bit integer in the API),
            // https://docs.aws.amazon.com/AmazonECR/latest/userguide/lifecycle_policy_parameters.html
            .refine(
              (d) => {
                const days = DURATION_PATTERN.exec(d)?.[1];
                return days === undefined || inRange(Number(days), 1, 2_147_483_647);
              },
              {
                error: 'must be 1 to 2147483647 days: ECR expires images after a positive number of days',
              },
            ),
        )
        .refine((rule) => Object.keys(rule).length === 1, {
          error: 'each lifecycle rule is one `tag-prefix: "N days"` (or `untagged: "N days"`) entry',
        }),
    )
    .default([])
    .describe('Expire images: `- dev-: "7 days"` (tag prefix) or `- untagged: "7 days"`'),
  pull: z
    .array(
      z.strictObject({
        environment: environment.optional(),
        services: z.union([serviceName, z.array(serviceName).min(1)]),
      }),
    )
    .default([])
    .describe('Accounts allowed to pull: those running `services` (in `environment`, if given)'),
});
export const ecrFileSchema = z.array(ecrRepositorySchema).describe('orgbridge ecr.yml');

/** The policy types and their folder under `policies/`. */
export const POLICY_TYPES = ['scp', 'tag', 'backup'] as const;

export type OrganizationInput = z.infer<typeof organizationSchema>;
export type DefaultsInput = z.infer<typeof defaultsSchema>;
export type ScopeInput = z.infer<typeof scopeSchema>;
export type AccountInput = z.infer<typeof accountSchema>;
export type AccessSettingsInput = z.infer<typeof accessSettingsSchema>;
export type EcrRepositoryInput = z.infer<typeof ecrRepositorySchema>;
export type UnmanagedInput = z.infer<typeof unmanagedSchema>;
export type PoliciesSectionInput = z.infer<typeof policiesSectionSchema>;
export type NotificationsInput = z.infer<typeof notificationsSchema>;

/** JSON Schema of accounts.yml for editors (`# yaml-language-server: $schema=...`). */
export function accountsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(accountsFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
