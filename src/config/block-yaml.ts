import type { NodePosition } from './source.js';

/**
 * A fast parser for the plain block subset of YAML that config files are written in: block
 * maps and sequences, plain and single-line quoted scalars, one-line flow sequences of plain
 * scalars, comments. It exists for speed only: the `yaml` package needs about 1.5 s for a
 * 10,000-account file on a small machine, this needs a few tens of milliseconds.
 *
 * It returns undefined for anything it does not fully understand (anchors, aliases, tags,
 * block scalars, flow maps, multi-line scalars, tabs, CRLF, errors of any kind), and the caller
 * then uses the `yaml` package, which stays the reference: a differential property test
 * (test/unit/config/block-yaml.test.ts) checks both give the same values and positions.
 * Scalars resolve like the YAML 1.2 core schema, the `yaml` package's default.
 */
export interface BlockYaml {
  readonly value: unknown;
  readonly root: NodePosition;
}

interface Line {
  indent: number;
  /** Offset of the content's first character in the text. */
  offset: number;
  /** Content without indentation, comment and trailing blanks. */
  content: string;
}

/** Not in the subset: fall back to the `yaml` package. */
class Unsupported extends Error {}

const bail = (): never => {
  throw new Unsupported();
};

export function parseBlockYaml(text: string): BlockYaml | undefined {
  try {
    return parseLines(splitLines(text));
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

function splitLines(text: string): Line[] {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) bail();
  const lines: Line[] = [];
  let start = 0;
  let first = true;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    let indent = 0;
    while (text.charCodeAt(start + indent) === 32) indent++;
    let content = text.slice(start + indent, end);
    const hash = content.indexOf('#');
    if (hash === 0) content = '';
    else if (hash > 0) {
      // Quotes would make "is this # a comment" context-dependent: leave that to the library.
      if (content.includes("'") || content.includes('"')) bail();
      const comment = content.indexOf(' #');
      if (comment !== -1) content = content.slice(0, comment);
    }
    content = content.trimEnd();
    if (content) {
      if (first && indent === 0 && content === '---') {
        // A leading document marker is fine; anything else document-level is not.
      } else {
        if (indent === 0 && (content.startsWith('---') || content.startsWith('...') || content[0] === '%')) {
          bail();
        }
        lines.push({ indent, offset: start + indent, content });
      }
      first = false;
    }
    start = end + 1;
  }
  return lines;
}

function parseLines(lines: Line[]): BlockYaml {
  if (!lines.length) return { value: null, root: { at: 0 } };
  const cursor = { i: 0 };
  const first = lines[0] as Line;
  if (first.indent !== 0) bail();
  const node = parseBlock(lines, cursor, first.indent);
  if (cursor.i !== lines.length) bail();
  return node;
}

function isSequenceItem(content: string): boolean {
  return content === '-' || content.startsWith('- ');
}

function parseBlock(lines: Line[], cursor: { i: number }, indent: number): BlockYaml {
  const line = lines[cursor.i] as Line;
  if (isSequenceItem(line.content)) return parseSequence(lines, cursor, indent);
  if (mapKeyEnd(line.content) !== -1) return parseMap(lines, cursor, indent);
  return bail();
}

/** Index of the `:` that ends a plain key, or -1 when the line is not a map entry. */
function mapKeyEnd(content: string): number {
  const colon = content.indexOf(': ');
  if (colon !== -1) return colon;
  return content.endsWith(':') ? content.length - 1 : -1;
}

function parseMap(lines: Line[], cursor: { i: number }, indent: number): BlockYaml {
  const value: Record<string, unknown> = {};
  const entries = new Map<string, NodePosition>();
  const start = (lines[cursor.i] as Line).offset;
  while (cursor.i < lines.length) {
    const line = lines[cursor.i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent || isSequenceItem(line.content)) bail();
    const end = mapKeyEnd(line.content);
    if (end <= 0) bail();
    const key = line.content.slice(0, end).trimEnd();
    if (
      !isPlainStart(key) ||
      resolvePlain(key) !== key ||
      key === '<<' ||
      key === '__proto__' ||
      entries.has(key)
    ) {
      bail();
    }
    cursor.i++;
    let rest = line.content.slice(end + 1);
    const restIndent = rest.length - rest.trimStart().length;
    rest = rest.trimStart();
    let child: BlockYaml;
    if (rest) {
      child = parseInline(rest, line.offset + end + 1 + restIndent);
      // A deeper line after an inline value would be a multi-line scalar: not in the subset.
      const next = lines[cursor.i];
      if (next && next.indent > indent) bail();
    } else {
      const next = lines[cursor.i];
      if (next && (next.indent > indent || (next.indent === indent && isSequenceItem(next.content)))) {
        child = parseBlock(lines, cursor, next.indent);
      } else {
        child = { value: null, root: { at: line.offset } };
      }
    }
    value[key] = child.value;
    // Set in place: a spread copy per entry was the parser's largest cost at 10,000 accounts.
    (child.root as { keyAt?: number }).keyAt = line.offset;
    entries.set(key, child.root);
  }
  return { value, root: { at: start, entries } };
}

function parseSequence(lines: Line[], cursor: { i: number }, indent: number): BlockYaml {
  const value: unknown[] = [];
  const items: NodePosition[] = [];
  const start = (lines[cursor.i] as Line).offset;
  while (cursor.i < lines.length) {
    const line = lines[cursor.i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent || !isSequenceItem(line.content)) bail();
    let rest = line.content.slice(1);
    const gap = rest.length - rest.trimStart().length;
    rest = rest.trimStart();
    if (!rest) bail(); // `-` alone: an empty or nested item; the library handles both
    let child: BlockYaml;
    if (isSequenceItem(rest) || mapKeyEnd(rest) !== -1) {
      // A compact nested collection (`- name: foo`): reparse this line as its first line.
      const column = line.indent + 1 + gap;
      lines[cursor.i] = { indent: column, offset: line.offset + 1 + gap, content: rest };
      child = parseBlock(lines, cursor, column);
    } else {
      child = parseInline(rest, line.offset + 1 + gap);
      cursor.i++;
      const next = lines[cursor.i];
      if (next && next.indent > indent) bail();
    }
    value.push(child.value);
    items.push(child.root);
  }
  return { value, root: { at: start, items } };
}

/** A value on the same line as its key or dash: a scalar or a one-line flow sequence. */
function parseInline(text: string, offset: number): BlockYaml {
  const first = text[0];
  if (first === '[') return parseFlowSequence(text, offset);
  if (text === '{}') return { value: {}, root: { at: offset, entries: new Map() } };
  if (first === "'") return { value: singleQuoted(text), root: { at: offset } };
  if (first === '"') return { value: doubleQuoted(text), root: { at: offset } };
  if (!isPlainStart(text) || text.includes(': ') || text.endsWith(':')) bail();
  return { value: resolvePlain(text), root: { at: offset } };
}

function parseFlowSequence(text: string, offset: number): BlockYaml {
  if (!text.endsWith(']')) bail();
  const inner = text.slice(1, -1);
  if (/[[\]{}'"#:]/.test(inner)) bail();
  if (!inner.trim()) return { value: [], root: { at: offset, items: [] } };
  const value: unknown[] = [];
  const items: NodePosition[] = [];
  let position = 1;
  for (const part of inner.split(',')) {
    const item = part.trim();
    if (!item || !isPlainStart(item)) bail();
    value.push(resolvePlain(item));
    items.push({ at: offset + position + (part.length - part.trimStart().length) });
    position += part.length + 1;
  }
  return { value, root: { at: offset, items } };
}

function singleQuoted(text: string): string {
  if (text.length < 2 || !text.endsWith("'")) bail();
  const inner = text.slice(1, -1);
  if (/'(?!')/.test(inner.replaceAll("''", ''))) bail();
  return inner.replaceAll("''", "'");
}

function doubleQuoted(text: string): string {
  if (text.length < 2 || !text.endsWith('"')) bail();
  const inner = text.slice(1, -1);
  // Only what JSON and YAML escape identically; YAML-only escapes go to the library.
  if (/[\\"]/.test(inner.replaceAll(/\\["\\/]/g, ''))) bail();
  for (let i = 0; i < inner.length; i++) {
    const code = inner.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) bail();
  }
  return JSON.parse(text) as string;
}

/** Characters that start something other than a plain scalar (YAML 1.2 indicators). */
function isPlainStart(text: string): boolean {
  const c = text[0];
  if (c === undefined) return false;
  if ('[]{},#&*!|>\'"%@`'.includes(c)) return false;
  if ((c === '-' || c === '?' || c === ':') && (text.length === 1 || text[1] === ' ')) return false;
  return true;
}

const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;

/** The YAML 1.2 core schema for plain scalars, minus the rare forms left to the library. */
function resolvePlain(text: string): unknown {
  switch (text) {
    case 'null':
      return null;
    case 'true':
      return true;
    case 'false':
      return false;
    // Other spellings print otherwise than written: left to the library, as numbers below.
    case '~':
    case 'Null':
    case 'NULL':
    case 'True':
    case 'TRUE':
    case 'False':
    case 'FALSE':
      return bail();
  }
  const c = text.charCodeAt(0);
  // Digits, signs and dots may start numbers, octal/hex or .inf/.nan: decide or defer.
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    // A number that prints otherwise than written (`0042`, `1.50`, `1e3`) is left to the
    // library, whose parse keeps the text for the checks that need it (source.ts, `text`).
    const number = INT.test(text)
      ? Number.parseInt(text, 10)
      : FLOAT.test(text)
        ? Number.parseFloat(text)
        : undefined;
    if (number !== undefined) return String(number) === text ? number : bail();
    if (/^[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$/.test(text) || /^0[ox]/.test(text)) bail();
  }
  return text;
}
