import { SPECIAL_ACCOUNT_KINDS, type SpecialAccountKind } from '../../src/config/model.js';

/**
 * The accounts.yml lines every test configuration repeats: the six special accounts, named in
 * the `organization:` block and listed under `accounts:`. Each is named after its kind unless
 * `names` renames it (the unit fixtures call the management account `mgmt`).
 */
export type SpecialAccountNames = Partial<Record<SpecialAccountKind, string>>;

/** `  cicd: cicd` and so on, for the `organization:` block. */
export function specialAccountNames(names: SpecialAccountNames = {}): string {
  return SPECIAL_ACCOUNT_KINDS.map((kind) => `  ${kind}: ${names[kind] ?? kind}\n`).join('');
}

/** Their entries under `accounts:`, all in `scope`; `extra` adds lines under an entry (e.g. `    id: '…'\n`). */
export function specialAccountEntries(
  scope: string,
  names: SpecialAccountNames = {},
  extra: SpecialAccountNames = {},
): string {
  return SPECIAL_ACCOUNT_KINDS.map(
    (kind) => `  ${names[kind] ?? kind}:\n    scope: ${scope}\n${extra[kind] ?? ''}`,
  ).join('');
}
