import { isAwsReservedTag } from '../config/account-tags.js';
import { OU_NAME_PATTERN } from '../config/aws-names.js';
import type { PolicyType, SpecialAccountKind } from '../config/model.js';
import { FULL_AWS_ACCESS } from '../config/policies.js';
import { DEFAULT_LIMITS } from '../config/resolve.js';
import { accountsJsonSchema, KEY_PATTERN, POLICY_NAME_PATTERN } from '../config/schema.js';
import type { SourceFile } from '../config/source.js';
import { type Commented, type YamlValue, yamlMapLines } from './import-yaml.js';
import { isMarker, MARKERS } from './markers.js';
import { compareText, type ObservedAccount, type ObservedOrganization } from './observed.js';
import { accountTarget, type ObservedPolicies, type ObservedPolicy, POLICY_TYPES_ORDER } from './policies.js';

/**
 * `orgbridge import`, the pure part: a live organization (the LIST_ACCOUNTS snapshot and every
 * policy with its targets and content) in, a config repository out, such that planning it
 * against the same organization finds nothing to do (docs/import.md):
 *
 * - the tree as it is: one scope per OU that holds accounts (the root included, `''`) and per
 *   empty leaf OU, so every OU is known; names and emails written on each account, so no
 *   template ever renames an imported account;
 * - tags all accounts share go to `defaults`, tags all accounts of a scope share to the scope,
 *   the rest stays on the account; `standard_tags: false`, so no tag is added; the tags AWS
 *   applied itself (`aws:`) are left out, as nobody may set them;
 * - `authoritative: true`: the file lists the whole organization, so the first plan adopts
 *   nothing and the first change the user makes is the first change orgbridge makes;
 * - each attached SCP, tag and backup policy once, under its real name, with all its targets;
 *   FullAWSAccess declared, with where it is detached.
 */
export interface ImportInput {
  readonly observed: ObservedOrganization;
  /** Every policy of the synced types, with content and targets (observePolicies, allContent). */
  readonly policies: ObservedPolicies;
  /** `defaults.region`: the region the import ran in. */
  readonly region: string;
  readonly organizationId?: string;
  /** The day of the import (YYYY-MM-DD), for the files' header. */
  readonly date?: string;
}

export interface ImportSummary {
  readonly accounts: number;
  readonly organizationUnits: number;
  readonly scopes: number;
  readonly policies: Readonly<Record<PolicyType, number>>;
  readonly managementKey: string;
  /** Special account kind -> key, for those found by name. */
  readonly special: Readonly<Partial<Record<SpecialAccountKind, string>>>;
  /** Closed accounts (SUSPENDED, PENDING_CLOSURE): not imported. */
  readonly closedAccounts: readonly string[];
  /** What could not be written, and why: each line for README.md. */
  readonly skipped: readonly string[];
  /** Limits raised above AWS's defaults because the organization already uses more. */
  readonly limits: Readonly<Record<string, number>>;
}

export interface ImportResult {
  readonly files: readonly SourceFile[];
  readonly summary: ImportSummary;
}

/** Names by which a special account is recognised (lowercase, letters and digits only). */
const SPECIAL_NAMES: Readonly<Record<Exclude<SpecialAccountKind, 'management'>, readonly string[]>> = {
  cicd: ['cicd'],
  identity: ['identity'],
  dns: ['dns'],
  // Control Tower names its accounts "Log Archive" and "Audit".
  logs: ['logs', 'logarchive'],
  audit: ['audit'],
};

/** What each special account does, for the comment left where it is unset. */
const SPECIAL_ROLES: Readonly<Record<Exclude<SpecialAccountKind, 'management'>, string>> = {
  cicd: 'runs the pipeline and hosts ECR (bootstrap, run --action pipeline, sync-ecr)',
  identity: 'the SSO entry account whose roles reach every account (bootstrap)',
  dns: 'holds the Route 53 zones (bootstrap)',
  logs: 'the central logs account (bootstrap)',
  audit: 'receives every event for audit (bootstrap)',
};

/** A valid key (scope or account) from free text, or undefined. */
export function keyFromText(text: string): string | undefined {
  const key = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return KEY_PATTERN.test(key) ? key : undefined;
}

/** Unique keys: `base`, else `base-<suffix>`, else `base-<suffix>-2`, ... */
function claim(taken: Set<string>, base: string, suffix: string): string {
  let key = taken.has(base) ? `${base}-${suffix}` : base;
  for (let i = 2; taken.has(key); i++) key = `${base}-${suffix}-${i}`;
  taken.add(key);
  return key;
}

/** An OU path orgbridge can write: every name valid and without blanks at either end. */
function writableOuPath(path: string): boolean {
  return path === '' || path.split('/').every((name) => OU_NAME_PATTERN.test(name) && name.trim() === name);
}

interface ImportedAccount {
  readonly key: string;
  readonly account: ObservedAccount;
  readonly scope: string;
  readonly tags: Record<string, string>;
}

interface Tree {
  /** OU path -> scope name, for the OUs that get a scope. */
  readonly scopeOf: Map<string, string>;
  /** Writable OU paths (the root included). */
  readonly writable: Set<string>;
  readonly skipped: string[];
}

/** One scope per OU holding accounts, and per empty leaf OU, so the whole tree is described. */
function scopesOfTree(observed: ObservedOrganization, accounts: readonly ObservedAccount[]): Tree {
  const paths = Object.keys(observed.ous).sort(compareText);
  const skipped: string[] = [];
  const writable = new Set<string>();
  for (const path of paths) {
    if (writableOuPath(path)) writable.add(path);
    else if (writableOuPath(path.split('/').slice(0, -1).join('/')))
      skipped.push(
        `OU '${path}' and everything below it: orgbridge writes OU paths with '/' between names, so a name with '/' or blanks at either end cannot be written; its accounts are listed under unmanaged.accounts`,
      );
  }
  const holding = new Set(accounts.map((a) => a.ou));
  const hasChild = new Set(paths.map((p) => p.split('/').slice(0, -1).join('/')));
  const scoped = paths.filter((p) => writable.has(p) && (holding.has(p) || (p !== '' && !hasChild.has(p))));
  const lastName = new Map<string, number>();
  for (const p of scoped) {
    const name = keyFromText(p === '' ? 'root' : (p.split('/').at(-1) as string)) ?? 'ou';
    lastName.set(name, (lastName.get(name) ?? 0) + 1);
  }
  const taken = new Set<string>();
  const scopeOf = new Map<string, string>();
  for (const p of scoped) {
    const short = keyFromText(p === '' ? 'root' : (p.split('/').at(-1) as string)) ?? 'ou';
    const base = (lastName.get(short) ?? 0) > 1 ? (keyFromText(p.replaceAll('/', '-')) ?? short) : short;
    scopeOf.set(p, claim(taken, base, 'ou'));
  }
  return { scopeOf, writable, skipped };
}

/** Tags shared (same value) by every account of a list of at least two. */
function sharedTags(tagSets: readonly Readonly<Record<string, string>>[]): Record<string, string> {
  if (tagSets.length < 2) return {};
  const [first, ...rest] = tagSets as [
    Readonly<Record<string, string>>,
    ...Readonly<Record<string, string>>[],
  ];
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((t) => t[k] === v)));
}

/** The tags a config sets: neither orgbridge's markers nor those AWS applied itself (`aws:`). */
const userTags = (account: ObservedAccount): Record<string, string> =>
  Object.fromEntries(Object.entries(account.tags).filter(([k]) => !isMarker(k) && !isAwsReservedTag(k)));

function sortedRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}

export function importOrganization(input: ImportInput): ImportResult {
  const { observed } = input;
  const skipped: string[] = [];
  const active = observed.accounts.filter((a) => a.status === 'ACTIVE');
  const closedAccounts = observed.accounts
    .filter((a) => a.status !== 'ACTIVE')
    .map((a) => `${a.name} (${a.id}, ${a.status})`);
  const tree = scopesOfTree(observed, active);
  skipped.push(...tree.skipped);
  const importable = active.filter((a) => tree.writable.has(a.ou));
  const unmanagedAccounts = active.filter((a) => !tree.writable.has(a.ou));

  // Keys: the `orgbridge:key` marker of an organization orgbridge managed before, else the name.
  const taken = new Set<string>();
  const keyOf = new Map<string, string>();
  const byId = [...importable].sort((a, b) => compareText(a.id, b.id));
  for (const a of byId) {
    const marker = a.tags[MARKERS.key];
    if (marker !== undefined && KEY_PATTERN.test(marker) && !taken.has(marker)) {
      taken.add(marker);
      keyOf.set(a.id, marker);
    }
  }
  for (const a of byId) {
    if (keyOf.has(a.id)) continue;
    keyOf.set(a.id, claim(taken, keyFromText(a.name) ?? 'account', a.id.slice(-4)));
  }

  const defaults = sharedTags(importable.map(userTags));
  const imported: ImportedAccount[] = [];
  const scopeTags = new Map<string, Record<string, string>>();
  for (const [path, scope] of tree.scopeOf) {
    const members = importable.filter((a) => a.ou === path).map(userTags);
    const shared = sharedTags(members);
    for (const k of Object.keys(shared)) if (defaults[k] === shared[k]) delete shared[k];
    scopeTags.set(scope, shared);
  }
  for (const a of importable) {
    const scope = tree.scopeOf.get(a.ou) as string;
    const inherited = { ...defaults, ...scopeTags.get(scope) };
    const own = Object.fromEntries(Object.entries(userTags(a)).filter(([k, v]) => inherited[k] !== v));
    imported.push({ key: keyOf.get(a.id) as string, account: a, scope, tags: own });
  }
  imported.sort((a, b) => compareText(a.key, b.key));

  const special = findSpecialAccounts(imported, observed.managementAccountId);
  const policyFiles = importPolicies(input.policies, tree, keyOf, skipped);
  const limits = inferLimits(input.policies, policyFiles.documents);
  const managementKey = special.management ?? 'management';

  const accountsYml = renderAccountsYml({
    input,
    tree,
    imported,
    defaults,
    scopeTags,
    special,
    managementKey,
    policies: policyFiles.section,
    fullAwsAccess: policyFiles.fullAwsAccess,
    unmanaged: unmanagedAccounts,
    unmanagedPolicies: policyFiles.unmanaged,
    limits,
  });
  const summary: ImportSummary = {
    accounts: imported.length,
    organizationUnits: Object.keys(observed.ous).length - 1,
    scopes: tree.scopeOf.size,
    policies: policyFiles.counts,
    managementKey,
    special,
    closedAccounts,
    skipped,
    limits,
  };
  return {
    files: [
      { path: 'accounts.yml', text: accountsYml },
      { path: 'accounts.schema.json', text: `${JSON.stringify(accountsJsonSchema(), null, 2)}\n` },
      ...policyFiles.documents.map((d) => ({ path: d.path, text: d.text })),
      { path: 'README.md', text: renderImportReadme(input, summary) },
    ],
    summary,
  };
}

function findSpecialAccounts(
  imported: readonly ImportedAccount[],
  managementId: string,
): Partial<Record<SpecialAccountKind, string>> {
  const found: Partial<Record<SpecialAccountKind, string>> = {};
  const management = imported.find((a) => a.account.id === managementId);
  if (management) found.management = management.key;
  for (const [kind, names] of Object.entries(SPECIAL_NAMES) as [
    keyof typeof SPECIAL_NAMES,
    readonly string[],
  ][]) {
    const matches = imported.filter(
      (a) =>
        a.account.id !== managementId &&
        names.includes(a.account.name.toLowerCase().replace(/[^a-z0-9]/g, '')),
    );
    // Only an unambiguous match: a special account is never moved or tagged by orgbridge.
    if (matches.length === 1) found[kind] = (matches[0] as ImportedAccount).key;
  }
  return found;
}

interface PolicyDocumentFile {
  readonly type: PolicyType;
  readonly name: string;
  readonly path: string;
  readonly text: string;
  /** Minified length, as the DSL measures it. */
  readonly chars: number;
}

interface ImportedPolicies {
  readonly documents: PolicyDocumentFile[];
  readonly section: Record<PolicyType, Record<string, { organization_units: string[]; accounts: string[] }>>;
  /** FullAWSAccess: undefined when SCPs are off; else where it is detached. */
  readonly fullAwsAccess?: { organization_units: string[]; accounts: string[] };
  readonly counts: Record<PolicyType, number>;
  /** Ids of attached policies that cannot be written: left alone (`unmanaged.policies`). */
  readonly unmanaged: { readonly id: string; readonly why: string }[];
}

/** Pretty-printed when it is the same document; the bytes as they are otherwise. */
function policyText(content: string): { text: string; chars: number } {
  try {
    const value = JSON.parse(content) as unknown;
    const minified = JSON.stringify(value);
    return { text: `${JSON.stringify(value, null, 2)}\n`, chars: minified.length };
  } catch {
    return { text: content, chars: content.length };
  }
}

/**
 * The name a policy has in the config: its AWS name, but for one orgbridge created, whose AWS name
 * is `orgbridge-<type>-<name>` (awsPolicyName): written back as `<name>`, the sync finds it again
 * under the same AWS name instead of creating `orgbridge-<type>-orgbridge-<type>-<name>` and
 * deleting it (docs/policies.md, "Existing policies are adopted by name").
 */
function configPolicyName(p: ObservedPolicy): string {
  const prefix = `orgbridge-${p.type}-`;
  return p.managed && p.name.startsWith(prefix) && p.name.length > prefix.length
    ? p.name.slice(prefix.length)
    : p.name;
}

function importPolicies(
  observed: ObservedPolicies,
  tree: Tree,
  keyOf: ReadonlyMap<string, string>,
  skipped: string[],
): ImportedPolicies {
  const documents: PolicyDocumentFile[] = [];
  const section = { scp: {}, tag: {}, backup: {} } as ImportedPolicies['section'];
  const counts = { scp: 0, tag: 0, backup: 0 };
  const targetsOf = (p: ObservedPolicy) => {
    const organization_units: string[] = [];
    const accounts: string[] = [];
    const lost: string[] = [];
    for (const target of p.targets) {
      if (target.startsWith('/account/')) {
        const id = target.slice('/account/'.length);
        const key = keyOf.get(id);
        if (key !== undefined) accounts.push(key);
        else lost.push(`account ${id}`);
      } else if (tree.writable.has(target)) organization_units.push(target);
      else lost.push(`OU '${target}'`);
    }
    return {
      organization_units: organization_units.sort(compareText),
      accounts: accounts.sort(compareText),
      lost,
    };
  };
  const fileNames = new Map<string, string>();
  const unmanaged: ImportedPolicies['unmanaged'] = [];
  let fullAwsAccess: ImportedPolicies['fullAwsAccess'];
  for (const type of POLICY_TYPES_ORDER) {
    if (!observed.enabledTypes.includes(type)) continue;
    const ofType = observed.policies
      .filter((p) => p.type === type)
      // orgbridge's own first: where one and another policy would have the same config name, the
      // sync adopts orgbridge's (docs/policies.md), so the file is that one's.
      .sort((a, b) => Number(b.managed) - Number(a.managed) || compareText(a.name, b.name));
    for (const p of ofType) {
      const targets = targetsOf(p);
      if (p.awsManaged) {
        if (type === 'scp' && p.name === FULL_AWS_ACCESS) {
          const has = new Set(p.targets);
          fullAwsAccess = {
            organization_units: [...tree.writable].filter((ou) => !has.has(ou)).sort(compareText),
            accounts: [...keyOf]
              .filter(([id]) => !has.has(accountTarget(id)))
              .map(([, key]) => key)
              .sort(compareText),
          };
        }
        continue;
      }
      if (p.targets.length === 0) continue; // not attached anywhere: not part of the organization's state
      const name = configPolicyName(p);
      const taken = fileNames.get(`${type}/${name.toLowerCase()}`);
      const problem = !POLICY_NAME_PATTERN.test(name)
        ? 'its name holds / or \\, which a file name cannot'
        : type === 'scp' && name === FULL_AWS_ACCESS
          ? `a policy of your own named ${FULL_AWS_ACCESS} cannot be told from AWS's`
          : taken === name
            ? `it would be written as ${name}, like another ${type} policy (orgbridge names its own policies orgbridge-${type}-<name>)`
            : taken !== undefined
              ? `its name differs from ${taken} only in case, and some file systems cannot hold both files`
              : p.content === undefined
                ? 'its content could not be read'
                : undefined;
      if (problem) {
        skipped.push(
          `${type} policy '${p.name}' (${p.id}): ${problem}; it is listed under unmanaged.policies (rename it in AWS and import again to manage it)`,
        );
        unmanaged.push({ id: p.id, why: `${type} ${p.name}` });
        continue;
      }
      fileNames.set(`${type}/${name.toLowerCase()}`, name);
      for (const lost of targets.lost)
        skipped.push(
          `${type} policy '${p.name}' on ${lost}: the target is not imported (closed account or OU orgbridge cannot write)`,
        );
      if (targets.organization_units.length === 0 && targets.accounts.length === 0) continue;
      const { text, chars } = policyText(p.content as string);
      documents.push({ type, name, path: `policies/${type}/${name}.json`, text, chars });
      section[type][name] = { organization_units: targets.organization_units, accounts: targets.accounts };
      counts[type]++;
    }
  }
  return { documents, section, ...(fullAwsAccess ? { fullAwsAccess } : {}), counts, unmanaged };
}

/** Quotas the organization already exceeds (AWS raised them for it): written to `limits`. */
function inferLimits(
  observed: ObservedPolicies,
  documents: readonly PolicyDocumentFile[],
): Record<string, number> {
  const limits: Record<string, number> = {};
  const maxChars: Record<PolicyType, keyof typeof DEFAULT_LIMITS> = {
    scp: 'scp_max_chars',
    tag: 'tag_policy_max_chars',
    backup: 'backup_policy_max_chars',
  };
  for (const d of documents) {
    const key = maxChars[d.type];
    if (d.chars > DEFAULT_LIMITS[key] && d.chars > (limits[key] ?? 0)) limits[key] = d.chars;
  }
  const perTarget: Record<PolicyType, keyof typeof DEFAULT_LIMITS> = {
    scp: 'scp_per_target',
    tag: 'tag_policies_per_target',
    backup: 'backup_policies_per_target',
  };
  for (const type of POLICY_TYPES_ORDER) {
    const counts = new Map<string, number>();
    for (const p of observed.policies)
      if (p.type === type) for (const t of p.targets) counts.set(t, (counts.get(t) ?? 0) + 1);
    const most = Math.max(0, ...counts.values());
    const key = perTarget[type];
    if (most > DEFAULT_LIMITS[key]) limits[key] = most;
  }
  return limits;
}

interface RenderInput {
  readonly input: ImportInput;
  readonly tree: Tree;
  readonly imported: readonly ImportedAccount[];
  readonly defaults: Readonly<Record<string, string>>;
  readonly scopeTags: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly special: Partial<Record<SpecialAccountKind, string>>;
  readonly managementKey: string;
  readonly policies: ImportedPolicies['section'];
  readonly fullAwsAccess: ImportedPolicies['fullAwsAccess'];
  readonly unmanaged: readonly ObservedAccount[];
  readonly unmanagedPolicies: ImportedPolicies['unmanaged'];
  readonly limits: Readonly<Record<string, number>>;
}

function renderAccountsYml(r: RenderInput): string {
  const { input } = r;
  const lines: string[] = [
    '# yaml-language-server: $schema=./accounts.schema.json',
    `# Written by \`orgbridge import\`${input.date ? ` on ${input.date}` : ''} from organization ${input.organizationId ?? '(unknown id)'}, management account ${input.observed.managementAccountId}.`,
    '# It describes the organization as it was: `orgbridge plan` finds nothing to do. README.md says what to review.',
  ];
  const organization: Record<string, YamlValue> = { management: r.managementKey };
  const comments: Record<string, Commented> = {};
  const unset: string[] = [];
  for (const kind of ['cicd', 'identity', 'dns', 'logs', 'audit'] as const) {
    const key = r.special[kind];
    if (key !== undefined) {
      organization[kind] = key;
      comments[kind] = { after: `found by its name; ${SPECIAL_ROLES[kind]}` };
    } else unset.push(`${kind}: not set: no account named so; ${SPECIAL_ROLES[kind]}`);
  }
  organization.event_bus = 'orgbridge-bus';
  comments.event_bus = {
    before: [
      ...unset,
      'root_ou and morgue_ou: not set: accounts stay in the OUs they are in (the root included), and no',
      '  account is retired until a morgue OU is set; bootstrap needs both (docs/import.md)',
      'email_template: not set: every account has its email; new accounts need `email:` or a template',
    ],
  };
  organization.standard_tags = false;
  comments.standard_tags = {
    after: 'no scope/service-name/environment/region tags are added to the accounts',
  };
  organization.authoritative = true;
  comments.authoritative = {
    after: 'this file lists every account: one removed from it is retired (docs/plan.md)',
  };
  if (Object.keys(r.limits).length > 0) {
    organization.limits = Object.fromEntries(Object.entries(r.limits).sort(([a], [b]) => compareText(a, b)));
    comments.limits = {
      before: ['AWS raised these quotas for this organization: it already uses more than the defaults'],
    };
  }
  lines.push('organization:', ...yamlMapLines(organization, 2, comments));

  const defaults: Record<string, YamlValue> = { region: input.region };
  if (Object.keys(r.defaults).length) defaults.tags = sortedRecord(r.defaults);
  lines.push('', ...yamlMapLines({ defaults }));

  const scopes: Record<string, YamlValue> = {};
  for (const [path, name] of [...r.tree.scopeOf].sort(([, a], [, b]) => compareText(a, b))) {
    const scope: Record<string, YamlValue> = { organization_unit: path };
    const tags = r.scopeTags.get(name) ?? {};
    if (Object.keys(tags).length) scope.tags = sortedRecord(tags);
    scopes[name] = scope;
  }
  lines.push(
    '',
    "# One scope per OU that holds accounts (the root is organization_unit: '') and per empty OU.",
  );
  lines.push(...yamlMapLines({ scopes }));

  const accounts: Record<string, YamlValue> = {};
  for (const a of r.imported) {
    const entry: Record<string, YamlValue> = {
      scope: a.scope,
      id: a.account.id,
      name: a.account.name,
      email: a.account.email,
    };
    if (Object.keys(a.tags).length) entry.tags = sortedRecord(a.tags);
    accounts[a.key] = entry;
  }
  lines.push('', ...yamlMapLines({ accounts }));

  const policies: Record<string, YamlValue> = {};
  for (const type of POLICY_TYPES_ORDER) {
    const entries: Record<string, YamlValue> = {};
    if (type === 'scp' && r.fullAwsAccess) {
      const detached: Record<string, YamlValue> = {};
      if (r.fullAwsAccess.organization_units.length)
        detached.organization_units = r.fullAwsAccess.organization_units;
      if (r.fullAwsAccess.accounts.length) detached.accounts = r.fullAwsAccess.accounts;
      entries[FULL_AWS_ACCESS] = Object.keys(detached).length ? { detached_from: detached } : {};
    }
    for (const [name, targets] of Object.entries(r.policies[type]).sort(([a], [b]) => compareText(a, b))) {
      const entry: Record<string, YamlValue> = {};
      if (targets.organization_units.length) entry.organization_units = targets.organization_units;
      if (targets.accounts.length) entry.accounts = targets.accounts;
      entries[name] = entry;
    }
    if (Object.keys(entries).length) policies[type] = entries;
  }
  if (Object.keys(policies).length) {
    lines.push(
      '',
      "# Where each policy is attached ('' is the root); the documents are policies/<type>/<name>.json.",
      "# FullAWSAccess is AWS's: attached everywhere unless listed under detached_from.",
      ...yamlMapLines({ policies }),
    );
  }
  if (r.unmanaged.length || r.unmanagedPolicies.length) {
    const unmanaged: Record<string, YamlValue> = {};
    if (r.unmanaged.length) unmanaged.accounts = r.unmanaged.map((a) => a.id).sort(compareText);
    if (r.unmanagedPolicies.length)
      unmanaged.policies = r.unmanagedPolicies.map((p) => p.id).sort(compareText);
    lines.push(
      '',
      "# What orgbridge cannot write (README.md says why) is left alone: accounts in OUs whose names hold '/'",
      `# or blanks at either end${r.unmanagedPolicies.length ? `; policies ${r.unmanagedPolicies.map((p) => `${p.id} (${p.why})`).join(', ')}` : ''}.`,
      ...yamlMapLines({ unmanaged }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** README.md of the imported repository: what was imported, what was not, what to review. */
export function renderImportReadme(input: ImportInput, s: ImportSummary): string {
  const policyCount = s.policies.scp + s.policies.tag + s.policies.backup;
  const lines = [
    '# Organization configuration',
    '',
    `Imported by \`orgbridge import\`${input.date ? ` on ${input.date}` : ''} from organization ${input.organizationId ?? '(unknown id)'} (management account ${input.observed.managementAccountId}).`,
    '',
    '## What was imported',
    '',
    `- ${s.accounts} accounts in ${s.scopes} scopes (one per OU that holds accounts, the root included, and per empty OU), ${s.organizationUnits} OUs`,
    `- ${policyCount} policies attached somewhere: ${s.policies.scp} SCPs, ${s.policies.tag} tag policies, ${s.policies.backup} backup policies, in \`policies/<type>/<name>.json\` under their real names; \`policies:\` in accounts.yml lists where each is attached`,
    `- the management account is \`${s.managementKey}\`${
      Object.keys(s.special).length > 1
        ? `; found by name: ${Object.entries(s.special)
            .filter(([k]) => k !== 'management')
            .map(([k, v]) => `${k} = \`${v}\``)
            .join(', ')}`
        : ''
    }`,
    '',
    '## Review before the first sync',
    '',
    '- `orgbridge validate`, `orgbridge plan` and `orgbridge run --action sync-policies` (a dry run) should all exit 0: nothing to do.',
    "- Account keys and scope names were made from names: rename them freely (keys are orgbridge's, AWS never sees them).",
    '- Tags shared by every account are under `defaults.tags`, tags shared by every account of a scope under the scope.',
    '- `organization.authoritative: true`: this file lists every account. An account removed from it is retired (moved to `organization.morgue_ou`, which is not set yet: set it first), every tag of an account is managed, and a hand-made account that appears later is listed for retirement. List accounts or OUs orgbridge must leave alone under `unmanaged:`.',
    '- `organization.standard_tags: false`: orgbridge does not add its scope/service-name/environment/region tags; set it to true to have them (every account then gets a tag change).',
    '- Special accounts that are not set (cicd, identity, dns, logs, audit) are needed by `bootstrap` and `run --action pipeline`, which say so; so are `organization.root_ou` and `organization.morgue_ou`.',
    '- Accounts added later need `email:` unless you set `organization.email_template`.',
    '',
    '## Not imported',
    '',
    ...(s.closedAccounts.length
      ? [`- closed accounts (AWS keeps them, orgbridge never manages them): ${s.closedAccounts.join(', ')}`]
      : []),
    ...s.skipped.map((line) => `- ${line}`),
    '- policies attached nowhere, and policy types other than SCP, tag and backup (AI opt-out, chatbot, declarative, resource control policies)',
    "- delegated administrators, trusted services, the organization's own settings: orgbridge does not manage them",
    ...(Object.keys(s.limits).length
      ? [
          '',
          `Quotas above AWS's defaults, written to \`organization.limits\`: ${Object.entries(s.limits)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}.`,
        ]
      : []),
    '',
    'See docs/import.md of orgbridge for the whole procedure.',
    '',
  ];
  return lines.join('\n');
}
