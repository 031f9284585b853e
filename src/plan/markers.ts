import { createHash } from 'node:crypto';
import { compareText } from './observed.js';

/**
 * Tags orgbridge writes on the accounts it manages. Organizations has no place for tool state,
 * so the state that turns "differs from the DSL" into either "the DSL changed" or "someone
 * changed AWS by hand" (drift) lives on the account itself, next to what it describes.
 * Every key under the `orgbridge:` prefix is orgbridge's; the DSL may not set them.
 */
export const MARKER_PREFIX = 'orgbridge:';
export const MARKERS = {
  /** The account's key in `accounts:`: identity that survives renames of name/email templates. */
  key: 'orgbridge:key',
  /** Space-separated, sorted keys of the tags the DSL sets: the only tags orgbridge may remove. */
  managedTags: 'orgbridge:managed-tags',
  /** Hash of the managed tags as last written: a mismatch means they were edited out of band. */
  tagsHash: 'orgbridge:tags-hash',
  /** Id of the OU orgbridge last placed the account in: a mismatch means it was moved by hand. */
  ou: 'orgbridge:ou',
  /** Present ('true') on `protect: true` accounts, so protection outlives the DSL entry. */
  protect: 'orgbridge:protect',
  /** Date (YYYY-MM-DD) orgbridge moved the account to the morgue. */
  retired: 'orgbridge:retired',
  /** Timestamp (ISO 8601) orgbridge asked AWS to close the account: counts against the quota. */
  closed: 'orgbridge:closed',
} as const;

/** How many marker tags an account may carry at most, counted against the 50-tag limit. */
export const MARKER_TAG_BUDGET = 5;

/** Organizations tag values are at most 256 characters. */
export const TAG_VALUE_MAX = 256;

export function isMarker(key: string): boolean {
  return key.startsWith(MARKER_PREFIX);
}

export function formatManagedTagKeys(keys: Iterable<string>): string {
  return [...keys].sort(compareText).join(' ');
}

export function parseManagedTagKeys(value: string | undefined): string[] {
  return value ? value.split(' ').filter((k) => k.length > 0) : [];
}

/**
 * Stable hash of a tag set: entries sorted by key before hashing (never hash key-order-dependent
 * JSON). 16 hex characters are plenty to notice an edit; this is not a security boundary.
 */
export function hashTags(tags: Readonly<Record<string, string>>): string {
  const entries = Object.entries(tags).sort(([a], [b]) => compareText(a, b));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

/** The marker tags a managed account carries besides its DSL tags (without `orgbridge:ou`). */
export function managedMarkers(
  key: string,
  tags: Readonly<Record<string, string>>,
  protect: boolean,
): Record<string, string> {
  return {
    [MARKERS.key]: key,
    [MARKERS.managedTags]: formatManagedTagKeys(Object.keys(tags)),
    [MARKERS.tagsHash]: hashTags(tags),
    ...(protect ? { [MARKERS.protect]: 'true' } : {}),
  };
}
