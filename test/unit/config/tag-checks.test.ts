import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, lineOf, withAccounts } from './support.js';

/** The tag checks plan blocks on are validate errors too, at the line that sets the tag. */
describe('tag checks plan would block on', () => {
  it('a tag key with a space: one error at the tag', () => {
    const text = withAccounts('  foo:\n    scope: dev\n    tags:\n      cost centre: x\n');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_TAG_KEY_WITH_SPACE']);
    expect(errors[0]?.location).toMatchObject({ line: lineOf(text, 'cost centre'), column: 7 });
  });

  it("the reserved 'orgbridge:' prefix", () => {
    const text = withAccounts("  foo:\n    scope: dev\n    tags:\n      'orgbridge:key': x\n");
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_RESERVED_TAG']);
    expect(errors[0]?.location?.line).toBe(lineOf(text, 'orgbridge:key'));
  });

  it('a reserved tag in defaults is reported once, with the count of accounts it reaches', () => {
    const text = BASE.replace('    team: platform', "    team: platform\n    'orgbridge:x': y");
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['DSL_RESERVED_TAG']);
    expect(errors[0]?.location?.line).toBe(lineOf(text, 'orgbridge:x'));
    expect(errors[0]?.message).toMatch(/and \d+ more accounts/);
  });

  it('tag keys whose joined list exceeds the 256 characters of the managed-tags marker', () => {
    const tags = Array.from({ length: 9 }, (_, i) => `      ${'k'.repeat(30)}${i}: v`).join('\n');
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n${tags}\n`);
    expect(errorsOf(text).map((e) => e.code)).toEqual(['DSL_MANAGED_TAG_KEYS_TOO_LONG']);
  });

  it('more tags than fit beside the markers (46 set: 50 with the 4 standard ones)', () => {
    const tags = Array.from({ length: 41 }, (_, i) => `      t${i}: v`).join('\n');
    const text = withAccounts(`  foo:\n    scope: dev\n    tags:\n${tags}\n`);
    const [error] = errorsOf(text);
    expect(error?.code).toBe('DSL_TOO_MANY_TAGS');
    expect(error?.message).toContain('5 markers');
  });
});
