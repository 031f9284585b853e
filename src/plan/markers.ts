import { isMarker, MARKER_PREFIX } from '../config/account-tags.js';
import { compareText } from './observed.js';

export { isMarker, MARKER_PREFIX };

/**
 * Tags orgbridge writes on the accounts it manages. Organizations has no place for tool state,
 * so the state that turns "differs from the DSL" into either "the DSL changed" or "someone
 * changed AWS by hand" (drift) lives on the account itself, next to what it describes.
 * Every key under the `orgbridge:` prefix is orgbridge's; the DSL may not set them.
 */
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
  /**
   * Timestamp (ISO 8601) the management handler removed `orgbridge:protect`: the account may be
   * retired or closed only PROTECT_COOLING_OFF_MS later, so an unprotect and a retire never take
   * effect in one run, whoever sends them.
   */
  unprotected: 'orgbridge:unprotected',
} as const;

/**
 * How long after its protection was removed an account stays unretirable. A run of the pipeline
 * takes minutes; an hour means the retirement happens on a later run, after the unprotect was
 * seen (in the plan, the audit store and its notifications).
 */
export const PROTECT_COOLING_OFF_MS = 60 * 60 * 1000;

/**
 * When an account unprotected at `unprotectedAt` may be retired, or undefined when it may be now
 * (never unprotected by orgbridge, or long enough ago). An unreadable value counts as now.
 */
export function coolingOffUntil(unprotectedAt: string | undefined, now: Date): Date | undefined {
  if (unprotectedAt === undefined) return undefined;
  const since = Date.parse(unprotectedAt);
  const until = Number.isFinite(since)
    ? since + PROTECT_COOLING_OFF_MS
    : now.getTime() + PROTECT_COOLING_OFF_MS;
  return until > now.getTime() ? new Date(until) : undefined;
}

export function formatManagedTagKeys(keys: Iterable<string>): string {
  return [...keys].sort(compareText).join(' ');
}

export function parseManagedTagKeys(value: string | undefined): string[] {
  return value ? value.split(' ').filter((k) => k.length > 0) : [];
}

/**
 * Stable hash of a tag set: entries sorted by key before hashing (never hash key-order-dependent
 * JSON). It only has to notice an edit, it is no security boundary: cyrb53 (a public-domain
 * 53-bit string hash) is ~10x cheaper than creating a sha256 per account, which matters at
 * 10,000 accounts.
 */
export function hashTags(tags: Readonly<Record<string, string>>): string {
  // NUL cannot occur in tag keys or values, so the joined form is unambiguous.
  const text = Object.keys(tags)
    .sort(compareText)
    .map((k) => `${k}\u0000${tags[k]}`)
    .join('\u0000');
  return cyrb53(text).toString(16).padStart(14, '0');
}

function cyrb53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
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
