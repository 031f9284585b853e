import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { compareByLocation, OrgbridgeError, type SourceLocation } from '../errors.js';
import { parseBlockYaml } from './block-yaml.js';

/** One file of a config repository, as text: parsing never touches the file system. */
export interface SourceFile {
  /** Path relative to the config directory, `/`-separated (what error messages print). */
  readonly path: string;
  readonly text: string;
}

/**
 * Where a YAML node starts, and for a map value where its key starts, as character offsets.
 * A tree mirroring the parsed value so any path (`accounts.foo.region`) maps to file:line:col.
 */
export interface NodePosition {
  readonly at: number;
  readonly keyAt?: number;
  /**
   * A plain scalar's text where YAML read it as something that prints differently (`0042` is
   * the number 42, `True` is true): where the DSL turns such a value into text (a tag value),
   * what would reach AWS is not what the file says.
   */
  readonly text?: string;
  readonly entries?: ReadonlyMap<string, NodePosition>;
  readonly items?: readonly NodePosition[];
}

/** Offsets to 1-based line/column, by binary search over the start offset of each line. */
export class LineIndex {
  constructor(private readonly lineStarts: readonly number[]) {}

  static of(text: string): LineIndex {
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    return new LineIndex(starts);
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.lineStarts[low] as number) + 1 };
  }
}

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file: its plain value plus the position tree to point errors at. */
export class ParsedYaml {
  constructor(
    readonly file: string,
    readonly value: unknown,
    readonly root: NodePosition,
    private readonly lines: LineIndex,
  ) {}

  location(offset: number): SourceLocation {
    return { file: this.file, ...this.lines.position(offset) };
  }

  /**
   * The position of the node at `path`: its key (`target: 'key'`, e.g. the `foo:` of an
   * account) or its value. A path that leaves the tree (a missing key, a merged `<<` key)
   * falls back to the deepest node that exists, so every error has a position.
   */
  locate(path: YamlPath, target: 'key' | 'value' = 'key'): SourceLocation {
    return this.location(this.offsetOf(path, target));
  }

  /** `locate` as a Provenance record, in one allocation (resolution makes ~20 per account). */
  provenance<L extends string>(
    layer: L,
    path: YamlPath,
  ): { layer: L; file: string; line: number; column: number } {
    const { line, column } = this.lines.position(this.offsetOf(path, 'key'));
    return { layer, file: this.file, line, column };
  }

  /** `provenance` relative to `base` (a path already walked), saving the walk from the root. */
  provenanceUnder<L extends string>(
    layer: L,
    base: NodePosition,
    path: YamlPath,
  ): { layer: L; file: string; line: number; column: number } {
    const { line, column } = this.lines.position(this.offsetOf(path, 'key', base));
    return { layer, file: this.file, line, column };
  }

  /** The node at `path`, or undefined when the path leaves the tree. */
  node(path: YamlPath): NodePosition | undefined {
    let node: NodePosition | undefined = this.root;
    for (const step of path) {
      node = typeof step === 'number' ? node?.items?.[step] : node?.entries?.get(step);
    }
    return node;
  }

  private offsetOf(path: YamlPath, target: 'key' | 'value', from: NodePosition = this.root): number {
    let node = from;
    for (const step of path) {
      const next = typeof step === 'number' ? node.items?.[step] : node.entries?.get(step);
      if (!next) return node.keyAt ?? node.at;
      node = next;
    }
    return target === 'key' ? (node.keyAt ?? node.at) : node.at;
  }
}

/**
 * Parses one YAML file. Plain block YAML (what config files almost always are) goes through a
 * fast subset parser; anything else, and every syntax error, goes through the `yaml` package,
 * the reference implementation, so messages and semantics stay those of `yaml`.
 * Throws YamlSyntaxErrors: every syntax error of the file, each positioned.
 */
export function parseYaml(file: SourceFile): ParsedYaml {
  try {
    const fast = parseBlockYaml(file.text);
    if (fast) return new ParsedYaml(file.path, fast.value, fast.root, LineIndex.of(file.text));
    return parseYamlWithLibrary(file);
  } catch (e) {
    // Thousands of nesting levels exhaust the stack of either parser; no config nests so deep.
    if (!(e instanceof RangeError)) throw e;
    throw new YamlSyntaxErrors([
      new OrgbridgeError('DSL_YAML_SYNTAX', `invalid YAML: ${NESTED_TOO_DEEPLY}`, {
        location: { file: file.path, line: 1, column: 1 },
        hint: NESTED_TOO_DEEPLY_HINT,
        cause: e,
      }),
    ]);
  }
}

/** Thrown by parseYaml: every syntax error of one file, each positioned. */
export class YamlSyntaxErrors extends Error {
  constructor(readonly errors: readonly OrgbridgeError[]) {
    super(errors.map((e) => e.format()).join('\n'));
    this.name = 'YamlSyntaxErrors';
  }
}

export function parseYamlWithLibrary(file: SourceFile): ParsedYaml {
  const lineCounter = new LineCounter();
  // uniqueKeys is checked below while walking: the library's own check is quadratic in map
  // size (it scans every earlier key), which costs seconds on a 10,000-account file.
  const doc = parseDocument(file.text, { lineCounter, merge: true, uniqueKeys: false, prettyErrors: false });
  const lines = new LineIndex(lineCounter.lineStarts);
  const at = (offset: number): SourceLocation => ({ file: file.path, ...lines.position(offset) });
  // One mistake, one error: after the first syntax error the parser reads the rest of the file
  // out of step (one tab gave 18 errors), so only the first is reported, with how many followed.
  const first = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  const errors: OrgbridgeError[] = [];
  if (first) {
    const more = doc.errors.length - 1;
    const { message, hint } = syntaxErrorText(first);
    errors.push(
      new OrgbridgeError('DSL_YAML_SYNTAX', `invalid YAML: ${message}`, {
        location: at(first.pos[0]),
        hint: `${hint}${more > 0 ? `; the parser reported ${more} more error${more === 1 ? '' : 's'} after this one, most likely caused by it: run validate again once it is fixed` : ''}`,
        cause: first,
      }),
    );
  }
  const state: WalkState = { hasAlias: false, text: file.text };
  const root = doc.contents ? positionOf(doc.contents, at, errors, state) : { at: 0 };
  // After a syntax error (a tab) the parser reads the rest out of step: entries land in the wrong
  // map and repeat its keys. A duplicate found there is the syntax error's doing; one before it
  // was read in step and is a mistake of its own.
  if (first) {
    const syntax = errors[0] as OrgbridgeError;
    const inStep = (e: OrgbridgeError) => e.code !== 'DSL_DUPLICATE_KEY' || compareByLocation(e, syntax) < 0;
    throw new YamlSyntaxErrors(errors.filter(inStep));
  }
  if (errors.length) throw new YamlSyntaxErrors(errors);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // toJS reports alias problems (unresolved, too many expansions) only when it runs.
    throw new YamlSyntaxErrors([
      new OrgbridgeError('DSL_YAML_SYNTAX', `invalid YAML: ${(e as Error).message}`, {
        location: at(state.firstAlias ?? 0),
        hint: 'define each &anchor before its *alias',
        cause: e,
      }),
    ]);
  }
  if (state.hasAlias && isCyclic(value)) {
    throw new YamlSyntaxErrors([
      new OrgbridgeError('DSL_YAML_SYNTAX', 'invalid YAML: an alias refers to a node that contains it', {
        location: at(0),
        hint: 'remove the recursive anchor/alias pair',
      }),
    ]);
  }
  return new ParsedYaml(file.path, value, root, lines);
}

/** The library's first error in the DSL's words where its own would speak of its API or internals. */
function syntaxErrorText(error: { code: string; message: string }): { message: string; hint: string } {
  if (error.code === 'MULTIPLE_DOCS') {
    return {
      message: 'the file holds more than one YAML document (a `---` line starts another)',
      hint: 'keep one document: remove the `---` line and move what follows it into the first',
    };
  }
  if (error.code === 'RESOURCE_EXHAUSTION')
    return { message: NESTED_TOO_DEEPLY, hint: NESTED_TOO_DEEPLY_HINT };
  const message = error.message.split('\n')[0] ?? error.message;
  return {
    message,
    hint: /tab/i.test(message)
      ? 'indent with spaces: YAML does not allow tabs'
      : 'fix the YAML syntax first (indentation, a missing `:` or an unclosed quote or bracket)',
  };
}

const NESTED_TOO_DEEPLY = 'the document is nested too deeply to read';
const NESTED_TOO_DEEPLY_HINT = 'a configuration needs a handful of nesting levels; check the indentation';

/**
 * The YAML 1.2 core schema's tags, which only restate what a plain value reads as (`!!str 5`).
 * Any other tag would be read as something the DSL has no such value for: `!Ref`, `!custom` (a
 * CloudFormation tag in the wrong file) as the plain text after it, with the tag dropped; the
 * library's extra `!!binary`, `!!set`, `!!timestamp` as bytes, sets and dates.
 */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

interface WalkState {
  hasAlias: boolean;
  firstAlias?: number;
  readonly text: string;
}

function checkTag(
  node: Node,
  at: (offset: number) => SourceLocation,
  errors: OrgbridgeError[],
  text: string,
): void {
  const tag = node.tag;
  if (tag === undefined || CORE_TAGS.has(tag)) return;
  // A node's range starts at its value; its tag is the `!...` just before it.
  const start = node.range?.[0] ?? 0;
  let offset = text.lastIndexOf('!', start - 1);
  while (offset > 0 && text[offset - 1] === '!') offset--;
  const shown = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice(18)}` : tag;
  const error = new OrgbridgeError(
    'DSL_YAML_TAG',
    `the YAML tag ${shown} has no meaning in orgbridge's files`,
    {
      location: at(offset >= 0 ? offset : start),
      hint: shown.startsWith('!!')
        ? 'remove the tag and write the value as text, a number, a list or a map'
        : "remove the tag; CloudFormation's tags (!Ref, !Sub, ...) belong in stacks/<name>/template.yml, and a value starting with ! is written in quotes ('!x')",
    },
  );
  errors.push(error);
}

function positionOf(
  node: Node,
  at: (offset: number) => SourceLocation,
  errors: OrgbridgeError[],
  state: WalkState,
): NodePosition {
  const start = node.range?.[0] ?? 0;
  if (isAlias(node)) {
    state.hasAlias = true;
    state.firstAlias ??= start;
  }
  checkTag(node, at, errors, state.text);
  if (isMap(node)) {
    const entries = new Map<string, NodePosition>();
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyAt = keyNode?.range?.[0] ?? start;
      if (keyNode) checkTag(keyNode, at, errors, state.text);
      if (isMap(keyNode) || isSeq(keyNode)) {
        // `? {a: 1}: x` or `[a, b]: x` is valid YAML, but no DSL key is a map or a list; reported
        // here so the message does not quote the whole structure as an "unknown key".
        errors.push(
          new OrgbridgeError(
            'DSL_KEY_NOT_TEXT',
            `a key must be plain text, not a ${isMap(keyNode) ? 'map' : 'list'}`,
            {
              location: at(firstOffset(keyNode)),
              hint: 'write `name: value`; a `?` at the start of a line or a [list]/{map} before `:` makes a complex key',
            },
          ),
        );
        continue;
      }
      // A merge key (`<<: *defaults`) is the symbol `<<` once parsed with `merge: true`: its
      // entries are merged into this map, and fall back to the map's position.
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol' && keyNode.source === '<<') continue;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const scalarKey = isScalar(keyNode) ? keyNode : undefined;
      const written = scalarKey ? rewrittenText(scalarKey) : undefined;
      if (scalarKey && written !== undefined) {
        // `007:` is the number 7: an account keyed 007 would be named and mailed as 7, and an
        // account's email can never be changed back.
        errors.push(
          new OrgbridgeError(
            'DSL_KEY_NOT_TEXT',
            `the key ${written} is read as ${describeScalar(scalarKey.value)}, which prints as '${key}'`,
            { location: at(keyAt), hint: `quote it ('${written}') to keep it as written` },
          ),
        );
        continue;
      }
      if (key === '__proto__') {
        // The config becomes JavaScript objects, where this name sets the prototype instead of
        // adding an entry: the schema's records drop it, so it would vanish without a word.
        errors.push(
          new OrgbridgeError('DSL_INVALID_KEY', `'__proto__' cannot be a key`, {
            location: at(keyAt),
            hint: 'rename the key: orgbridge reads the configuration as JavaScript objects, where this name is not an ordinary key',
          }),
        );
        continue;
      }
      if (entries.has(key)) {
        errors.push(
          new OrgbridgeError('DSL_DUPLICATE_KEY', `duplicate key '${key}'`, {
            location: at(keyAt),
            hint: `'${key}' is already defined at line ${at(entries.get(key)?.keyAt ?? start).line}; YAML keeps only one of them`,
          }),
        );
        continue;
      }
      const value = pair.value as Node | null;
      // An empty value (`key:`) is a zero-length node: point at its key instead.
      const empty = !value || (value.range != null && value.range[0] === value.range[1]);
      const child = empty ? { at: keyAt } : positionOf(value, at, errors, state);
      entries.set(key, { ...child, keyAt });
    }
    return { at: start, entries };
  }
  if (isSeq(node)) {
    return { at: start, items: node.items.map((item) => positionOf(item as Node, at, errors, state)) };
  }
  const text = isScalar(node) ? rewrittenText(node) : undefined;
  return text === undefined ? { at: start } : { at: start, text };
}

/** A plain scalar's text when the value YAML reads from it prints differently (`0042`, `1e3`, `True`). */
function rewrittenText(node: Node & { value: unknown; source?: string; type?: string }): string | undefined {
  if (node.type !== 'PLAIN' || typeof node.value === 'string' || node.source === undefined) return undefined;
  return String(node.value) === node.source ? undefined : node.source;
}

/** `the number 42`, `the boolean true`, `null`: what YAML made of a scalar, for messages. */
export function describeScalar(value: unknown): string {
  return value === null ? 'null' : `the ${typeof value} ${String(value)}`;
}

/** Where a node's text starts: a block map under `?` reports a range from after its first key. */
function firstOffset(node: Node): number {
  let offset = node.range?.[0] ?? 0;
  const first: unknown = isMap(node) ? node.items[0]?.key : isSeq(node) ? node.items[0] : undefined;
  if (isMap(first) || isSeq(first) || isScalar(first)) offset = Math.min(offset, firstOffset(first));
  return offset;
}

function isCyclic(value: unknown, ancestors = new Set<object>()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  const cyclic = children.some((child) => isCyclic(child, ancestors));
  ancestors.delete(value);
  return cyclic;
}
