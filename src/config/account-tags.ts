import type { ErrorCode } from '../error-codes.js';
/**
 * What an account's tags must satisfy beyond the schema, decided by the config alone: `validate`
 * reports it (DSL_* codes, at the line that sets the tag) so a pull-request check never goes green
 * on a config `plan` would block, and `plan` reports the same finding (PLAN_* codes).
 */

/** Every tag key under this prefix is orgbridge's own marker (src/plan/markers.ts). */
export const MARKER_PREFIX = 'orgbridge:';

/** How many marker tags an account may carry at most, counted against the 50-tag limit. */
export const MARKER_TAG_BUDGET = 5;

/**
 * Organizations tag values are at most 256 characters:
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_Tag.html
 */
export const TAG_VALUE_MAX = 256;

/** The tag marker that lists the managed keys, space-separated. */
const MANAGED_TAGS_MARKER = `${MARKER_PREFIX}managed-tags`;

export function isMarker(key: string): boolean {
  return key.startsWith(MARKER_PREFIX);
}

export type TagProblemKind =
  | 'RESERVED_TAG'
  | 'TAG_KEY_WITH_SPACE'
  | 'TOO_MANY_TAGS'
  | 'MANAGED_TAG_KEYS_TOO_LONG';

/** The code of each finding in `validate` (at the line that sets the tag) and in `plan`. */
export const TAG_PROBLEM_CODES = {
  RESERVED_TAG: { dsl: 'DSL_RESERVED_TAG', plan: 'PLAN_RESERVED_TAG' },
  TAG_KEY_WITH_SPACE: { dsl: 'DSL_TAG_KEY_WITH_SPACE', plan: 'PLAN_TAG_KEY_WITH_SPACE' },
  TOO_MANY_TAGS: { dsl: 'DSL_TOO_MANY_TAGS', plan: 'PLAN_TOO_MANY_TAGS' },
  MANAGED_TAG_KEYS_TOO_LONG: { dsl: 'DSL_MANAGED_TAG_KEYS_TOO_LONG', plan: 'PLAN_MANAGED_TAG_KEYS_TOO_LONG' },
} as const satisfies Record<TagProblemKind, { readonly dsl: ErrorCode; readonly plan: ErrorCode }>;

export interface TagProblem {
  readonly kind: TagProblemKind;
  /** The offending tag key, when one tag is at fault. */
  readonly tag?: string;
  readonly message: string;
}

/**
 * The first problem of an account's tags, or undefined. An authoritative config manages every
 * tag without the managed-tags marker, whose space-separated list is what the whitespace and
 * length checks protect; its markers are written only when they fit.
 */
export function accountTagProblem(
  account: string,
  tags: Readonly<Record<string, string>>,
  options: { readonly authoritative: boolean; readonly tagLimit: number },
): TagProblem | undefined {
  const keys = Object.keys(tags);
  const { authoritative, tagLimit } = options;
  const reserved = keys.find(isMarker);
  if (reserved) {
    return {
      kind: 'RESERVED_TAG',
      tag: reserved,
      message: `account '${account}' sets tag '${reserved}'; keys starting with '${MARKER_PREFIX}' are reserved for orgbridge's own markers: rename the tag`,
    };
  }
  if (authoritative) {
    return keys.length > tagLimit
      ? {
          kind: 'TOO_MANY_TAGS',
          message: `account '${account}' sets ${keys.length} tags, more than the ${tagLimit} an account may carry: drop ${keys.length - tagLimit}`,
        }
      : undefined;
  }
  const spaced = keys.find((k) => /\s/.test(k));
  if (spaced) {
    return {
      kind: 'TAG_KEY_WITH_SPACE',
      tag: spaced,
      message: `account '${account}' sets tag '${spaced}' whose key holds whitespace; orgbridge records managed keys space-separated: rename the tag`,
    };
  }
  if (keys.length + MARKER_TAG_BUDGET > tagLimit) {
    return {
      kind: 'TOO_MANY_TAGS',
      message: `account '${account}' sets ${keys.length} tags; with orgbridge's ${MARKER_TAG_BUDGET} markers that exceeds the ${tagLimit} tags an account may carry: drop ${keys.length + MARKER_TAG_BUDGET - tagLimit}`,
    };
  }
  // The joined length does not depend on the order the marker writes them in.
  const listLength = keys.reduce((n, k) => n + k.length, 0) + Math.max(0, keys.length - 1);
  if (listLength > TAG_VALUE_MAX) {
    return {
      kind: 'MANAGED_TAG_KEYS_TOO_LONG',
      message: `account '${account}': its tag keys joined take ${listLength} characters, more than the ${TAG_VALUE_MAX} a tag value holds (orgbridge records them in '${MANAGED_TAGS_MARKER}'): use fewer or shorter keys`,
    };
  }
  return undefined;
}
