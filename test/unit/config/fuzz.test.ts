import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeConfig } from '../../../src/config/parse.js';
import { OrgbridgeError } from '../../../src/errors.js';
import { runs, timeout } from '../../support/property.js';
import { BASE } from './support.js';

/**
 * Damaged documents must always end in positioned OrgbridgeErrors, never in a crash: the base
 * configuration with random lines replaced, deleted or duplicated, random characters inserted,
 * or random YAML values spliced in.
 */
const lines = BASE.split('\n');

const damage = fc.oneof(
  fc.record({
    kind: fc.constant('replace' as const),
    line: fc.nat(lines.length - 1),
    text: fc.string({ maxLength: 30 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), line: fc.nat(lines.length - 1) }),
  fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(lines.length - 1) }),
  fc.record({
    kind: fc.constant('insert' as const),
    offset: fc.nat(BASE.length),
    text: fc.constantFrom(
      ':',
      '- ',
      '{',
      '[',
      '"',
      "'",
      '\t',
      ' ',
      '#',
      '&a',
      '*a',
      '!!int ',
      '? ',
      '|',
      '\n  x: 1\n',
      '\u0000',
      '%',
    ),
  }),
  fc.record({
    kind: fc.constant('value' as const),
    line: fc.nat(lines.length - 1),
    value: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  }),
);

type Damage = typeof damage extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, d: Damage): string {
  const copy = text.split('\n');
  // Earlier damage may have removed lines: wrap the line number into the current text.
  if ('line' in d) d = { ...d, line: d.line % copy.length };
  switch (d.kind) {
    case 'replace':
      copy[d.line] = d.text;
      return copy.join('\n');
    case 'delete':
      copy.splice(d.line, 1);
      return copy.join('\n');
    case 'duplicate':
      copy.splice(d.line, 0, copy[d.line] as string);
      return copy.join('\n');
    case 'insert':
      return text.slice(0, d.offset) + d.text + text.slice(d.offset);
    case 'value': {
      const line = copy[d.line] as string;
      const colon = line.indexOf(':');
      copy[d.line] = colon === -1 ? `${line} ${d.value}` : `${line.slice(0, colon + 1)} ${d.value}`;
      return copy.join('\n');
    }
  }
}

describe('damaged documents', () => {
  it(
    'give positioned OrgbridgeErrors or a valid configuration, never a crash',
    () => {
      fc.assert(
        fc.property(fc.array(damage, { minLength: 1, maxLength: 3 }), (damages) => {
          const text = damages.reduce(apply, BASE);
          const result = analyzeConfig([{ path: 'accounts.yml', text }]);
          if (result.ok) return;
          expect(result.errors.length).toBeGreaterThan(0);
          for (const error of result.errors) {
            expect(error).toBeInstanceOf(OrgbridgeError);
            expect(error.code).toMatch(/^[A-Z_]+$/);
            expect(error.location?.file).toBe('accounts.yml');
            expect(error.location?.line).toBeGreaterThanOrEqual(1);
            expect(error.location?.column).toBeGreaterThanOrEqual(1);
          }
        }),
        { numRuns: runs(200) },
      );
      // 200 whole-config analyses: about 1 s alone, several under a loaded 2-core machine.
    },
    timeout(30_000),
  );

  it(
    'give positioned errors for damaged policy and ecr files too',
    () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (policy, ecr) => {
          const result = analyzeConfig([
            { path: 'accounts.yml', text: BASE },
            { path: 'policies/tag/Internal/x.json', text: policy },
            { path: 'ecr.yml', text: ecr },
          ]);
          if (result.ok) return;
          for (const error of result.errors) {
            expect(error).toBeInstanceOf(OrgbridgeError);
            expect(error.location?.line).toBeGreaterThanOrEqual(1);
            // A message names what it found, never JavaScript's placeholders for nothing.
            expect(error.message).not.toMatch(/undefined undefined|\[object /);
          }
        }),
        { numRuns: runs(200) },
      );
      // 200 whole-config analyses: about 1 s alone, several under a loaded 2-core machine.
    },
    timeout(30_000),
  );
});

describe('absurd nesting', () => {
  it.each([
    ['block maps', Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')],
    ['flow sequences', '['.repeat(20_000)],
    ['block sequences', `${'- '.repeat(5000)}x\n`],
  ])('in %s is a positioned error, not a stack overflow', (_what, text) => {
    const result = analyzeConfig([{ path: 'accounts.yml', text }]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.location?.file).toBe('accounts.yml');
  });

  it('in a policy is a positioned error', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const result = analyzeConfig([
      { path: 'accounts.yml', text: BASE },
      { path: 'policies/tag/Internal/deep.json', text: `{"a": ${deep}}` },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => e.location?.file)).toContain('policies/tag/Internal/deep.json');
  });
});
