import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { IAM_ROLE_NAME_PATTERN } from './aws-names.js';
import { didYouMeanSuffix } from './did-you-mean.js';
import type {
  AccessSettings,
  AccountPolicyDocument,
  EcrRepository,
  FullAwsAccessSettings,
  OrganizationSettings,
  PolicyDocument,
  PolicyLimits,
  Provenance,
  ResolvedAccount,
  ResolvedConfig,
  ResolvedScope,
  SpecialAccountKeys,
  SpecialAccountKind,
} from './model.js';
import { SPECIAL_ACCOUNT_KINDS } from './model.js';
import { groupRoleName, MAX_ROLE_NAME_CHARS, RESERVED_ACCESS_ROLES } from './reserved-roles.js';
import {
  type AccessSettingsInput,
  type AccountInput,
  type DefaultsInput,
  DURATION_PATTERN,
  type EcrRepositoryInput,
  type NotificationsInput,
  type OrganizationInput,
  type PoliciesSectionInput,
  type ScopeInput,
  SETTING_NAMES,
  type SettingName,
  type UnmanagedInput,
} from './schema.js';
import type { ParsedYaml } from './source.js';

/**
 * Resolution: defaults -> scope -> account, the most specific layer wins; maps (tags, access)
 * merge key by key; lists replace. Every resolved value records where it came from, so
 * `orgbridge explain foo create_vpc` can say which line made it false.
 */

/** AWS quotas as of writing (see docs/dsl.md, "Limits"). */
export const DEFAULT_LIMITS: PolicyLimits = {
  scp_max_chars: 5120,
  tag_policy_max_chars: 10_000,
  backup_policy_max_chars: 10_000,
  scp_per_target: 5,
  tag_policies_per_target: 10,
  backup_policies_per_target: 10,
  tags_per_account: 50,
  ou_depth: 5,
};

/** The standard VPC's range when no layer sets `vpc_cidr` (each account has its own VPC). */
export const DEFAULT_VPC_CIDR = '10.0.0.0/16';

/** Values used when no layer sets a setting. `region` has none on purpose: choose one. */
export const BUILTIN_SETTINGS: Readonly<Partial<Record<SettingName, unknown>>> = {
  environment: 'nonprod',
  // CloudFront and its ACM certificates live in us-east-1 whatever the account's region.
  global_region: 'us-east-1',
  create_vpc: false,
  nat_gateway_count: 1,
  vpc_cidr: DEFAULT_VPC_CIDR,
  use_cfr: false,
  logging: false,
  protect: false,
};

/**
 * The tags the EventBridge design's CREATE_ACCOUNT event carries; sync reads them back to recognise
 * accounts.
 */
export const SEED_TAG_KEYS = ['scope', 'service-name', 'environment', 'region'] as const;

export const NAME_PLACEHOLDERS = ['key', 'service', 'scope', 'environment', 'region'] as const;
export const EMAIL_PLACEHOLDERS = [...NAME_PLACEHOLDERS, 'name'] as const;

const BUILTIN_PROVENANCE: Provenance = { layer: 'builtin', file: '<builtin>', line: 0, column: 0 };

/** accounts.yml after the schema check: only the sections that passed it. */
export interface CheckedAccountsFile {
  readonly doc: ParsedYaml;
  readonly organization: OrganizationInput;
  readonly defaults: DefaultsInput;
  readonly scopes: ReadonlyMap<string, ScopeInput>;
  readonly accounts: ReadonlyMap<string, AccountInput>;
  /** Scopes that exist but failed the schema check: already reported, so not "unknown". */
  readonly invalidScopes: ReadonlySet<string>;
  readonly unmanaged?: UnmanagedInput;
  readonly policies?: PoliciesSectionInput;
  readonly notifications?: NotificationsInput;
}

export interface ResolveResult {
  readonly config: ResolvedConfig;
  readonly errors: OrgbridgeError[];
}

interface Inherited {
  readonly value: unknown;
  readonly provenance: Provenance;
}

interface ScopeLayer {
  readonly resolved: ResolvedScope;
  readonly settings: ReadonlyMap<SettingName, Inherited>;
  readonly tags: ReadonlyMap<string, Inherited>;
  /**
   * Inherited tags and access groups as (provenance key, value, provenance) rows, the key strings
   * built once per scope: building `tags.${tag}` per account was the hottest line at 10,000.
   */
  readonly inheritedTags: readonly (readonly [
    tag: string,
    key: string,
    value: string,
    provenance: Provenance,
  ])[];
  readonly access: Readonly<Record<string, readonly string[]>>;
  readonly accessProvenance: readonly (readonly [group: string, key: string, provenance: Provenance])[];
  readonly ouProvenance: Provenance;
}

/** What resolution takes besides accounts.yml: ecr.yml and the policies (attachments expanded). */
export interface ResolveExtra {
  readonly directory: string;
  readonly ecr: readonly EcrRepository[];
  readonly policies: readonly PolicyDocument[];
  readonly account_policies?: readonly AccountPolicyDocument[];
  readonly full_aws_access?: FullAwsAccessSettings;
}

/** What resolving one account needs from the whole file. */
interface AccountContext {
  readonly doc: ParsedYaml;
  readonly errors: OrgbridgeError[];
  readonly at: (layer: Provenance['layer'], path: readonly (string | number)[]) => Provenance;
  readonly expandName: (vars: Record<string, string>) => string;
  readonly expandEmail?: (vars: Record<string, string>) => string;
  readonly nameProvenance: Provenance;
  readonly emailProvenance: Provenance;
  readonly kindByKey: ReadonlyMap<string, SpecialAccountKind>;
  readonly standardTags: boolean;
}

/**
 * One account over its scope: settings, name and email from the templates, tags (with the
 * standard ones), access, each with its provenance. `no-region` when no layer sets a region
 * (reported once per scope by the caller); undefined after an error it pushed.
 */
function resolveAccount(
  ctx: AccountContext,
  key: string,
  account: AccountInput,
  scope: ScopeLayer,
): ResolvedAccount | 'no-region' | undefined {
  const {
    doc,
    errors,
    at,
    expandName,
    expandEmail,
    nameProvenance,
    emailProvenance,
    kindByKey,
    standardTags,
  } = ctx;
  const keyProvenance = at('account', ['accounts', key]);
  // Positions inside this account, looked up from its own node rather than from the root.
  const accountNode = doc.node(['accounts', key]) ?? doc.root;
  const ownAt = (path: readonly (string | number)[]): Provenance =>
    doc.provenanceUnder('account', accountNode, path);
  const provenance: Record<string, Provenance> = { key: keyProvenance };
  const settings: Record<string, unknown> = {};
  for (const name of SETTING_NAMES) {
    const own = account[name];
    if (own !== undefined) {
      settings[name] = own;
      provenance[name] = ownAt([name]);
    } else {
      const inherited = scope.settings.get(name);
      if (inherited) {
        settings[name] = inherited.value;
        provenance[name] = inherited.provenance;
      }
    }
  }
  if (settings.region === undefined) return 'no-region';
  const region = settings.region as string;
  const environment = settings.environment as string;
  const service = account.service ?? key;
  const scopeProvenance = ownAt(['scope']);
  const serviceProvenance = account.service !== undefined ? ownAt(['service']) : keyProvenance;
  provenance.scope = scopeProvenance;
  provenance.service = serviceProvenance;
  provenance.organization_unit = scope.ouProvenance;

  const vars: Record<string, string> = { key, service, scope: account.scope, environment, region };
  const name = account.name ?? expandName(vars);
  provenance.name = account.name !== undefined ? ownAt(['name']) : nameProvenance;
  vars.name = name;
  const email = account.email ?? expandEmail?.(vars);
  if (email === undefined) {
    errors.push(
      new OrgbridgeError('DSL_MISSING_EMAIL', `account '${key}' has no email`, {
        location: keyProvenance,
        hint: 'set `email:` on the account, or organization.email_template (e.g. aws+{name}@example.com)',
      }),
    );
    return undefined;
  }
  provenance.email = account.email !== undefined ? ownAt(['email']) : emailProvenance;

  const tags: Record<string, string> = {};
  for (const [tag, provenanceKey, value, from] of scope.inheritedTags) {
    tags[tag] = value;
    provenance[provenanceKey] = from;
  }
  for (const [tag, value] of Object.entries(account.tags ?? {})) {
    tags[tag] = String(value);
    provenance[`tags.${tag}`] = ownAt(['tags', tag]);
  }
  for (const tag of standardTags ? SEED_TAG_KEYS : []) {
    if (tags[tag] !== undefined) {
      errors.push(
        new OrgbridgeError('DSL_RESERVED_TAG', `account '${key}': tag '${tag}' is set by orgbridge`, {
          location: provenance[`tags.${tag}`] ?? provenance.key,
          hint: `remove it: orgbridge tags every account with ${SEED_TAG_KEYS.join(', ')} from its settings`,
        }),
      );
    }
  }
  if (standardTags) {
    tags.scope = account.scope;
    tags['service-name'] = service;
    tags.environment = environment;
    tags.region = region;
    provenance['tags.scope'] = scopeProvenance;
    provenance['tags.service-name'] = serviceProvenance;
    provenance['tags.environment'] = provenance.environment ?? BUILTIN_PROVENANCE;
    provenance['tags.region'] = provenance.region ?? BUILTIN_PROVENANCE;
  }

  let access = scope.access;
  if (account.access) {
    access = { ...access, ...parseAccess(account.access, ['accounts', key, 'access'], doc, errors) };
    for (const group of Object.keys(account.access)) {
      provenance[`access.${group}`] = ownAt(['access', group]);
    }
  }
  for (const [group, provenanceKey, from] of scope.accessProvenance) {
    if (!account.access || !Object.hasOwn(account.access, group)) provenance[provenanceKey] = from;
  }
  if (account.allowed_dns_domains) {
    provenance.allowed_dns_domains = ownAt(['allowed_dns_domains']);
  }

  const resolved: ResolvedAccount = {
    key,
    name,
    email,
    kind: kindByKey.get(key) ?? 'member',
    scope: account.scope,
    organization_unit: scope.resolved.organization_unit,
    region,
    environment,
    service,
    tags,
    protect: settings.protect === true,
    allowed_dns_domains: account.allowed_dns_domains ?? [],
    access,
    settings,
    provenance,
  };
  if (account.id !== undefined) (resolved as { id?: string }).id = account.id;
  return resolved;
}

export function resolveConfig(input: CheckedAccountsFile, extra: ResolveExtra): ResolveResult {
  const { doc } = input;
  const errors: OrgbridgeError[] = [];
  const at = (layer: Provenance['layer'], path: readonly (string | number)[]): Provenance =>
    doc.provenance(layer, path);

  const organization = resolveOrganization(input.organization);
  const nameTemplate = checkTemplate(
    doc,
    'name_template',
    organization.name_template,
    NAME_PLACEHOLDERS,
    errors,
  );
  const emailTemplate =
    organization.email_template === undefined
      ? undefined
      : checkTemplate(doc, 'email_template', organization.email_template, EMAIL_PLACEHOLDERS, errors);
  const expandName = compileTemplate(nameTemplate);
  const expandEmail = emailTemplate === undefined ? undefined : compileTemplate(emailTemplate);
  const templateProvenance = (field: 'name_template' | 'email_template'): Provenance =>
    input.organization[field] !== undefined && doc.root.entries?.get('organization')?.entries?.has(field)
      ? at('template', ['organization', field])
      : BUILTIN_PROVENANCE;
  const nameProvenance = templateProvenance('name_template');
  const emailProvenance = templateProvenance('email_template');

  // defaults over builtins, computed once and shared by every scope
  const defaultSettings = new Map<SettingName, Inherited>();
  for (const name of SETTING_NAMES) {
    const own = input.defaults[name];
    if (own !== undefined)
      defaultSettings.set(name, { value: own, provenance: at('defaults', ['defaults', name]) });
    else if (BUILTIN_SETTINGS[name] !== undefined) {
      defaultSettings.set(name, { value: BUILTIN_SETTINGS[name], provenance: BUILTIN_PROVENANCE });
    }
  }
  const defaultTags = new Map<string, Inherited>();
  for (const [tag, value] of Object.entries(input.defaults.tags ?? {})) {
    defaultTags.set(tag, { value: String(value), provenance: at('defaults', ['defaults', 'tags', tag]) });
  }

  const scopes = new Map<string, ScopeLayer>();
  for (const [name, scope] of input.scopes) {
    scopes.set(name, resolveScope(name, scope, organization, defaultSettings, defaultTags, at, doc, errors));
  }

  // Accounts without a region, reported once per scope rather than once per account.
  const missingRegion = new Map<string, string[]>();
  const kindByKey = new Map<string, SpecialAccountKind>();
  for (const kind of SPECIAL_ACCOUNT_KINDS) {
    const key = organization.accounts[kind];
    if (key !== undefined && !kindByKey.has(key)) kindByKey.set(key, kind);
  }
  const standardTags = organization.standard_tags;

  const ctx: AccountContext = {
    doc,
    errors,
    at,
    expandName,
    ...(expandEmail ? { expandEmail } : {}),
    nameProvenance,
    emailProvenance,
    kindByKey,
    standardTags,
  };
  const keys = [...input.accounts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const accounts: ResolvedAccount[] = [];
  for (const key of keys) {
    const account = input.accounts.get(key) as AccountInput;
    const scope = scopes.get(account.scope);
    if (!scope) {
      if (!input.invalidScopes.has(account.scope))
        errors.push(unknownScopeError(doc, key, account.scope, input.scopes.keys()));
      continue;
    }
    const resolved = resolveAccount(ctx, key, account, scope);
    if (resolved === 'no-region') {
      const list = missingRegion.get(account.scope) ?? [];
      list.push(key);
      missingRegion.set(account.scope, list);
      continue;
    }
    if (resolved === undefined) continue;
    accounts.push(resolved);
  }

  for (const [scope, list] of missingRegion) {
    errors.push(
      new OrgbridgeError(
        'DSL_MISSING_SETTING',
        `no region for ${list.length} account${list.length === 1 ? '' : 's'} of scope '${scope}' (${list.slice(0, 3).join(', ')}${list.length > 3 ? ', ...' : ''})`,
        {
          location: doc.locate(['scopes', scope], 'key'),
          hint: 'set `region:` under `defaults:`, on the scope, or on each account',
        },
      ),
    );
  }

  const defaults: Record<string, unknown> = {};
  for (const [name, inherited] of defaultSettings) defaults[name] = inherited.value;
  if (defaultTags.size) defaults.tags = Object.fromEntries([...defaultTags].map(([k, v]) => [k, v.value]));

  const config: ResolvedConfig = {
    directory: extra.directory,
    organization,
    defaults,
    scopes: Object.fromEntries([...scopes].map(([name, layer]) => [name, layer.resolved])),
    accounts,
    ecr: extra.ecr,
    policies: extra.policies,
    account_policies: extra.account_policies ?? [],
    ...(extra.full_aws_access ? { full_aws_access: extra.full_aws_access } : {}),
    unmanaged: {
      accounts: [...(input.unmanaged?.accounts ?? [])],
      organization_units: (input.unmanaged?.organization_units ?? []).map(normalizeOuText),
      policies: [...(input.unmanaged?.policies ?? [])],
    },
    ...(input.notifications
      ? {
          notifications: {
            email: [...(input.notifications.email ?? [])],
            https: [...(input.notifications.https ?? [])],
            ...(input.notifications.slack?.length
              ? { slack: input.notifications.slack.map((s) => ({ ...s })) }
              : {}),
          },
        }
      : {}),
  };
  return { config, errors };
}

export function unknownScopeError(
  doc: ParsedYaml,
  key: string,
  scope: string,
  scopes: Iterable<string>,
): OrgbridgeError {
  const names = [...scopes];
  return new OrgbridgeError(
    'DSL_UNKNOWN_SCOPE',
    `account '${key}': scope '${scope}' is not defined${didYouMeanSuffix(scope, names)}`,
    {
      location: doc.locate(['accounts', key, 'scope'], 'value'),
      hint: `defined scopes: ${names.join(', ') || '(none)'}`,
    },
  );
}

function resolveOrganization(org: OrganizationInput): OrganizationSettings {
  const accounts = Object.fromEntries(
    SPECIAL_ACCOUNT_KINDS.filter((kind) => org[kind] !== undefined).map((kind) => [kind, org[kind]]),
  ) as SpecialAccountKeys;
  return {
    accounts,
    ...(org.root_ou !== undefined ? { root_ou: org.root_ou } : {}),
    ...(org.morgue_ou !== undefined ? { morgue_ou: org.morgue_ou } : {}),
    event_bus: org.event_bus,
    event_source: org.event_source,
    name_template: org.name_template,
    ...(org.email_template !== undefined ? { email_template: org.email_template } : {}),
    standard_tags: org.standard_tags,
    authoritative: org.authoritative,
    ...(org.dns_parent_domain !== undefined ? { dns_parent_domain: org.dns_parent_domain } : {}),
    access_role_name: org.access_role_name,
    ...(org.operators !== undefined ? { operators: org.operators } : {}),
    close_retired_accounts: org.close_retired_accounts,
    limits: { ...DEFAULT_LIMITS, ...stripUndefined(org.limits ?? {}) },
    ...(org.access !== undefined ? { access: resolveAccessSettings(org.access) } : {}),
  };
}

function resolveAccessSettings(access: AccessSettingsInput): AccessSettings {
  const { saml_provider_arn, automation_oidc, iam_users } = access;
  return {
    ...(saml_provider_arn !== undefined ? { saml_provider_arn } : {}),
    ...(automation_oidc !== undefined ? { automation_oidc } : {}),
    ...(iam_users !== undefined
      ? { iam_users: stripUndefined(iam_users) as AccessSettings['iam_users'] }
      : {}),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function resolveScope(
  name: string,
  scope: ScopeInput,
  organization: OrganizationSettings,
  defaultSettings: ReadonlyMap<SettingName, Inherited>,
  defaultTags: ReadonlyMap<string, Inherited>,
  at: (layer: Provenance['layer'], path: readonly (string | number)[]) => Provenance,
  doc: ParsedYaml,
  errors: OrgbridgeError[],
): ScopeLayer {
  const settings = new Map(defaultSettings);
  for (const setting of SETTING_NAMES) {
    const own = scope[setting];
    if (own !== undefined)
      settings.set(setting, { value: own, provenance: at('scope', ['scopes', name, setting]) });
  }
  const tags = new Map(defaultTags);
  for (const [tag, value] of Object.entries(scope.tags ?? {})) {
    tags.set(tag, { value: String(value), provenance: at('scope', ['scopes', name, 'tags', tag]) });
  }
  const access = scope.access ? parseAccess(scope.access, ['scopes', name, 'access'], doc, errors) : {};
  const organization_unit = organizationUnitPath(scope.organization_unit, organization.root_ou);
  const resolvedSettings: Record<string, unknown> = {};
  for (const [setting, inherited] of settings) resolvedSettings[setting] = inherited.value;
  if (tags.size) resolvedSettings.tags = Object.fromEntries([...tags].map(([k, v]) => [k, v.value]));
  return {
    resolved: { name, organization_unit, access, settings: resolvedSettings },
    settings,
    tags,
    access,
    inheritedTags: [...tags].map(([tag, inherited]) => [
      tag,
      `tags.${tag}`,
      inherited.value as string,
      inherited.provenance,
    ]),
    accessProvenance: Object.keys(access).map((group) => [
      group,
      `access.${group}`,
      at('scope', ['scopes', name, 'access', group]),
    ]),
    ouProvenance: at('scope', ['scopes', name, 'organization_unit']),
  };
}

/**
 * A bare OU name lives under `root_ou` (the EventBridge design's `organization_unit: Dev`); a path with `/`
 * is taken from the organization root (`Internal/Dev`), and `''` is the root itself. When
 * `root_ou` is set, validation requires paths inside it (DSL_OU_OUTSIDE_ROOT), except for scopes
 * of special accounts alone; without it a bare name is an OU directly under the root.
 */
export function organizationUnitPath(organizationUnit: string, rootOu: string | undefined): string {
  if (organizationUnit === '' || organizationUnit.includes('/') || rootOu === undefined)
    return organizationUnit;
  return `${rootOu}/${organizationUnit}`;
}

/** `/`-separated OU names with surrounding blanks and empty segments dropped. */
function normalizeOuText(path: string): string {
  return path
    .split('/')
    .map((segment) => segment.trim())
    .filter((segment) => segment.length > 0)
    .join('/');
}

/** `rw: PowerUser,Developer` -> { rw: ['PowerUser', 'Developer'] }; lists are taken as they are. */
export function parseAccess(
  access: Readonly<Record<string, string | readonly string[]>>,
  path: readonly (string | number)[],
  doc: ParsedYaml,
  errors: OrgbridgeError[],
): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  /** Each role name of this access map as first spelled, by its lowercase form. */
  const spelled = new Map<string, string>();
  for (const [group, roles] of Object.entries(access)) {
    const list = typeof roles === 'string' ? roles.split(',').map((r) => r.trim()) : [...roles];
    const invalid = list.filter((role) => !IAM_ROLE_NAME_PATTERN.test(role));
    if (invalid.length) {
      errors.push(
        new OrgbridgeError(
          'DSL_INVALID_ACCESS',
          `access '${group}': '${String(roles)}' is not a comma-separated list of role names`,
          {
            location: doc.locate([...path, group], 'value'),
            hint: 'write roles like `rw: PowerUser,Developer` (IAM role names, no empty entries)',
          },
        ),
      );
      continue;
    }
    // IAM role names are unique ignoring case ("Role names are not distinguished by case",
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names):
    // `automationrole` is AutomationRole to IAM, and a second role of that name fails the stack.
    const reserved = list.filter((role) => RESERVED_ACCESS_ROLES_LOWER.has(role.toLowerCase()));
    if (reserved.length) {
      errors.push(
        new OrgbridgeError(
          'DSL_ACCESS_RESERVED_ROLE',
          `access '${group}': ${reserved.join(', ')} ${reserved.length === 1 ? 'is a role name' : 'are role names'} orgbridge or Organizations already use in every account`,
          {
            location: doc.locate([...path, group], 'value'),
            hint: `name the role otherwise; reserved: ${[...RESERVED_ACCESS_ROLES].join(', ')}`,
          },
        ),
      );
      continue;
    }
    const groupRole = groupRoleName(group);
    if (groupRole.length > MAX_ROLE_NAME_CHARS) {
      errors.push(
        new OrgbridgeError(
          'DSL_INVALID_ACCESS',
          `access group '${group}' is too long: its role ${groupRole} would have ${groupRole.length} characters, IAM allows ${MAX_ROLE_NAME_CHARS}`,
          {
            location: doc.locate([...path, group], 'key'),
            hint: `use a group name of at most ${MAX_ROLE_NAME_CHARS - groupRoleName('').length} characters`,
          },
        ),
      );
      continue;
    }
    const seen = new Map(spelled);
    const clash: string[] = [];
    for (const role of list) {
      const other = seen.get(role.toLowerCase());
      if (other !== undefined && other !== role) clash.push(`${role} and ${other}`);
      else seen.set(role.toLowerCase(), role);
    }
    if (clash.length) {
      errors.push(
        new OrgbridgeError(
          'DSL_INVALID_ACCESS',
          `access '${group}': ${clash.join(', ')} are one role to IAM, whose role names ignore case`,
          {
            location: doc.locate([...path, group], 'value'),
            hint: 'spell each role name one way in every group',
          },
        ),
      );
      continue;
    }
    for (const [key, role] of seen) spelled.set(key, role);
    result[group] = list;
  }
  return result;
}

const RESERVED_ACCESS_ROLES_LOWER: ReadonlySet<string> = new Set(
  [...RESERVED_ACCESS_ROLES].map((role) => role.toLowerCase()),
);

function checkTemplate(
  doc: ParsedYaml,
  field: 'name_template' | 'email_template',
  template: string,
  allowed: readonly string[],
  errors: OrgbridgeError[],
): string {
  const location: SourceLocation = doc.locate(['organization', field], 'value');
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    const placeholder = match[1] as string;
    if (!allowed.includes(placeholder)) {
      errors.push(
        new OrgbridgeError(
          'DSL_UNKNOWN_PLACEHOLDER',
          `organization.${field}: unknown placeholder {${placeholder}}${didYouMeanSuffix(placeholder, allowed)}`,
          { location, hint: `placeholders: ${allowed.map((p) => `{${p}}`).join(' ')}` },
        ),
      );
    }
  }
  if (field === 'email_template' && !/\{(key|name)\}/.test(template)) {
    errors.push(
      new OrgbridgeError(
        'DSL_TEMPLATE_NOT_UNIQUE',
        `organization.email_template '${template}' gives every account the same email`,
        {
          location,
          hint: 'include {name} or {key}, e.g. aws+{name}@example.com (AWS needs a unique email per account)',
        },
      ),
    );
  }
  return template;
}

/**
 * A template as a function: split once into literal text and placeholders, then joined per
 * account (10,000 regex replacements cost more than the rest of naming).
 */
export function compileTemplate(template: string): (vars: Readonly<Record<string, string>>) => string {
  const parts = template.split(/\{([^}]*)\}/);
  return (vars) => {
    let result = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      const placeholder = parts[i] as string;
      const value = Object.hasOwn(vars, placeholder) ? vars[placeholder] : undefined;
      result += (value ?? `{${placeholder}}`) + (parts[i + 1] as string);
    }
    return result;
  };
}

/** ecr.yml entries after the schema check, in the resolved model's shape. */
export function resolveEcr(repositories: readonly EcrRepositoryInput[]): EcrRepository[] {
  return repositories.map((repository) => ({
    name: repository.name,
    ...(repository.description !== undefined ? { description: repository.description } : {}),
    lifecycle: repository.lifecycle.map((rule) => {
      const [prefix, duration] = Object.entries(rule)[0] as [string, string];
      const days = Number(DURATION_PATTERN.exec(duration)?.[1]);
      return prefix === 'untagged' ? { untagged: true, days } : { tag_prefix: prefix, untagged: false, days };
    }),
    pull: repository.pull.map((grant) => ({
      ...(grant.environment !== undefined ? { environment: grant.environment } : {}),
      services: typeof grant.services === 'string' ? [grant.services] : [...grant.services],
    })),
  }));
}
