import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBlockYaml } from '../../../src/config/block-yaml.js';
import { type NodePosition, parseYamlWithLibrary, YamlSyntaxErrors } from '../../../src/config/source.js';
import { runs } from '../../support/property.js';

/** Position trees as plain data, for comparison. */
function plain(node: NodePosition): unknown {
  return {
    at: node.at,
    keyAt: node.keyAt,
    entries: node.entries ? Object.fromEntries([...node.entries].map(([k, v]) => [k, plain(v)])) : undefined,
    items: node.items?.map(plain),
  };
}

/** The fast path must agree with the `yaml` package on every document it accepts. */
function agree(text: string): boolean {
  const fast = parseBlockYaml(text);
  if (!fast) return false;
  let library: ReturnType<typeof parseYamlWithLibrary>;
  try {
    library = parseYamlWithLibrary({ path: 'x.yml', text });
  } catch (e) {
    if (e instanceof YamlSyntaxErrors)
      throw new Error(`fast path accepted invalid YAML:\n${text}\n${e.message}`);
    throw e;
  }
  expect(fast.value, text).toEqual(library.value);
  expect(plain(fast.root), text).toEqual(plain(library.root));
  return true;
}

const SCALARS = [
  'foo',
  'us-east-1',
  '7 days',
  'true',
  'True',
  'FALSE',
  'yes',
  'no',
  '~',
  'null',
  'Null',
  '012',
  '0x1F',
  '0o17',
  '1e3',
  '.5',
  '-1',
  '+1',
  '1.',
  '1.5',
  '.inf',
  '-.Inf',
  '.nan',
  'foo bar',
  'a#b',
  "it's",
  '-foo',
  ':x',
  '?x',
  '12:30',
  '2001-12-14',
  'é',
  '0',
  '-0',
  '00',
  '1_000',
  '0b101',
  'a:b',
  'x,y',
  '@x',
  '*a',
  '&a',
  '!t',
  '|',
  '>',
  '%x',
  '`x`',
  '[x]',
  '{x}',
  '{}',
  '[]',
  '- x',
  'a: b',
  '',
  ' lead',
  'trail ',
  'a # b',
  'Admin,PowerUser',
];
const KEYS = ['a', 'b-c', 'dev-', 'x y', '1', 'true', 'k:v', '-k', 'key', 'region', 'tags', 'é'];

type Tree =
  | string
  | { readonly map: readonly (readonly [string, Tree])[] }
  | { readonly seq: readonly Tree[] };

const scalar = fc.constantFrom(...SCALARS);
const arbitraries = fc.letrec<{ node: Tree; map: Tree; seq: Tree }>((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('map'), tie('seq')),
  map: fc
    .uniqueArray(fc.tuple(fc.constantFrom(...KEYS), tie('node')), {
      minLength: 1,
      maxLength: 4,
      selector: (e) => e[0],
    })
    .map((map) => ({ map })),
  seq: fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((seq) => ({ seq })),
}));

interface Style {
  indent: number;
  quote: 'plain' | 'single' | 'double';
  flow: boolean;
  comments: boolean;
  sameIndentSequences: boolean;
}

function emitScalar(s: string, style: Style): string {
  if (style.quote === 'single') return `'${s.replaceAll("'", "''")}'`;
  if (style.quote === 'double') return JSON.stringify(s);
  return s;
}

function emit(t: Tree, style: Style, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (typeof t === 'string') {
    out.push(`${pad}${emitScalar(t, style)}`);
  } else if ('map' in t) {
    for (const [key, value] of t.map) {
      const comment = style.comments ? ' # note' : '';
      if (typeof value === 'string') out.push(`${pad}${key}: ${emitScalar(value, style)}${comment}`);
      else if (style.flow && 'seq' in value && value.seq.every((v) => typeof v === 'string')) {
        out.push(`${pad}${key}: [${(value.seq as string[]).map((v) => emitScalar(v, style)).join(', ')}]`);
      } else {
        out.push(`${pad}${key}:${comment}`);
        const childIndent = 'seq' in value && style.sameIndentSequences ? indent : indent + style.indent;
        emit(value, style, childIndent, out);
      }
    }
  } else {
    for (const item of t.seq) {
      if (typeof item === 'string') out.push(`${pad}- ${emitScalar(item, style)}`);
      else {
        const lines: string[] = [];
        emit(item, style, indent + 2, lines);
        const first = (lines[0] as string).slice(indent + 2);
        out.push(`${pad}- ${first}`, ...lines.slice(1));
      }
    }
  }
}

const style = fc.record<Style>({
  indent: fc.constantFrom(2, 4),
  quote: fc.constantFrom('plain', 'plain', 'single', 'double'),
  flow: fc.boolean(),
  comments: fc.boolean(),
  sameIndentSequences: fc.boolean(),
});

describe('parseBlockYaml (fast path) against the yaml package', () => {
  it('agrees on values and positions for every document it accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(arbitraries.node, style, fc.boolean(), (t, s, marker) => {
        const root: Tree = typeof t !== 'string' && 'map' in t ? t : { map: [['root', t]] };
        const lines: string[] = marker ? ['---', '# header'] : [];
        emit(root, s, 0, lines);
        if (agree(`${lines.join('\n')}\n`)) accepted++;
      }),
      { numRuns: runs(300) },
    );
    // The generator must exercise the fast path, not only its fallback.
    expect(accepted).toBeGreaterThan(30);
  });

  it('accepts the example configuration and agrees with the library on it', async () => {
    const { readFileSync } = await import('node:fs');
    expect(agree(readFileSync('examples/accounts.yml', 'utf8'))).toBe(true);
    expect(agree(readFileSync('examples/ecr.yml', 'utf8'))).toBe(true);
  });

  it.each([
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['block scalars', 'a: |\n  text\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['tabs', 'a:\tb\n'],
    ['CRLF line ends', 'a: b\r\n'],
    ['flow maps', 'a: {b: c}\n'],
    ['merge keys', 'a:\n  <<: {}\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['a second document', 'a: 1\n---\nb: 2\n'],
    ['quoted text with a hash', "a: 'x # y'\n"],
    ['YAML-only escapes', 'a: "\\x41"\n'],
    ['an empty sequence item', 'a:\n  -\n'],
    ['bad indentation', 'a: 1\n b: 2\n'],
  ])('leaves %s to the library', (_what, text) => {
    expect(parseBlockYaml(text)).toBeUndefined();
  });
});
