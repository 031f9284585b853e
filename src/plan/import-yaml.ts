/**
 * The small YAML writer of `orgbridge import`: block maps and sequences of strings, every scalar
 * either plain (when YAML can only read it back as that same string) or double-quoted with JSON
 * escapes, which YAML 1.2 reads the same way (https://yaml.org/spec/1.2.2/#double-quoted-style).
 * Comments and layout are what a person would write; a property test reads every scalar back.
 */

/** Words YAML 1.1 readers take for booleans or null; quoted so no reader mistakes them. */
const SPECIAL_WORDS = /^(?:y|n|yes|no|true|false|on|off|null|~)$/i;
const PLAIN = /^[A-Za-z_][A-Za-z0-9_./@+-]*$/;

/** A string as a YAML scalar (or key) that reads back as exactly that string. */
export function yamlString(value: string): string {
  if (PLAIN.test(value) && !SPECIAL_WORDS.test(value)) return value;
  // JSON.stringify leaves U+2028/U+2029 raw; YAML would take them for line breaks.
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export type YamlValue = string | boolean | number | readonly YamlValue[] | YamlMap;
export interface YamlMap {
  readonly [key: string]: YamlValue | undefined;
}

/** A map entry with a comment above it or beside it. */
export interface Commented {
  readonly before?: readonly string[];
  readonly after?: string;
}

/**
 * Lines of a block map at `indent`, keys in the given order. `comments` (key -> comment) puts a
 * comment above or beside an entry; `undefined` values are left out.
 */
export function yamlMapLines(
  map: YamlMap,
  indent = 0,
  comments: Readonly<Record<string, Commented>> = {},
): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined) continue;
    const comment = Object.hasOwn(comments, key) ? comments[key] : undefined;
    for (const line of comment?.before ?? []) lines.push(`${pad}# ${line}`.trimEnd());
    const beside = comment?.after ? `  # ${comment.after}` : '';
    const k = yamlString(key);
    if (typeof value === 'string') lines.push(`${pad}${k}: ${yamlString(value)}${beside}`);
    else if (typeof value === 'boolean' || typeof value === 'number')
      lines.push(`${pad}${k}: ${String(value)}${beside}`);
    else if (Array.isArray(value)) {
      if (value.length === 0) lines.push(`${pad}${k}: []${beside}`);
      else {
        lines.push(`${pad}${k}:${beside}`);
        for (const item of value as readonly YamlValue[]) lines.push(...yamlItemLines(item, indent + 2));
      }
    } else {
      const entries = Object.entries(value as YamlMap).filter(([, v]) => v !== undefined);
      if (entries.length === 0) lines.push(`${pad}${k}: {}${beside}`);
      else {
        lines.push(`${pad}${k}:${beside}`);
        lines.push(...yamlMapLines(value as YamlMap, indent + 2));
      }
    }
  }
  return lines;
}

function yamlItemLines(item: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (typeof item === 'string') return [`${pad}- ${yamlString(item)}`];
  if (typeof item === 'boolean' || typeof item === 'number') return [`${pad}- ${String(item)}`];
  throw new Error('yamlItemLines: only scalar list items are written');
}
