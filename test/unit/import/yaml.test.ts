import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseYaml } from '../../../src/config/source.js';
import { yamlMapLines, yamlString } from '../../../src/plan/import-yaml.js';

describe('the YAML writer of orgbridge import', () => {
  it('writes every string so that both YAML readers give it back (values and keys)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        // parseYaml refuses the key __proto__ on purpose (DSL_INVALID_KEY, test/unit/config/rules.test.ts).
        fc.string({ maxLength: 20 }).filter((key) => key !== '__proto__'),
        (value, key) => {
          const text = `${yamlMapLines({ [key || 'k']: { value } }).join('\n')}\n`;
          expect(parse(text)).toEqual({ [key || 'k']: { value } });
          expect(parseYaml({ path: 'x.yml', text }).value).toEqual({ [key || 'k']: { value } });
        },
      ),
      { numRuns: 100 },
    );
  }, 30_000);

  it('quotes what YAML would read as something else, and nothing more', () => {
    expect(yamlString('Workloads/Dev')).toBe('Workloads/Dev');
    expect(yamlString('team-a')).toBe('team-a');
    for (const special of ['', 'yes', 'No', 'true', 'null', '~', '042', '1e3', 'a: b', '# x', 'x ', '- a'])
      expect(yamlString(special)).toBe(JSON.stringify(special));
    expect(yamlString('line\u2028break')).toBe('"line\\u2028break"');
  });

  it('writes lists, empty maps and comments', () => {
    expect(
      yamlMapLines({ a: { organization_units: ['', 'Dev'] }, b: {}, c: [] }, 0, {
        b: { before: ['above'], after: 'beside' },
      }),
    ).toEqual([
      'a:',
      '  organization_units:',
      '    - ""',
      '    - Dev',
      '# above',
      'b: {}  # beside',
      'c: []',
    ]);
  });
});
