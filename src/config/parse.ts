import * as z from 'zod';
import { compareByLocation, OrgbridgeError } from '../errors.js';
import { checkBackupRegions } from './backup-policy.js';
import {
  checkCustomizationRegions,
  checkCustomizationTargets,
  parseCustomizationFiles,
} from './customizations.js';
import { issuesToErrors } from './issues.js';
import type { EcrRepository, ResolvedConfig } from './model.js';
import { checkBackupAttachments, isPolicyFile, parsePolicyFiles } from './policies.js';
import { attachPolicies, normalizePath } from './policy-attachments.js';
import { ouChain } from './policy-inheritance.js';
import { isAcceptedRegion } from './region-check.js';
import { configuredRegions, operatingRegions } from './regions.js';
import { type CheckedAccountsFile, resolveConfig, resolveEcr, unknownScopeError } from './resolve.js';
import { checkResourceTypes } from './resource-types.js';
import {
  type AccountInput,
  accountSchema,
  accountsFileSchema,
  type DefaultsInput,
  defaultsSchema,
  type EcrRepositoryInput,
  ecrFileSchema,
  KEY_PATTERN,
  notificationsSchema,
  type OrganizationInput,
  organizationSchema,
  policiesSectionSchema,
  type ScopeInput,
  scopeSchema,
  unmanagedSchema,
} from './schema.js';
import { type ParsedYaml, parseYaml, type SourceFile, YamlSyntaxErrors } from './source.js';
import { knownOrganizationUnits, runRules, WARNING_CODES } from './validate.js';

/**
 * The pure core of `loadConfig`: files in, resolved configuration or every error out.
 * schema check (per section) -> resolve -> named rules, like changesets' parse -> rules.
 */
export const ACCOUNTS_FILE = 'accounts.yml';
export const ECR_FILE = 'ecr.yml';

export type ConfigAnalysis =
  | {
      readonly ok: true;
      readonly config: ResolvedConfig;
      /** Findings that do not stop a run (WARNING_CODES in ./validate.ts), by file position. */
      readonly warnings: readonly OrgbridgeError[];
    }
  | { readonly ok: false; readonly errors: readonly OrgbridgeError[] };

export interface ParseOptions {
  /** Absolute path of the config directory, recorded in the result. */
  readonly directory?: string;
}

/** Every error of the configuration, sorted by position, or the resolved configuration. */
export function analyzeConfig(files: readonly SourceFile[], options: ParseOptions = {}): ConfigAnalysis {
  const errors: OrgbridgeError[] = [];
  const accountsFile = files.find((f) => f.path === ACCOUNTS_FILE);
  if (!accountsFile) {
    return {
      ok: false,
      errors: [
        new OrgbridgeError('DSL_MISSING_FILE', `no ${ACCOUNTS_FILE} in the config directory`, {
          hint: 'run orgbridge in your config repository or pass -c <dir>; examples/ has a complete one',
        }),
      ],
    };
  }
  const accountsDoc = parseOrCollect(accountsFile, errors);
  const ecrFile = files.find((f) => f.path === ECR_FILE);
  const ecrDoc = ecrFile ? parseOrCollect(ecrFile, errors) : undefined;
  const policyFiles = files.filter((f) => isPolicyFile(f.path));
  const policyResult = parsePolicyFiles(policyFiles);
  errors.push(...policyResult.errors);
  if (!accountsDoc) return { ok: false, errors: sortErrors(errors) };

  const checked = checkAccountsFile(accountsDoc, errors);
  let ecrInput: EcrRepositoryInput[] = [];
  let ecr: EcrRepository[] = [];
  if (ecrDoc) {
    const parsed = ecrFileSchema.safeParse(ecrDoc.value ?? []);
    if (parsed.success) {
      ecrInput = parsed.data;
      ecr = resolveEcr(ecrInput);
    } else errors.push(...issuesToErrors(ecrDoc, [], ecrFileSchema, ecrDoc.value, parsed.error.issues));
  }
  if (!checked.file) return { ok: false, errors: sortErrors(errors) };

  const attachments = attachPolicies({
    section: checked.file.policies,
    located: policyResult.policies,
    documents: policyResult.documents,
    accountKeys: checked.accountKeys,
    doc: accountsDoc,
  });
  errors.push(...attachments.errors);
  const resolved = resolveConfig(checked.file, {
    directory: options.directory ?? '.',
    ecr,
    policies: attachments.policies,
    account_policies: attachments.account_policies,
    ...(attachments.full_aws_access ? { full_aws_access: attachments.full_aws_access } : {}),
  });
  errors.push(...resolved.errors);
  // An account's own backup policies merge below its OU's: checked at that OU's level.
  const ouOf = new Map(resolved.config.accounts.map((a) => [a.key, a.organization_unit]));
  const backupAttachments = [
    ...attachments.policies,
    ...attachments.account_policies
      .filter((p) => p.type === 'backup' && ouOf.has(p.account))
      .map(({ account, ...p }) => ({ ...p, organization_unit: ouOf.get(account) as string })),
  ];
  errors.push(...checkBackupAttachments(backupAttachments, policyFiles));
  // Needs defaults.regions, so it runs once the accounts file is resolved.
  const textOf = new Map(files.map((f) => [f.path, f.text]));
  try {
    errors.push(
      ...checkBackupRegions(backupAttachments, (path) => textOf.get(path), operatingRegions(resolved.config)),
    );
  } catch (e) {
    // Nesting deep enough to exhaust the stack is reported by the policy checks already.
    if (!(e instanceof RangeError)) throw e;
  }
  const customizations = parseCustomizationFiles(files);
  const resourceTypes = checkResourceTypes(customizations.resourceTypes);
  const unreadOus = organizationUnitsOf(accountsDoc, checked.file.invalidScopes);
  errors.push(
    ...[...customizations.errors, ...resourceTypes].filter((e) => !WARNING_CODES.has(e.code)),
    // Scopes and accounts that failed their own checks still count as named: one mistake, one error.
    ...checkCustomizationTargets(customizations, {
      scopes: [...Object.keys(resolved.config.scopes), ...checked.file.invalidScopes],
      organization_units: [...knownOrganizationUnits(resolved.config), ...unreadOus],
      accounts: [...checked.accountKeys],
    }),
    ...checkCustomizationRegions(customizations, {
      isAccepted: (code) => isAcceptedRegion(accountsDoc, code),
      artifactRegions: configuredRegions(resolved.config),
      accounts: resolved.config.accounts,
    }),
  );
  const config = customizations.customizations.length
    ? { ...resolved.config, customizations: customizations.customizations }
    : resolved.config;
  const findings = runRules({
    config: resolved.config,
    accountsDoc,
    accountKeys: checked.accountKeys,
    unreadOus,
    ...(ecrDoc ? { ecrDoc } : {}),
    ecr: ecrInput,
  });
  errors.push(...findings.filter((f) => !WARNING_CODES.has(f.code)));
  const warnings = sortErrors(
    [...customizations.errors, ...resourceTypes, ...findings].filter((f) => WARNING_CODES.has(f.code)),
  );
  return errors.length ? { ok: false, errors: sortErrors(errors) } : { ok: true, config, warnings };
}

/**
 * The OU paths (and their parents) that scopes which failed their schema name as written, spaces
 * around names trimmed: a policy or customization naming one is not a second mistake.
 */
function organizationUnitsOf(doc: ParsedYaml, scopes: ReadonlySet<string>): Set<string> {
  const ous = new Set<string>();
  const all = isMap(doc.value) && isMap(doc.value.scopes) ? doc.value.scopes : {};
  for (const name of scopes) {
    const scope = all[name];
    const ou = isMap(scope) ? scope.organization_unit : undefined;
    if (typeof ou !== 'string') continue;
    for (const path of ouChain(normalizePath(ou)).slice(1)) ous.add(path);
  }
  return ous;
}

function sortErrors(errors: readonly OrgbridgeError[]): OrgbridgeError[] {
  return [...errors].sort(compareByLocation);
}

function parseOrCollect(file: SourceFile, errors: OrgbridgeError[]): ParsedYaml | undefined {
  try {
    return parseYaml(file);
  } catch (e) {
    if (e instanceof YamlSyntaxErrors) {
      errors.push(...e.errors);
      return undefined;
    }
    throw e;
  }
}

interface CheckedSections {
  /** Undefined when organization or defaults failed: nothing can be resolved without them. */
  readonly file?: CheckedAccountsFile;
  readonly accountKeys: ReadonlySet<string>;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The shape of accounts.yml's top level; each section's content is checked on its own. */
const topLevelSchema = z.strictObject({
  organization: z.record(z.string(), z.unknown()),
  defaults: z.record(z.string(), z.unknown()).optional(),
  scopes: z.record(accountsFileSchema.shape.scopes.keyType, z.unknown()),
  accounts: z.record(accountsFileSchema.shape.accounts.keyType, z.unknown()),
  unmanaged: z.record(z.string(), z.unknown()).optional(),
  policies: z.record(z.string(), z.unknown()).optional(),
  notifications: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Checks accounts.yml section by section (each scope, each account on its own) so one broken
 * account does not hide the errors of the others.
 */
function checkAccountsFile(doc: ParsedYaml, errors: OrgbridgeError[]): CheckedSections {
  const root = doc.value;
  const accountKeys = new Set<string>();
  const top = topLevelSchema.safeParse(root);
  if (!top.success) errors.push(...issuesToErrors(doc, [], topLevelSchema, root, top.error.issues));
  if (!isMap(root)) return { accountKeys };

  let organization: OrganizationInput | undefined;
  if (isMap(root.organization)) {
    const parsed = organizationSchema.safeParse(root.organization);
    if (parsed.success) organization = parsed.data;
    else
      errors.push(
        ...issuesToErrors(doc, ['organization'], organizationSchema, root.organization, parsed.error.issues),
      );
  }
  let defaults: DefaultsInput | undefined;
  if (root.defaults === undefined || isMap(root.defaults)) {
    const parsed = defaultsSchema.safeParse(root.defaults ?? {});
    if (parsed.success) defaults = parsed.data;
    else
      errors.push(...issuesToErrors(doc, ['defaults'], defaultsSchema, root.defaults, parsed.error.issues));
  }

  const scopes = new Map<string, ScopeInput>();
  const invalidScopes = new Set<string>();
  for (const [name, value] of Object.entries(isMap(root.scopes) ? root.scopes : {})) {
    const parsed = scopeSchema.safeParse(value);
    if (parsed.success && KEY_PATTERN.test(name)) scopes.set(name, parsed.data);
    else {
      invalidScopes.add(name);
      if (!parsed.success)
        errors.push(...issuesToErrors(doc, ['scopes', name], scopeSchema, value, parsed.error.issues));
    }
  }
  const accounts = new Map<string, AccountInput>();
  for (const [key, value] of Object.entries(isMap(root.accounts) ? root.accounts : {})) {
    accountKeys.add(key);
    const parsed = accountSchema.safeParse(value);
    if (parsed.success && KEY_PATTERN.test(key)) accounts.set(key, parsed.data);
    else if (!parsed.success) {
      errors.push(...issuesToErrors(doc, ['accounts', key], accountSchema, value, parsed.error.issues));
      // The account is left out of resolution; its scope reference is still worth checking.
      const scope = isMap(value) ? value.scope : undefined;
      if (typeof scope === 'string' && isMap(root.scopes) && !Object.hasOwn(root.scopes, scope)) {
        errors.push(unknownScopeError(doc, key, scope, Object.keys(root.scopes)));
      }
    }
  }
  const unmanaged = checkOptionalSection(doc, root, 'unmanaged', unmanagedSchema, errors);
  const policies = checkOptionalSection(doc, root, 'policies', policiesSectionSchema, errors);
  const notifications = checkOptionalSection(doc, root, 'notifications', notificationsSchema, errors);
  if (!organization || !defaults || unmanaged === null || policies === null || notifications === null)
    return { accountKeys };
  return {
    file: {
      doc,
      organization,
      defaults,
      scopes,
      accounts,
      invalidScopes,
      ...(unmanaged ? { unmanaged } : {}),
      ...(policies ? { policies } : {}),
      ...(notifications ? { notifications } : {}),
    },
    accountKeys,
  };
}

/** An optional top-level section: its value, undefined when absent, null when invalid (reported). */
function checkOptionalSection<
  S extends typeof unmanagedSchema | typeof policiesSectionSchema | typeof notificationsSchema,
>(
  doc: ParsedYaml,
  root: Record<string, unknown>,
  name: 'unmanaged' | 'policies' | 'notifications',
  schema: S,
  errors: OrgbridgeError[],
): z.infer<S> | undefined | null {
  const value = root[name];
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) return null;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as z.infer<S>;
  errors.push(...issuesToErrors(doc, [name], schema, value, parsed.error.issues));
  return null;
}
