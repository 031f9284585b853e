import type { ErrorCode } from '../error-codes.js';
import { visibleText } from './visible-text.js';
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

/**
 * AWS reserves the `aws:` prefix, in any case, for the tags it applies itself, in keys and in
 * values: nobody can set, change or remove such a tag, and they do not count against the 50-tag
 * limit ("Tag naming limits and requirements",
 * https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
 */
export function isAwsReservedTag(text: string): boolean {
  return text.slice(0, 4).toLowerCase() === 'aws:';
}

/**
 * One character AWS Organizations accepts in a tag key or value: a Unicode letter, separator
 * (such as a space) or number, or one of `_ . : / = + - @` (the pattern of Key and Value,
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_Tag.html). TagResource and
 * CreateAccount refuse the whole request for one tag outside it.
 */
const TAG_CHARACTER = /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u;

/** The first character of `text` Organizations refuses in a tag, or undefined. */
export function unacceptedTagCharacter(text: string): string | undefined {
  for (const c of text) if (!TAG_CHARACTER.test(c)) return c;
  return undefined;
}

export type TagProblemKind =
  | 'RESERVED_TAG'
  | 'AWS_RESERVED_TAG'
  | 'TAG_INVALID_CHARACTER'
  | 'TAG_KEY_WITH_SPACE'
  | 'TOO_MANY_TAGS'
  | 'MANAGED_TAG_KEYS_TOO_LONG';

/** The code of each finding in `validate` (at the line that sets the tag) and in `plan`. */
export const TAG_PROBLEM_CODES = {
  RESERVED_TAG: { dsl: 'DSL_RESERVED_TAG', plan: 'PLAN_RESERVED_TAG' },
  AWS_RESERVED_TAG: { dsl: 'DSL_AWS_RESERVED_TAG', plan: 'PLAN_AWS_RESERVED_TAG' },
  TAG_INVALID_CHARACTER: { dsl: 'DSL_TAG_INVALID_CHARACTER', plan: 'PLAN_TAG_INVALID_CHARACTER' },
  TAG_KEY_WITH_SPACE: { dsl: 'DSL_TAG_KEY_WITH_SPACE', plan: 'PLAN_TAG_KEY_WITH_SPACE' },
  TOO_MANY_TAGS: { dsl: 'DSL_TOO_MANY_TAGS', plan: 'PLAN_TOO_MANY_TAGS' },
  MANAGED_TAG_KEYS_TOO_LONG: { dsl: 'DSL_MANAGED_TAG_KEYS_TOO_LONG', plan: 'PLAN_MANAGED_TAG_KEYS_TOO_LONG' },
} as const satisfies Record<TagProblemKind, { readonly dsl: ErrorCode; readonly plan: ErrorCode }>;

export interface TagProblem {
  readonly kind: TagProblemKind;
  /** The offending tag key, when one tag is at fault. */
  readonly tag?: string;
  readonly message: string;
  /** What to do, when renaming the tag is not it. */
  readonly hint?: string;
}

/** A tag AWS itself refuses: an `aws:` key or value, or a character outside Organizations' set. */
function awsRefusedTag(account: string, tags: Readonly<Record<string, string>>): TagProblem | undefined {
  for (const [tag, value] of Object.entries(tags)) {
    if (isAwsReservedTag(tag) || isAwsReservedTag(value)) {
      const inKey = isAwsReservedTag(tag);
      return {
        kind: 'AWS_RESERVED_TAG',
        tag,
        message: `account '${account}' sets tag '${tag}'${inKey ? '' : ` to '${value}'`}; AWS reserves keys and values starting with 'aws:' (in any case) for its own tags and refuses them`,
        hint: inKey ? 'rename the tag' : 'change the value',
      };
    }
    const inKey = unacceptedTagCharacter(tag);
    const inValue = inKey === undefined ? unacceptedTagCharacter(value) : undefined;
    const bad = inKey ?? inValue;
    if (bad !== undefined) {
      return {
        kind: 'TAG_INVALID_CHARACTER',
        tag,
        message: `account '${account}' sets tag '${visibleText(tag)}'${inKey === undefined ? ` to '${visibleText(value)}'` : ''}, whose ${inKey === undefined ? 'value' : 'key'} holds "${visibleText(bad)}": AWS Organizations accepts only letters, digits, spaces and _ . : / = + - @ in tags`,
        hint: inKey === undefined ? 'change the value' : 'rename the tag',
      };
    }
  }
  return undefined;
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
  const refused = awsRefusedTag(account, tags);
  if (refused) return refused;
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
