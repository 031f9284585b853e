import type { Provenance, ResolvedAccount } from './model.js';

/** One line of `orgbridge explain`: a setting's value and where it came from. */
export interface ExplainRow {
  readonly setting: string;
  readonly value: unknown;
  readonly provenance: Provenance;
}

/** Every resolved value of an account with its provenance, in a stable order. */
export function explainAccount(account: ResolvedAccount): ExplainRow[] {
  return Object.entries(account.provenance).map(([setting, provenance]) => ({
    setting,
    value: settingValue(account, setting),
    provenance,
  }));
}

function settingValue(account: ResolvedAccount, setting: string): unknown {
  if (setting.startsWith('tags.')) return account.tags[setting.slice('tags.'.length)];
  if (setting.startsWith('access.')) return account.access[setting.slice('access.'.length)];
  if (setting in account.settings) return account.settings[setting];
  return (account as unknown as Record<string, unknown>)[setting];
}

/** `account accounts.yml:42:5`, or `builtin default` for values no file set. */
export function formatProvenance(p: Provenance): string {
  return p.layer === 'builtin' ? 'builtin default' : `${p.layer} ${p.file}:${p.line}:${p.column}`;
}
