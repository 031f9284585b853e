import { OrgbridgeError, type SourceLocation } from '../errors.js';
import { BACKUP_VAULT_NAME_PATTERN, IAM_ROLE_NAME_PATTERN } from './aws-names.js';
import type { PolicyDocument } from './model.js';
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

/** Seed 004's fixed baseline: every account has this role, whatever its policies say. */
export const BACKUP_ROLE_NAME = 'orgbridge-backup';
/** Seed 004's fixed baseline: every account has this vault, whatever its policies say. */
export const BACKUP_VAULT_NAME = 'Default';
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

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The references of a backup policy in document order: in a policy file the values sit under
 * `@@assign` (or `@@append`), in an effective policy they are bare.
 */
export function backupReferences(document: unknown): BackupReference[] {
  const found: BackupReference[] = [];
  const collect = (kind: BackupReferenceKind, value: unknown) => {
    if (typeof value === 'string') found.push({ kind, value });
    else if (Array.isArray(value)) for (const v of value) collect(kind, v);
    else if (isObject(value)) {
      collect(kind, value['@@assign']);
      collect(kind, value['@@append']);
    }
  };
  const walk = (node: unknown) => {
    if (Array.isArray(node)) for (const item of node) walk(item);
    if (!isObject(node)) return;
    for (const [key, child] of Object.entries(node)) {
      const kind = Object.hasOwn(REFERENCE_KEYS, key) ? REFERENCE_KEYS[key] : undefined;
      if (kind) collect(kind, child);
      else walk(child);
    }
  };
  walk(document);
  return found;
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

// Validation ------------------------------------------------------------------------------------

interface LocatedReference extends BackupReference {
  readonly location: SourceLocation;
}

/** References of one file with the position of each value, found in document order. */
function locateReferences(file: string, text: string, document: unknown): LocatedReference[] {
  const lines = LineIndex.of(text);
  let cursor = 0;
  return backupReferences(document).map((ref) => {
    const needle = JSON.stringify(ref.value);
    let offset = text.indexOf(needle, cursor);
    if (offset === -1) offset = Math.max(0, text.indexOf(needle));
    else cursor = offset + needle.length;
    return { ...ref, location: { file, ...lines.position(offset) } };
  });
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
