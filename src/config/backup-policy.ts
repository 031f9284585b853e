import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { BACKUP_VAULT_NAME_PATTERN, IAM_ROLE_NAME_PATTERN } from './aws-names.js';
import { BACKUP_ROLE_NAME, BACKUP_VAULT_NAME } from './backup-names.js';
import type { PolicyDocument } from './model.js';
import { isJsonObject } from './policy-grammar.js';
import { computeEffectivePolicy, policyLevels } from './policy-inheritance.js';
import { LineIndex } from './source.js';

/**
 * What a backup policy (policies/backup/) expects to exist in every account it reaches: the IAM
 * roles its selections run with (`iam_role_arn`) and the vaults its rules write to
 * (`target_backup_vault_name`). AWS Backup does not create them, and a plan whose role or vault
 * is missing fails in every account without anyone being told, so the account baseline creates
 * them (src/plan/backup.ts, src/templates/backup.ts) and the DSL refuses names it cannot create.
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
 */

/**
 * Distinct roles, and distinct vaults, one account may need (the baseline's included). Each is a
 * resource in every account's baseline stack; policies needing more than this are almost always
 * a generated or copy-pasted mistake, and one role can serve every selection of a plan.
 */
export const BACKUP_NAMES_MAX = 10;
/** Backup policies name the account they are applied in with this variable. */
export const ACCOUNT_VARIABLE = '$account';

export type BackupReferenceKind = 'role' | 'vault' | 'copy-target';

export interface BackupReference {
  /** `iam_role_arn`, `target_backup_vault_name` or `copy_actions.*.target_backup_vault_arn`. */
  readonly kind: BackupReferenceKind;
  readonly value: string;
}

const REFERENCE_KEYS: Readonly<Record<string, BackupReferenceKind>> = {
  iam_role_arn: 'role',
  target_backup_vault_name: 'vault',
  target_backup_vault_arn: 'copy-target',
};

/**
 * The string values under the given keys, in document order, each with the kind its key maps
 * to: in a policy file the values sit under `@@assign` (or `@@append`), in an effective policy
 * they are bare. `@@remove` values are not references.
 */
function valuesUnder<K extends string>(
  document: unknown,
  keys: Readonly<Record<string, K>>,
): { readonly kind: K; readonly value: string }[] {
  const found: { kind: K; value: string }[] = [];
  const collect = (kind: K, value: unknown) => {
    if (typeof value === 'string') found.push({ kind, value });
    else if (Array.isArray(value)) for (const v of value) collect(kind, v);
    else if (isJsonObject(value)) {
      collect(kind, value['@@assign']);
      collect(kind, value['@@append']);
    }
  };
  const walk = (node: unknown) => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    if (!isJsonObject(node)) return;
    for (const [key, child] of Object.entries(node)) {
      const kind = Object.hasOwn(keys, key) ? keys[key] : undefined;
      if (kind) collect(kind, child);
      else walk(child);
    }
  };
  walk(document);
  return found;
}

/** The references of a backup policy in document order. */
export function backupReferences(document: unknown): BackupReference[] {
  return valuesUnder(document, REFERENCE_KEYS);
}

/** `arn:aws:iam::$account:role/Name` -> account `$account`, name `Name` (path kept in the name). */
export function parseRoleArn(value: string): { readonly account: string; readonly name: string } | undefined {
  const match = /^arn:aws[a-z-]*:iam::([^:]*):role\/(.+)$/.exec(value);
  return match ? { account: match[1] as string, name: match[2] as string } : undefined;
}

/** `arn:aws:backup:us-west-2:$account:backup-vault:Name`. */
export function parseVaultArn(
  value: string,
): { readonly region: string; readonly account: string; readonly name: string } | undefined {
  const match = /^arn:aws[a-z-]*:backup:([a-z0-9-]+):([^:]+):backup-vault:(.+)$/.exec(value);
  return match
    ? { region: match[1] as string, account: match[2] as string, name: match[3] as string }
    : undefined;
}

export interface BackupNames {
  /** Vaults the account's home region needs: `Default` first, then the others sorted. */
  readonly vaults: readonly string[];
  /** Roles the account needs: `orgbridge-backup` first, then the others sorted. */
  readonly roles: readonly string[];
  /** Copy targets in another account or region: never created by orgbridge, sorted. */
  readonly leftAlone: readonly string[];
}

const sorted = (values: Iterable<string>) =>
  [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * The names an effective backup policy needs in one account. `region` is the account's home
 * region, where its baseline stack and so its vaults live; without it, every `$account` copy
 * target counts (the upper bound the DSL checks against BACKUP_NAMES_MAX). Values that are not
 * a valid name are skipped: the DSL reports them (checkBackupPolicies).
 */
export function backupNames(effective: unknown, region?: string): BackupNames {
  const vaults = new Set<string>();
  const roles = new Set<string>();
  const leftAlone = new Set<string>();
  for (const ref of backupReferences(effective)) {
    if (ref.kind === 'role') {
      const arn = parseRoleArn(ref.value);
      if (arn?.account === ACCOUNT_VARIABLE && IAM_ROLE_NAME_PATTERN.test(arn.name)) roles.add(arn.name);
    } else if (ref.kind === 'vault') {
      if (BACKUP_VAULT_NAME_PATTERN.test(ref.value)) vaults.add(ref.value);
    } else {
      const arn = parseVaultArn(ref.value);
      if (!arn || !BACKUP_VAULT_NAME_PATTERN.test(arn.name)) continue;
      if (arn.account === ACCOUNT_VARIABLE && (region === undefined || arn.region === region))
        vaults.add(arn.name);
      else leftAlone.add(ref.value);
    }
  }
  vaults.delete(BACKUP_VAULT_NAME);
  roles.delete(BACKUP_ROLE_NAME);
  return {
    vaults: [BACKUP_VAULT_NAME, ...sorted(vaults)],
    roles: [BACKUP_ROLE_NAME, ...sorted(roles)],
    leftAlone: sorted(leftAlone),
  };
}

/** The vaults one region needs: `Default` first when named, then the others sorted. */
export interface RegionVaults {
  readonly region: string;
  readonly vaults: readonly string[];
}

export interface BackupVaultsByRegion {
  /** Regions of `allowed` that need vaults, sorted by region. */
  readonly regions: readonly RegionVaults[];
  /** Regions outside `allowed` that would need vaults: nothing can create them, sorted. */
  readonly outside: readonly RegionVaults[];
}

const baselineFirst = (names: Iterable<string>): string[] => {
  const all = new Set(names);
  const rest = sorted([...all].filter((n) => n !== BACKUP_VAULT_NAME));
  return all.has(BACKUP_VAULT_NAME) ? [BACKUP_VAULT_NAME, ...rest] : rest;
};

/**
 * Where an effective backup policy writes in one account, region by region. AWS Backup runs each
 * plan in every region of its `regions`, with that region's vault of the name its rules give,
 * so each (plan region, rule vault) pair must exist; a copy action to a `$account` vault needs
 * that vault in the ARN's region. Regions outside `allowed` (the organization's regions: the
 * pipeline deploys only where it has an artifact bucket, and the DSL refuses the others:
 * checkBackupRegions) are returned apart, as `outside`. A plan
 * without `regions` runs nowhere and needs nothing here. Roles are IAM, global: see backupNames.
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
 */
export function backupVaultsByRegion(effective: unknown, allowed: readonly string[]): BackupVaultsByRegion {
  const byRegion = new Map<string, Set<string>>();
  const need = (region: string, names: readonly string[]) => {
    if (!names.length) return;
    const vaults = byRegion.get(region) ?? new Set<string>();
    for (const name of names) vaults.add(name);
    byRegion.set(region, vaults);
  };
  const plans = isJsonObject(effective) && isJsonObject(effective.plans) ? effective.plans : {};
  for (const plan of Object.values(plans)) {
    const regions = valuesUnder(isJsonObject(plan) ? { regions: plan.regions } : {}, { regions: 'region' });
    const refs = backupReferences(plan);
    const vaults = refs
      .filter((ref) => ref.kind === 'vault' && BACKUP_VAULT_NAME_PATTERN.test(ref.value))
      .map((ref) => ref.value);
    for (const { value } of regions) need(value, vaults);
    for (const ref of refs) {
      if (ref.kind !== 'copy-target') continue;
      const arn = parseVaultArn(ref.value);
      if (arn?.account === ACCOUNT_VARIABLE && BACKUP_VAULT_NAME_PATTERN.test(arn.name))
        need(arn.region, [arn.name]);
    }
  }
  const all = sorted(byRegion.keys()).map((region) => ({
    region,
    vaults: baselineFirst(byRegion.get(region) ?? []),
  }));
  return {
    regions: all.filter((r) => allowed.includes(r.region)),
    outside: all.filter((r) => !allowed.includes(r.region)),
  };
}

// Validation ------------------------------------------------------------------------------------

interface LocatedReference extends BackupReference {
  readonly location: SourceLocation;
}

/** Values of one file with the position of each, found in document order. */
function locateValues<T extends { readonly value: string }>(
  file: string,
  text: string,
  values: readonly T[],
): (T & { readonly location: SourceLocation })[] {
  const lines = LineIndex.of(text);
  let cursor = 0;
  return values.map((ref) => {
    const needle = JSON.stringify(ref.value);
    let offset = text.indexOf(needle, cursor);
    if (offset === -1) offset = Math.max(0, text.indexOf(needle));
    else cursor = offset + needle.length;
    return { ...ref, location: { file, ...lines.position(offset) } };
  });
}

/** References of one file with the position of each value, found in document order. */
function locateReferences(file: string, text: string, document: unknown): LocatedReference[] {
  return locateValues(file, text, backupReferences(document));
}

function referenceErrors(ref: LocatedReference): OrgbridgeError[] {
  const { location, value } = ref;
  const shown = JSON.stringify(value);
  if (ref.kind === 'role') {
    const arn = parseRoleArn(value);
    const name = arn && IAM_ROLE_NAME_PATTERN.test(arn.name) ? arn.name : '<role name>';
    const fix = `write "arn:aws:iam::${ACCOUNT_VARIABLE}:role/${name}"`;
    if (arn && /^\d{12}$/.test(arn.account)) {
      return [
        new OrgbridgeError(
          'DSL_BACKUP_ROLE_ACCOUNT',
          `iam_role_arn ${shown} names account ${arn.account}; the policy runs in every account of the OU, and AWS Backup can only use a role of the account it backs up`,
          { location, hint: `${fix}: AWS Backup puts each account's id in place of ${ACCOUNT_VARIABLE}` },
        ),
      ];
    }
    const problem = !arn
      ? 'is not an IAM role ARN'
      : arn.account !== ACCOUNT_VARIABLE
        ? `names account '${arn.account}' instead of ${ACCOUNT_VARIABLE}`
        : arn.name.includes('/')
          ? 'has a role path; orgbridge creates backup roles without one'
          : !IAM_ROLE_NAME_PATTERN.test(arn.name)
            ? `names role '${arn.name}', which is not a valid IAM role name (1-64 letters, digits and +=,.@_-)`
            : undefined;
    if (!problem) return [];
    return [
      new OrgbridgeError('DSL_BACKUP_ROLE_ARN', `iam_role_arn ${shown} ${problem}`, { location, hint: fix }),
    ];
  }
  const vaultHint = 'backup vault names are 2-50 letters, digits, hyphens and underscores, e.g. "Default"';
  if (ref.kind === 'vault') {
    if (BACKUP_VAULT_NAME_PATTERN.test(value)) return [];
    return [
      new OrgbridgeError(
        'DSL_BACKUP_VAULT_NAME',
        `target_backup_vault_name ${shown} is not a valid backup vault name`,
        { location, hint: vaultHint },
      ),
    ];
  }
  const arn = parseVaultArn(value);
  if (arn && BACKUP_VAULT_NAME_PATTERN.test(arn.name)) return [];
  return [
    new OrgbridgeError(
      'DSL_BACKUP_VAULT_NAME',
      `target_backup_vault_arn ${shown} is not a backup vault ARN with a valid vault name`,
      {
        location,
        hint: `write "arn:aws:backup:<region>:${ACCOUNT_VARIABLE}:backup-vault:<name>" (or another account's id); ${vaultHint}`,
      },
    ),
  ];
}

/**
 * Checks the backup policies: each role and vault reference (positioned at its value), then,
 * for every OU with backup policies, that the effective policy there (inherited from the
 * parents, the way `effective-policy` computes it) needs at most BACKUP_NAMES_MAX roles and
 * vaults. OUs without backup policies of their own inherit their parent's, already checked.
 */
export function checkBackupPolicies(
  policies: readonly PolicyDocument[],
  textOf: (file: string) => string | undefined,
): OrgbridgeError[] {
  const backup = policies.filter((p) => p.type === 'backup');
  const errors: OrgbridgeError[] = [];
  const located = new Map<string, LocatedReference[]>();
  for (const policy of backup) {
    // One file may be attached to several OUs: its references are checked once.
    if (located.has(policy.file)) continue;
    const text = textOf(policy.file) ?? policy.content;
    const refs = locateReferences(policy.file, text, JSON.parse(policy.content) as unknown);
    located.set(policy.file, refs);
    for (const ref of refs) errors.push(...referenceErrors(ref));
  }
  const reported = new Set<string>();
  for (const ou of sorted(backup.map((p) => p.organization_unit))) {
    const levels = policyLevels(backup, 'backup', ou);
    const needed = backupNames(computeEffectivePolicy(levels).policy);
    const chain = levels.flatMap((level) =>
      level.policies.flatMap((p) => {
        const doc = backup.find(
          (d) => d.organization_unit === (level.target === 'Root' ? '' : level.target) && d.name === p.name,
        );
        return doc ? (located.get(doc.file) ?? []) : [];
      }),
    );
    for (const [what, names] of [
      ['roles', needed.roles],
      ['vaults', needed.vaults],
    ] as const) {
      if (names.length <= BACKUP_NAMES_MAX) continue;
      // Point at the reference that took the count over the limit, in attachment order.
      const seen = new Set<string>(names.slice(0, 1));
      let location: SourceLocation | undefined;
      for (const ref of chain) {
        if ((ref.kind === 'role') !== (what === 'roles')) continue;
        const name = nameOf(ref);
        if (name === undefined || !names.includes(name) || seen.has(name)) continue;
        seen.add(name);
        if (seen.size > BACKUP_NAMES_MAX) {
          location = ref.location;
          break;
        }
      }
      const key = `${what}\u0000${location?.file}\u0000${location?.line}\u0000${location?.column}`;
      if (reported.has(key)) continue;
      reported.add(key);
      errors.push(
        new OrgbridgeError(
          'DSL_BACKUP_TOO_MANY_NAMES',
          `the backup policies of OU '${ou}' need ${names.length} ${what} in each account (${names.join(', ')}); the limit is ${BACKUP_NAMES_MAX}`,
          {
            ...(location ? { location } : {}),
            hint:
              what === 'roles'
                ? `use one role for every selection, e.g. "arn:aws:iam::${ACCOUNT_VARIABLE}:role/orgbridge-backup"`
                : 'write the rules to fewer vaults, e.g. "Default"',
          },
        ),
      );
    }
  }
  return errors;
}

function nameOf(ref: BackupReference): string | undefined {
  if (ref.kind === 'role') return parseRoleArn(ref.value)?.name;
  if (ref.kind === 'vault') return ref.value;
  return parseVaultArn(ref.value)?.name;
}

/**
 * Checks that every region a backup policy file names, in a plan's `regions` or in a `$account`
 * copy target, is one the organization operates in (`allowed`: defaults.regions). orgbridge
 * creates the vaults of each such region from a template in that region's artifact bucket; in a
 * region without one, AWS Backup would run the plan against a vault nothing creates.
 */
export function checkBackupRegions(
  policies: readonly PolicyDocument[],
  textOf: (file: string) => string | undefined,
  allowed: readonly string[],
): OrgbridgeError[] {
  const errors: OrgbridgeError[] = [];
  const known = allowed.join(', ');
  const hint = (region: string) =>
    `add ${region} to defaults.regions in accounts.yml and run \`orgbridge run --action bootstrap --execute\` (it creates the region's artifact bucket), or use one of ${known}`;
  for (const policy of policies) {
    if (policy.type !== 'backup') continue;
    const text = textOf(policy.file) ?? policy.content;
    const document = JSON.parse(policy.content) as unknown;
    for (const ref of locateValues(policy.file, text, valuesUnder(document, { regions: 'region' }))) {
      if (allowed.includes(ref.value)) continue;
      errors.push(
        new OrgbridgeError(
          'DSL_BACKUP_REGION_NOT_ALLOWED',
          `plan region ${JSON.stringify(ref.value)} is not one of the organization's regions (${known}); AWS Backup would run the plan there with vaults orgbridge cannot create`,
          { location: ref.location, hint: hint(ref.value) },
        ),
      );
    }
    for (const ref of locateReferences(policy.file, text, document)) {
      if (ref.kind !== 'copy-target') continue;
      const arn = parseVaultArn(ref.value);
      if (arn?.account !== ACCOUNT_VARIABLE || allowed.includes(arn.region)) continue;
      errors.push(
        new OrgbridgeError(
          'DSL_BACKUP_REGION_NOT_ALLOWED',
          `copy target ${JSON.stringify(ref.value)} is in ${arn.region}, not one of the organization's regions (${known}); orgbridge cannot create the account's vault there`,
          { location: ref.location, hint: hint(arn.region) },
        ),
      );
    }
  }
  return errors;
}
